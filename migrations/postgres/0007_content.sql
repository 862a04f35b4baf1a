-- Postgres 15+ form of migrations/0007_content.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- Habits, quests, workouts and books: the other content kinds, shaped like goals (soft delete,
-- lists read (user_id, is_active, id) in id order).
create table habits (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  title text not null,
  description text not null default '',
  category text not null,
  frequency text not null check (frequency in ('daily', 'weekdays', 'weekly')),
  target_per_week integer check (target_per_week between 1 and 7),
  metadata text not null default '{}',
  is_active integer not null default 1 check (is_active in (0, 1)),
  deleted_at text,
  created_at text not null,
  updated_at text not null
);

create index habits_by_user on habits (user_id, is_active, id);

-- One row per habit and local day. Undo marks the row (undone_at) rather than deleting it, and a
-- later completion of the same day bumps `generation`, so each completion has its own award key.
create table habit_completions (
  habit_id text not null references habits (id) on delete cascade,
  day text not null,
  user_id text not null,
  generation integer not null default 0,
  undone_at text,
  created_at text not null,
  primary key (habit_id, day)
); -- `without rowid` in D1: every Postgres table is organised by its own heap and indexes.

create table quests (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  title text not null,
  description text not null default '',
  category text not null,
  deadline text not null,
  status text not null default 'open' check (status in ('open', 'completed', 'abandoned')),
  reward_xp integer not null check (reward_xp between 0 and 1000),
  reward_coins integer not null check (reward_coins between 0 and 500),
  metadata text not null default '{}',
  is_active integer not null default 1 check (is_active in (0, 1)),
  deleted_at text,
  completed_at text,
  created_at text not null,
  updated_at text not null
);

create index quests_by_user on quests (user_id, is_active, id);

create table workouts (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  name text not null,
  duration_minutes integer not null check (duration_minutes between 1 and 1440),
  intensity text not null check (intensity in ('low', 'moderate', 'high')),
  calories integer check (calories between 0 and 20000),
  performed_at text not null,
  metadata text not null default '{}',
  is_active integer not null default 1 check (is_active in (0, 1)),
  deleted_at text,
  created_at text not null,
  updated_at text not null
);

create index workouts_by_user on workouts (user_id, is_active, id);

create table books (
  id text primary key,
  user_id text not null references users (id) on delete cascade,
  title text not null,
  author text not null default '',
  status text not null default 'want_to_read' check (status in ('want_to_read', 'reading', 'finished', 'abandoned')),
  rating integer check (rating between 1 and 5),
  pages integer check (pages between 1 and 100000),
  started_on text,
  finished_on text,
  metadata text not null default '{}',
  is_active integer not null default 1 check (is_active in (0, 1)),
  deleted_at text,
  created_at text not null,
  updated_at text not null
);

create index books_by_user on books (user_id, is_active, id);
