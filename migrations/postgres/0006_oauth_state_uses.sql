-- Postgres 15+ form of migrations/0006_oauth_state_uses.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- OAuth states already spent. KV deletes reach other locations only after about a minute, so the
-- single use of a state is decided here: the first callback inserts its row, a replay cannot.
create table oauth_state_uses (
  state_hash text primary key,
  used_at text not null
); -- `without rowid` in D1: every Postgres table is organised by its own heap and indexes.
