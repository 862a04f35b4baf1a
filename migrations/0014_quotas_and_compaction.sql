-- Nothing is ever stored here: a creation's batch ends with an insert into this table that
-- selects a row only when the user holds more items of the kind than their quota, and the check
-- fails the whole batch (one transaction: the count and the insert cannot race).
create table quota_guard (
  kind text not null,
  constraint quota_exceeded check (kind is null)
);

-- The highest change-log sequence number of the user that the scheduled compaction removed: a
-- sync cursor below it has missed changes, and is answered 410 (start again from a null cursor).
alter table users add column sync_floor integer not null default 0;

create index idempotent_responses_created on idempotent_responses (created_at);
create index error_log_created on error_log (created_at);
create index oauth_state_uses_used on oauth_state_uses (used_at);
