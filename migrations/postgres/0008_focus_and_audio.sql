-- Postgres 15+ form of migrations/0008_focus_and_audio.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Focus sessions. At most one active (running or paused) session per user, held by a partial
-- unique index, so two concurrent starts cannot both succeed.
create table focus_sessions (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  mode text not null check (mode in ('focus', 'break')),
  planned_minutes integer not null check (planned_minutes between 1 and 240),
  status text not null check (status in ('running', 'paused', 'completed', 'abandoned')),
  started_at text not null,
  paused_at text,
  -- At most twice the planned 240 minutes (a session ends by itself then): fits 32 bits.
  paused_ms integer not null default 0,
  ended_at text,
  focused_seconds integer,
  habit_id text,
  goal_id text,
  audio_id text,
  created_at text not null,
  updated_at text not null
);

create unique index focus_sessions_one_active on focus_sessions (user_id)
  where status in ('running', 'paused');
create index focus_sessions_by_user on focus_sessions (user_id, id);

-- Audio tracks: the bytes live in R2 under a generated key, the metadata here. A user's quota is
-- the sum of their own tracks' sizes; library tracks (uploaded by admins) are everyone's.
create table audio_tracks (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  scope text not null check (scope in ('user', 'library')),
  title text not null,
  content_type text not null,
  -- Bytes, at most 50 MiB a track (`sum(size)` is bigint in Postgres: a string in node's `pg`).
  size integer not null,
  etag text not null,
  object_key text not null,
  created_at text not null
);

create index audio_tracks_by_owner on audio_tracks (user_id, scope, id);
create index audio_tracks_by_scope on audio_tracks (scope, id);
