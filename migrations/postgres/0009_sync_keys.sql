-- Postgres 15+ form of migrations/0009_sync_keys.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Each user's key for sync cursors (an HMAC key, made on first use), so a cursor is
-- tamper-evident and useless to anyone else.
alter table users add column sync_key text;
