-- List filters and full-text search (issue 18): the same indexes as D1's 0016, and per kind a
-- generated `search` tsvector over the same text fields with a GIN index, standing for D1's FTS5
-- tables. Its words are what FTS5's unicode61 makes of the text: the runs of letters and digits,
-- lowercased ('simple' configuration: no stemming, no stop words), so both stores find the same
-- items for the same `q`. [[:alnum:]] follows the database's ctype: create the database with a
-- UTF-8 locale (C.UTF-8, Neon's default) for letters beyond ASCII to count as letters.

-- goals
create index goals_by_status on goals (user_id, is_active, status, id);
create index goals_by_category on goals (user_id, is_active, category, id);
create index goals_by_target_date on goals (user_id, is_active, target_date);
alter table goals add column search tsvector generated always as (
  to_tsvector('simple', regexp_replace(lower(title || ' ' || description), '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index goals_search on goals using gin (search);

-- habits
create index habits_by_category on habits (user_id, is_active, category, id);
create index habits_by_frequency on habits (user_id, is_active, frequency, id);
alter table habits add column search tsvector generated always as (
  to_tsvector('simple', regexp_replace(lower(title || ' ' || description), '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index habits_search on habits using gin (search);

-- quests
create index quests_by_status on quests (user_id, is_active, status, id);
create index quests_by_category on quests (user_id, is_active, category, id);
create index quests_by_deadline on quests (user_id, is_active, deadline);
alter table quests add column search tsvector generated always as (
  to_tsvector('simple', regexp_replace(lower(title || ' ' || description), '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index quests_search on quests using gin (search);

-- workouts
create index workouts_by_intensity on workouts (user_id, is_active, intensity, id);
create index workouts_by_performed_at on workouts (user_id, is_active, performed_at);
alter table workouts add column search tsvector generated always as (
  to_tsvector('simple', regexp_replace(lower(name), '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index workouts_search on workouts using gin (search);

-- books
create index books_by_status on books (user_id, is_active, status, id);
create index books_by_finished_on on books (user_id, is_active, finished_on);
alter table books add column search tsvector generated always as (
  to_tsvector('simple', regexp_replace(lower(title || ' ' || author), '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index books_search on books using gin (search);
