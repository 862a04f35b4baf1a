-- List filters and full-text search (issue 18). Each filter a list takes has an index led by
-- (user_id, is_active), the list's own prefix: an equality filter keeps id order from the index,
-- a date range reads its range and sorts the page.
--
-- `q` searches an FTS5 table per kind over its text fields (external content: the text is read
-- from the kind's table, only the index is stored twice), kept by triggers, so every write that
-- changes the text changes the index in the same statement. The FTS tables address rows by
-- rowid; should rowids ever be renumbered (a VACUUM, an import), `insert into
-- goals_search (goals_search) values ('rebuild')` (per kind) rebuilds the index from the rows.
-- Tokens are the runs of letters and digits, lowercased, accents kept: what the API splits `q`
-- into, and what Postgres indexes (migrations/postgres/0016).

-- goals
create index goals_by_status on goals (user_id, is_active, status, id);
create index goals_by_category on goals (user_id, is_active, category, id);
create index goals_by_target_date on goals (user_id, is_active, target_date);
create virtual table goals_search using fts5(
  title, description, content = 'goals', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
create trigger goals_search_insert after insert on goals begin
  insert into goals_search (rowid, title, description) values (new.rowid, new.title, new.description);
end;
create trigger goals_search_delete after delete on goals begin
  insert into goals_search (goals_search, rowid, title, description) values ('delete', old.rowid, old.title, old.description);
end;
create trigger goals_search_update after update of title, description on goals begin
  insert into goals_search (goals_search, rowid, title, description) values ('delete', old.rowid, old.title, old.description);
  insert into goals_search (rowid, title, description) values (new.rowid, new.title, new.description);
end;
insert into goals_search (goals_search) values ('rebuild');

-- habits
create index habits_by_category on habits (user_id, is_active, category, id);
create index habits_by_frequency on habits (user_id, is_active, frequency, id);
create virtual table habits_search using fts5(
  title, description, content = 'habits', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
create trigger habits_search_insert after insert on habits begin
  insert into habits_search (rowid, title, description) values (new.rowid, new.title, new.description);
end;
create trigger habits_search_delete after delete on habits begin
  insert into habits_search (habits_search, rowid, title, description) values ('delete', old.rowid, old.title, old.description);
end;
create trigger habits_search_update after update of title, description on habits begin
  insert into habits_search (habits_search, rowid, title, description) values ('delete', old.rowid, old.title, old.description);
  insert into habits_search (rowid, title, description) values (new.rowid, new.title, new.description);
end;
insert into habits_search (habits_search) values ('rebuild');

-- quests
create index quests_by_status on quests (user_id, is_active, status, id);
create index quests_by_category on quests (user_id, is_active, category, id);
create index quests_by_deadline on quests (user_id, is_active, deadline);
create virtual table quests_search using fts5(
  title, description, content = 'quests', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
create trigger quests_search_insert after insert on quests begin
  insert into quests_search (rowid, title, description) values (new.rowid, new.title, new.description);
end;
create trigger quests_search_delete after delete on quests begin
  insert into quests_search (quests_search, rowid, title, description) values ('delete', old.rowid, old.title, old.description);
end;
create trigger quests_search_update after update of title, description on quests begin
  insert into quests_search (quests_search, rowid, title, description) values ('delete', old.rowid, old.title, old.description);
  insert into quests_search (rowid, title, description) values (new.rowid, new.title, new.description);
end;
insert into quests_search (quests_search) values ('rebuild');

-- workouts
create index workouts_by_intensity on workouts (user_id, is_active, intensity, id);
create index workouts_by_performed_at on workouts (user_id, is_active, performed_at);
create virtual table workouts_search using fts5(
  name, content = 'workouts', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
create trigger workouts_search_insert after insert on workouts begin
  insert into workouts_search (rowid, name) values (new.rowid, new.name);
end;
create trigger workouts_search_delete after delete on workouts begin
  insert into workouts_search (workouts_search, rowid, name) values ('delete', old.rowid, old.name);
end;
create trigger workouts_search_update after update of name on workouts begin
  insert into workouts_search (workouts_search, rowid, name) values ('delete', old.rowid, old.name);
  insert into workouts_search (rowid, name) values (new.rowid, new.name);
end;
insert into workouts_search (workouts_search) values ('rebuild');

-- books
create index books_by_status on books (user_id, is_active, status, id);
create index books_by_finished_on on books (user_id, is_active, finished_on);
create virtual table books_search using fts5(
  title, author, content = 'books', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0'
);
create trigger books_search_insert after insert on books begin
  insert into books_search (rowid, title, author) values (new.rowid, new.title, new.author);
end;
create trigger books_search_delete after delete on books begin
  insert into books_search (books_search, rowid, title, author) values ('delete', old.rowid, old.title, old.author);
end;
create trigger books_search_update after update of title, author on books begin
  insert into books_search (books_search, rowid, title, author) values ('delete', old.rowid, old.title, old.author);
  insert into books_search (rowid, title, author) values (new.rowid, new.title, new.author);
end;
insert into books_search (books_search) values ('rebuild');
