-- OAuth states already spent. KV deletes reach other locations only after about a minute, so the
-- single use of a state is decided here: the first callback inserts its row, a replay cannot.
create table oauth_state_uses (
  state_hash text primary key,
  used_at text not null
) without rowid;
