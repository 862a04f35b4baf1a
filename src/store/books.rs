//! Books in D1.

use super::db::Db;
use super::db::Statement;
use crate::statement;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::content::{self, Kind, flag, stored_metadata};
use crate::domain::content::Metadata;
use crate::domain::content::book::{BookPatch, BookStatus, NewBook};
use crate::domain::content::filter::{self, Filter};
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub struct Books;

impl Kind for Books {
    const TABLE: &'static str = "books";
    const ENTITY: Entity = Entity::Book;
    const COLUMNS: &'static str = "id, title, author, status, rating, pages, started_on, finished_on, metadata, is_active, deleted_at, created_at, updated_at";
    const FILTERS: &'static [Filter] = filter::BOOK_FILTERS;
    type Item = Book;

    fn id(book: &Book) -> &str {
        &book.id
    }

    fn is_active(book: &Book) -> bool {
        book.is_active
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Book {
    pub id: String,
    pub title: String,
    pub author: String,
    pub status: BookStatus,
    pub rating: Option<u32>,
    pub pages: Option<u32>,
    pub started_on: Option<NaiveDate>,
    pub finished_on: Option<NaiveDate>,
    #[serde(deserialize_with = "stored_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "flag")]
    pub is_active: bool,
    pub deleted_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The book `create` will write, as the response shows it.
pub fn new_book(id: &str, book: &NewBook, now: Millis) -> Book {
    Book {
        id: id.to_owned(),
        title: book.title.as_str().to_owned(),
        author: book
            .author
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        status: book.status.unwrap_or(BookStatus::WantToRead),
        rating: book.rating.map(|r| r.0),
        pages: book.pages.map(|p| p.0),
        started_on: book.started_on,
        finished_on: book.finished_on,
        metadata: book.metadata.clone().unwrap_or_default(),
        is_active: true,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    }
}

pub async fn create(db: &Db, user_id: &str, book: &Book, extra: Vec<Statement>) -> ApiResult<()> {
    let insert = statement!("insert into books (id, user_id, title, author, status, rating, pages, started_on, finished_on, metadata, created_at, updated_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        &book.id,
        user_id,
        &book.title,
        &book.author,
        book.status.as_str(),
        book.rating,
        book.pages,
        &book.started_on,
        &book.finished_on,
        book.metadata.to_stored(),
        &book.created_at
    )?;
    content::create::<Books>(db, user_id, &book.id, insert, book.created_at, extra).await
}

/// Applies a patch to an active book; `None` when there is none. The dates are checked in the
/// same statement, against the stored ones a patch leaves alone: `None` too when they would be
/// out of order (the caller tells the two apart).
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    patch: &BookPatch,
    now: Millis,
) -> ApiResult<Option<Book>> {
    let (started_on, finished_on) = (patch.started_on, patch.finished_on);
    let statement = statement!(
        &format!(
            "update books set
               title = coalesce(?3, title),
               author = coalesce(?4, author),
               status = coalesce(?5, status),
               rating = case when ?6 then ?7 else rating end,
               pages = case when ?8 then ?9 else pages end,
               started_on = case when ?10 then ?11 else started_on end,
               finished_on = case when ?12 then ?13 else finished_on end,
               metadata = coalesce(?14, metadata),
               updated_at = ?15
             where id = ?1 and user_id = ?2 and is_active = 1
               and coalesce(case when ?12 then ?13 else finished_on end, '9999')
                   >= coalesce(case when ?10 then ?11 else started_on end, '0000')
             returning {}",
            Books::COLUMNS
        ),
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_str()),
        patch.author.as_ref().map(|a| a.as_str()),
        patch.status.map(BookStatus::as_str),
        patch.rating.is_some(),
        patch.rating.flatten().map(|r| r.0),
        patch.pages.is_some(),
        patch.pages.flatten().map(|p| p.0),
        started_on.is_some(),
        started_on.flatten(),
        finished_on.is_some(),
        finished_on.flatten(),
        patch.metadata.as_ref().map(Metadata::to_stored),
        &now
    )?;
    content::write::<Books>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}
