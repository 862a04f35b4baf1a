//! Users and their sign-in identities in D1. A user is found by (issuer, subject), never by
//! e-mail alone.

use std::collections::BTreeMap;

use super::db::{Db, Metered};
use super::entities;
use crate::statement;
use serde::Deserialize;

use crate::domain::error::ApiResult;
use crate::domain::time::Millis;
use crate::domain::user::{Role, User, VouchedIdentity};

/// A user row as D1 returns it (booleans are integers there).
#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: i64,
    pub created_at: String,
    /// Read where a request needs it (authentication), absent elsewhere.
    #[serde(default)]
    pub settings: Option<String>,
}

impl UserRow {
    pub fn is_disabled(&self) -> bool {
        self.disabled != 0
    }

    pub fn into_user(self) -> User {
        User {
            id: self.id,
            email: self.email,
            name: self.name,
            role: self.role,
            created_at: self.created_at,
        }
    }
}

/// Finds the user of an identity, refreshing e-mail and name, or creates both in one batch.
/// `role` is what this sign-in grants (`ADMIN_EMAILS`); it never demotes an existing admin.
pub async fn sign_in(
    db: &Db,
    identity: &VouchedIdentity<'_>,
    role: Role,
    new_user_id: &str,
    now: Millis,
) -> ApiResult<UserRow> {
    let now = now.to_rfc3339();
    if let Some(user) = find_by_identity(db, identity.issuer, identity.subject).await? {
        let promote = if role == Role::Admin {
            Role::Admin
        } else {
            user.role
        };
        let refreshed = statement!(
            "update users set email = ?2, name = ?3, role = ?4, updated_at = ?5 where id = ?1
             returning id, email, name, role, disabled, created_at, settings",
            &user.id,
            identity.email.as_str(),
            identity.name.as_str(),
            promote.as_str(),
            &now
        )?
        .first_in::<UserRow>(db)
        .await?;
        return Ok(refreshed.unwrap_or(user));
    }
    let created = db
        .batch(vec![
            statement!("insert into users (id, email, name, role, created_at, updated_at) values (?1, ?2, ?3, ?4, ?5, ?5)",
                new_user_id,
                identity.email.as_str(),
                identity.name.as_str(),
                role.as_str(),
                &now
            )?,
            statement!("insert into user_identities (issuer, subject, user_id, created_at) values (?1, ?2, ?3, ?4)",
                identity.issuer,
                identity.subject,
                new_user_id,
                &now
            )?,
        ])
        .await;
    // Two first sign-ins of one identity race: the loser's batch fails on the identity's
    // primary key and rolls back whole, and the winner's user is the one to use.
    match (
        created,
        find_by_identity(db, identity.issuer, identity.subject).await?,
    ) {
        (_, Some(user)) => Ok(user),
        (Err(error), None) => Err(error),
        (Ok(_), None) => Err(crate::domain::error::ApiError::internal(
            "a created identity could not be read back",
        )),
    }
}

async fn find_by_identity(db: &Db, issuer: &str, subject: &str) -> ApiResult<Option<UserRow>> {
    statement!(
        "select u.id, u.email, u.name, u.role, u.disabled, u.created_at
           from user_identities i join users u on u.id = i.user_id
          where i.issuer = ?1 and i.subject = ?2",
        issuer,
        subject
    )?
    .first_in::<UserRow>(db)
    .await
}

pub async fn find_by_id(db: &Db, id: &str) -> ApiResult<Option<UserRow>> {
    statement!(
        "select id, email, name, role, disabled, created_at from users where id = ?1",
        id
    )?
    .first_in::<UserRow>(db)
    .await
}

/// What changes of role and of the disabled flag queue behind: whether an admin stays is a
/// question about every user.
const ADMINS: &str = "admins";

/// Sets a user's role and disabled flag; `None` for a user that does not exist.
pub async fn update(
    db: &Db,
    id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
    now: Millis,
) -> ApiResult<Option<UserRow>> {
    statement!(// The last enabled admin is neither demoted nor disabled, checked inside the write so
        // two admins demoting each other at once leave one.
        "update users set role = coalesce(?2, role), disabled = coalesce(?3, disabled), updated_at = ?4
          where id = ?1
            and (not (role = 'admin' and disabled = 0
                      and (coalesce(?2, role) <> 'admin' or coalesce(?3, disabled) <> 0))
                 or exists (select 1 from users
                             where role = 'admin' and disabled = 0 and id <> ?1))
          returning id, email, name, role, disabled, created_at, settings",
        id,
        role.map(Role::as_str),
        disabled.map(i64::from),
        now.to_rfc3339()
    )?
    .queued_behind(ADMINS)
    .first_in::<UserRow>(db)
    .await
}

/// A page of users whose e-mail or name starts with `prefix` (case-insensitive), in id order
/// after the id `after`. A plain prefix comparison, not LIKE: no wildcards to escape, and D1 caps
/// LIKE patterns at 50 bytes.
pub async fn search(
    db: &Db,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<UserRow>> {
    let prefix = prefix.map(str::to_lowercase);
    statement!(
        "select id, email, name, role, disabled, created_at from users
          where (cast(?1 as text) is null
                 or substr(lower(email), 1, length(?1)) = ?1
                 or substr(lower(name), 1, length(?1)) = ?1)
            and (cast(?2 as text) is null or id > ?2)
          order by id limit ?3",
        prefix,
        after,
        limit
    )?
    .all_in(db)
    .await?
    .results::<UserRow>()
}

/// How much a user has: what they hold of each entity, by its plural (`entities::held_counts`),
/// and `live_sessions`.
pub type Holdings = BTreeMap<String, u64>;

pub async fn holdings(db: &Db, user_id: &str, now: Millis) -> ApiResult<Option<Holdings>> {
    statement!(&format!(
            "select
           {},
           (select count(*) from sessions where user_id = ?1 and ended_at is null and expires_at > ?2) as live_sessions",
            entities::held_counts()
        ),
        user_id,
        now.to_rfc3339()
    )?
    .first_in::<Holdings>(db)
    .await
}
