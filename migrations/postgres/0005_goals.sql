-- Postgres 15+ form of migrations/0005_goals.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Goals, the first content kind. Deleting is soft (is_active = 0, deleted_at); a user's lists
-- read (user_id, is_active, id) in id order, and ids are UUIDv7, so new items sort last.
-- Postgres names a primary key `{table}_pkey`: a taken id fails with `duplicate key value
-- violates unique constraint "goals_pkey"` (SQLSTATE 23505, detail `Key (id)=(..) already
-- exists.`), where SQLite says `UNIQUE constraint failed: goals.id`, which `is_taken_id` matches.
create table goals (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  title text not null,
  description text not null default '',
  category text not null,
  status text not null default 'active' check (status in ('active', 'completed', 'abandoned')),
  target_date text,
  metadata text not null default '{}',
  is_active integer not null default 1 check (is_active in (0, 1)),
  deleted_at text,
  completed_at text,
  created_at text not null,
  updated_at text not null
);

create index goals_by_user on goals (user_id, is_active, id);

-- First responses to HTTP Idempotency-Keys of creations in D1, written in the same batch as the
-- creation itself, so a key creates at most once.
create table idempotent_responses (
  user_id text not null,
  key text not null,
  fingerprint text not null,
  status integer not null,
  body text not null,
  created_at text not null,
  primary key (user_id, key)
); -- `without rowid` in D1: every Postgres table is organised by its own heap and indexes.
