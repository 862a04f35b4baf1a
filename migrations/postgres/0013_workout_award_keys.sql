-- Postgres 15+ form of migrations/0013_workout_award_keys.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- The key of a workout's standing award: null for the award of logging it (`workout:{id}`), a
-- restore's own key once deleting took that award back and restoring paid it again.
alter table workouts add column award_key text;
