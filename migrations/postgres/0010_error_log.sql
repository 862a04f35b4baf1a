-- Postgres 15+ form of migrations/0010_error_log.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Server errors (5xx) with their request ids, for `GET /api/admin/errors`. Written after the
-- response is sent; only what the request log holds (no bodies, no queries, no headers).
create table error_log (
  id text primary key,
  request_id text not null,
  method text not null,
  path text not null,
  status integer not null,
  error_type text not null,
  message text not null,
  user_id text,
  created_at text not null
);

-- The stats' "active today" reads sessions and tokens by when they were last used.
create index sessions_last_seen on sessions (last_seen_at);
create index api_tokens_last_used on api_tokens (last_used_at);
