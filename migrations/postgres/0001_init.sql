-- Postgres 15+ form of migrations/0001_init.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Users and the external identities they sign in with. A user is found by (issuer, subject) of
-- an identity, never by e-mail alone: two providers may vouch for the same address.
-- Postgres makes every primary key column not null; SQLite would take a null `id` in a `text
-- primary key`, which the code never writes.
create table users (
  id text primary key,
  email text not null,
  name text not null,
  role text not null default 'user' check (role in ('user', 'admin')),
  disabled integer not null default 0 check (disabled in (0, 1)),
  created_at text not null,
  updated_at text not null
);

create index users_email on users (email);

create table user_identities (
  issuer text not null,
  subject text not null,
  user_id text not null references users (id) on delete cascade,
  created_at text not null,
  primary key (issuer, subject)
);

create index user_identities_user on user_identities (user_id);
