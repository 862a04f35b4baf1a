-- Nothing is ever stored here. A request's first D1 batch starts with a check of its
-- credential; on writes, an insert here selects a row only when the credential is no longer
-- live (or the settings the request used are no longer the stored ones), and the named check
-- fails the whole batch, so nothing it holds is written (see src/store/credentials.rs).
create table request_guard (
  refused text not null,
  constraint credential_refused check (refused <> 'credential'),
  constraint settings_changed check (refused <> 'settings')
);
