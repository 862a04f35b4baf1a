-- The key of a workout's standing award: null for the award of logging it (`workout:{id}`), a
-- restore's own key once deleting took that award back and restoring paid it again.
alter table workouts add column award_key text;
