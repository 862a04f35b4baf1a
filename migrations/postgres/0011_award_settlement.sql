-- Postgres 15+ form of migrations/0011_award_settlement.sql: the same tables, columns,
-- keys, checks and indexes (build.rs requires the same file names in both directories).
--
-- A completion whose award the user's object may not have settled yet: 'award' from the write of
-- the completion until the object has applied its award, 'undo' while its reversal is asked (the
-- row stays completed until the object has taken the award back, or refused to). The scheduled
-- reconciliation finishes what a worker that died between D1 and the object left.
alter table habit_completions add column award_pending text check (award_pending in ('award', 'undo'));
create index habit_completions_pending on habit_completions (created_at) where award_pending is not null;
