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

-- The few SQLite functions the store's SQL uses, for Postgres, so that one text of each
-- statement serves both stores (src/store/db.rs). Each does exactly what the statements ask of
-- it, and no more.
-- `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`: the time now as the API writes times.
create function strftime(format text, moment text) returns text
language plpgsql stable as $$
begin
  if format <> '%Y-%m-%dT%H:%M:%fZ' or moment <> 'now' then
    raise exception 'strftime(%, %) is not one the store uses', format, moment;
  end if;
  return to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
end $$;

-- `json_object('xp', a, 'coins', b)`: a JSON object as text, as SQLite returns it.
create function json_object(k1 text, v1 integer, k2 text, v2 integer) returns text
language sql immutable as $$ select json_build_object(k1, v1, k2, v2)::text $$;

-- `select value from json_each(?)` over a JSON array of strings.
create function json_each(array_text text) returns table (value text)
language sql immutable as $$ select json_array_elements_text(array_text::json) $$;
