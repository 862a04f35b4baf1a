-- Postgres 15+ form of migrations/0002_auth.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Sessions and API tokens. KV holds the fast lookup of a session; these rows are the
-- authority: a session or token with `ended_at`/`revoked_at` set is over everywhere at once,
-- whatever a KV replica still caches. Only SHA-256 digests of tokens are stored.
create table sessions (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  token_hash text not null unique,
  user_agent text not null default '',
  created_at text not null,
  last_seen_at text not null,
  expires_at text not null,
  ended_at text
);

create index sessions_user on sessions (user_id, ended_at);

create table api_tokens (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  name text not null,
  token_hash text not null unique,
  created_at text not null,
  last_used_at text,
  revoked_at text
);

create index api_tokens_user on api_tokens (user_id, revoked_at);
