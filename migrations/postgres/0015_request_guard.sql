-- Postgres 15+ form of migrations/0015_request_guard.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Nothing is ever stored here. A request's first D1 batch starts with a check of its
-- credential; on writes, an insert here selects a row only when the credential is no longer
-- live (or the settings the request used are no longer the stored ones), and the named check
-- fails the whole batch, so nothing it holds is written (see src/store/credentials.rs).
--
-- Postgres: the constraint names are the ones the code matches (`credential_refused`,
-- `settings_changed`); the error reads `new row for relation "request_guard" violates check
-- constraint "credential_refused"`, SQLSTATE 23514. SQLite's `settings is not ?2` is
-- `settings is distinct from $2` in Postgres.
create table request_guard (
  refused text not null,
  constraint credential_refused check (refused <> 'credential'),
  constraint settings_changed check (refused <> 'settings')
);
