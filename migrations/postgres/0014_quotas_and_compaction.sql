-- Postgres 15+ form of migrations/0014_quotas_and_compaction.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Nothing is ever stored here: a creation's batch ends with an insert into this table that
-- selects a row only when the user holds more items of the kind than their quota, and the check
-- fails the whole batch (one transaction: the count and the insert cannot race).
--
-- Postgres: the constraint keeps its name, which the code matches (`failed_by`); the error
-- reads `new row for relation "quota_guard" violates check constraint "quota_exceeded"` (SQLite:
-- `CHECK constraint failed: quota_exceeded`), SQLSTATE 23514. Unlike D1, whose single writer runs
-- one batch at a time, two Postgres transactions may count concurrently (read committed), each
-- before it sees the other's insert: a writer must first lock the user's row (`select 1 from
-- users where id = $1 for update`) so the count and the insert cannot race, and so that the
-- change-log numbers of one user are also committed in the order they were taken.
create table quota_guard (
  kind text not null,
  constraint quota_exceeded check (kind is null)
);

-- The highest change-log sequence number of the user that the scheduled compaction removed: a
-- sync cursor below it has missed changes, and is answered 410 (start again from a null cursor).
-- bigint: it holds a `change_log.seq`.
alter table users add column sync_floor bigint not null default 0;

create index idempotent_responses_created on idempotent_responses (created_at);
create index error_log_created on error_log (created_at);
create index oauth_state_uses_used on oauth_state_uses (used_at);
