-- Postgres 15+ form of migrations/0012_token_scopes.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- What an API token may do: 'read' (GET, and the sync poll) or 'write' (every route a token may
-- use). Tokens made before scopes existed keep working as 'write'. A token may also expire.
alter table api_tokens add column scope text not null default 'write' check (scope in ('read', 'write'));
alter table api_tokens add column expires_at text;
