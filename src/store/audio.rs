//! Audio tracks: metadata in D1, bytes in R2 under generated keys. A track's row is written after
//! its object, and only within the owner's quota, so a failure leaves no track the user sees or
//! pays for (the object of a refused row is removed).

use super::db::{Db, Metered};
use crate::domain::time::Millis;
use crate::statement;
use serde::{Deserialize, Serialize};

use super::content::log_change;
use crate::domain::audio::Scope;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::ApiResult;

const ENTITY: Entity = Entity::Audio;
/// The table of tracks, the users' and the library's.
pub const TABLE: &str = "audio_tracks";
pub const COLUMNS: &str =
    "id, user_id, scope, title, content_type, size, etag, object_key, created_at";

/// A track; the API shows `id, title, content_type, size, scope, created_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Track {
    pub id: String,
    #[serde(skip_serializing)]
    pub user_id: String,
    pub scope: Scope,
    pub title: String,
    pub content_type: String,
    pub size: u64,
    #[serde(skip_serializing)]
    pub etag: String,
    #[serde(skip_serializing)]
    pub object_key: String,
    pub created_at: Millis,
}

/// Bytes the user's own tracks hold.
pub async fn used_bytes(db: &Db, user_id: &str) -> ApiResult<u64> {
    #[derive(Deserialize)]
    struct Used {
        used: u64,
    }
    Ok(statement!("select coalesce(sum(size), 0) as used from audio_tracks where user_id = ?1 and scope = 'user'",
        user_id
    )?
    .first_in::<Used>(db)
    .await?
    .map_or(0, |row| row.used))
}

/// Records `track`; false if a user track would take the owner past `quota` bytes (checked in
/// the insert itself, so concurrent uploads cannot overrun it together).
pub async fn insert(db: &Db, track: &Track, quota: u64) -> ApiResult<bool> {
    let results = db
        .batch(vec![
            statement!("insert into audio_tracks (id, user_id, scope, title, content_type, size, etag, object_key, created_at)
                 select ?1, ?2, ?3, ?4, ?5, cast(?6 as integer), ?7, ?8, ?9
                  where ?3 = 'library'
                     or (select coalesce(sum(size), 0) from audio_tracks where user_id = ?2 and scope = 'user')
                        + cast(?6 as integer) <= ?10",
                &track.id,
                &track.user_id,
                track.scope.as_str(),
                &track.title,
                &track.content_type,
                track.size,
                &track.etag,
                &track.object_key,
                &track.created_at,
                quota
            )?
            .queued_behind(&track.user_id),
            log_change(&track.user_id, ENTITY, &track.id, ChangeOp::Upsert, track.created_at)?,
        ])
        .await?;
    Ok(results.first().is_some_and(|result| result.changes() > 0))
}

/// A track the user may play: their own, or the library's.
pub async fn find_visible(db: &Db, user_id: &str, id: &str) -> ApiResult<Option<Track>> {
    statement!(
        &format!(
            "select {COLUMNS} from audio_tracks
              where id = ?1 and (user_id = ?2 or scope = 'library')"
        ),
        id,
        user_id
    )?
    .first_in::<Track>(db)
    .await
}

/// A page of the tracks `condition` picks (on `?1`, the user), oldest first, after the id `after`.
async fn page_where(
    db: &Db,
    condition: &str,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<Track>> {
    statement!(
        &format!(
            "select {COLUMNS} from audio_tracks
              where ({condition}) and (cast(?2 as text) is null or id > ?2) order by id limit ?3"
        ),
        user_id,
        after,
        limit
    )?
    .all_in(db)
    .await?
    .results::<Track>()
}

/// A page of the user's and the library's tracks, oldest first, after the id `after`.
pub async fn list(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<Track>> {
    page_where(
        db,
        "user_id = ?1 or scope = 'library'",
        user_id,
        after,
        limit,
    )
    .await
}

/// Removes a track's row, logged for its owner.
pub async fn delete(db: &Db, track: &Track, now: Millis) -> ApiResult<()> {
    db.batch(vec![
        statement!("delete from audio_tracks where id = ?1", &track.id)?,
        log_change(&track.user_id, ENTITY, &track.id, ChangeOp::Delete, now)?,
    ])
    .await?;
    Ok(())
}

/// A page of the tracks `user_id` uploaded (their own and any library ones), in id order: the
/// export, and the objects an erasure removes.
pub async fn uploaded_by(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<Track>> {
    page_where(db, "user_id = ?1", user_id, after, limit).await
}
