//! `/api/books`: the shared content routes; a book reaching `finished` (by creation or PATCH)
//! awards once per book, keyed by its id, however often it moves back and forth.

use worker::Response;

use super::content::{self, Awarded};
use crate::auth;
use crate::domain::content::book::{BookPatch, BookStatus, NewBook, check_reading_dates};
use crate::domain::economy::{AwardRequest, CounterChange, EventType, Skill, rules};
use crate::domain::error::{ApiError, ApiResult};
use crate::http::{RequestContext, ok};
use crate::store::books::{self, Book, Books};
use crate::store::content as store;
use crate::store::content::Kind;

fn award_for(book: &Book) -> Option<AwardRequest> {
    (book.status == BookStatus::Finished).then(|| AwardRequest {
        key: format!("book:{}", book.id),
        event_type: EventType::BookFinished,
        reason: format!("book finished: {}", book.title),
        source_id: Some(book.id.clone()),
        xp: rules::BOOK_FINISHED.xp,
        coins: rules::BOOK_FINISHED.coins,
        skill: Some(Skill::Learning),
        counters: CounterChange {
            books_finished: 1,
            ..CounterChange::default()
        },
    })
}

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: NewBook = cx.json().await?;
    check_reading_dates(body.started_on, body.finished_on)?;
    let book = books::new_book(&cx.item_id(body.id.as_ref())?, &body, cx.now());
    let db = cx.db()?;
    let insert = |record| books::create(&db, &caller.user_id, &book, record);
    content::created_awarding(
        &cx,
        &caller,
        Books::TABLE,
        (book.clone(), body.id.as_ref()),
        insert,
        award_for,
    )
    .await
}

/// `PATCH /api/books/{id}`: the book with the award that moving it to `finished` earned (`null`
/// otherwise, and when it had been finished before).
pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = content::item_id(&cx)?;
    let patch: BookPatch = cx.json().await?;
    if let (Some(started_on), Some(finished_on)) = (patch.started_on, patch.finished_on) {
        check_reading_dates(started_on, finished_on)?;
    }
    let db = cx.db()?;
    let Some(book) = books::update(&db, &caller.user_id, &id, &patch, cx.now()).await? else {
        return match store::find::<Books>(&db, &caller.user_id, &id).await? {
            Some(book) if book.is_active => Err(ApiError::invalid_field(
                if patch.finished_on.is_some() {
                    "finished_on"
                } else {
                    "started_on"
                },
                "a book cannot be finished before it was started",
            )),
            _ => Err(ApiError::not_found("book")),
        };
    };
    let award = match award_for(&book).filter(|_| patch.status == Some(BookStatus::Finished)) {
        Some(request) => {
            let (outcome, replayed) = content::award(&cx, &caller.user_id, request).await?;
            (!replayed).then_some(outcome)
        }
        None => None,
    };
    ok(&Awarded {
        item: book,
        award,
        already_completed: None,
    })
}
