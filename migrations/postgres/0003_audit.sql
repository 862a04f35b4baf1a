-- Postgres 15+ form of migrations/0003_audit.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- The audit log: who did what to whom, append-only through the API.
create table audit_log (
  id text primary key,
  actor_id text,
  action text not null,
  target_id text,
  request_id text not null,
  detail text not null default '{}',
  created_at text not null
);

create index audit_log_created on audit_log (created_at);
create index audit_log_target on audit_log (target_id, created_at);
