-- Each user's key for sync cursors (an HMAC key, made on first use), so a cursor is
-- tamper-evident and useless to anyone else.
alter table users add column sync_key text;
