-- Settings live as one JSON object on the user row (defaults are filled in by the code).
alter table users add column settings text;

-- The per-user change log that sync serves deltas from: every write appends here in the same
-- D1 batch as the write itself. Reading one user's log from a cursor is an index range scan.
create table change_log (
  seq integer primary key autoincrement,
  user_id text not null,
  entity text not null,
  entity_id text not null,
  op text not null check (op in ('upsert', 'delete')),
  created_at text not null
);

create index change_log_user_seq on change_log (user_id, seq);
