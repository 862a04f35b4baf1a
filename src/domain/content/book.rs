//! Books: a reading list. Moving a book to `finished` awards once per book, however often it
//! moves back and forth.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Metadata, nullable, present};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::id::ChosenId;
use crate::domain::json_body::Bounded;
use crate::domain::text::{Text, Title};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookStatus {
    WantToRead,
    Reading,
    Finished,
    Abandoned,
}

impl BookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookStatus::WantToRead => "want_to_read",
            BookStatus::Reading => "reading",
            BookStatus::Finished => "finished",
            BookStatus::Abandoned => "abandoned",
        }
    }
}

pub type Author = Text<0, 200>;
pub type Rating = Bounded<1, 5>;
pub type Pages = Bounded<1, 100_000>;

/// `POST /api/books`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBook {
    /// Chosen by the client so later operations can name the item before it is created.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<ChosenId>,
    pub title: Title,
    #[serde(default, deserialize_with = "present")]
    pub author: Option<Author>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<BookStatus>,
    #[serde(default, deserialize_with = "present")]
    pub rating: Option<Rating>,
    #[serde(default, deserialize_with = "present")]
    pub pages: Option<Pages>,
    #[serde(default, deserialize_with = "present")]
    pub started_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    pub finished_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// `PATCH /api/books/{id}`: the optional fields can be cleared with `null`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookPatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Title>,
    #[serde(default, deserialize_with = "present")]
    pub author: Option<Author>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<BookStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub rating: Option<Option<Rating>>,
    #[serde(default, deserialize_with = "nullable")]
    pub pages: Option<Option<Pages>>,
    #[serde(default, deserialize_with = "nullable")]
    pub started_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub finished_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// A book cannot be finished before it was started.
pub fn check_reading_dates(
    started_on: Option<NaiveDate>,
    finished_on: Option<NaiveDate>,
) -> ApiResult<()> {
    match (started_on, finished_on) {
        (Some(started), Some(finished)) if finished < started => Err(ApiError::invalid_field(
            "finished_on",
            "must not be before started_on",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    #[test]
    fn a_book_is_validated_field_by_field() {
        let book: NewBook = parse_json_body(
            br#"{"title":"Dune","author":"Frank Herbert","status":"want_to_read","rating":5,"pages":612}"#,
        )
        .expect("valid");
        assert_eq!(book.status, Some(BookStatus::WantToRead));
        for (body, field) in [
            (r#"{"title":"Dune","rating":0}"#, "rating"),
            (r#"{"title":"Dune","rating":6}"#, "rating"),
            (r#"{"title":"Dune","pages":0}"#, "pages"),
            (r#"{"title":"Dune","status":"done"}"#, "status"),
            (r#"{"title":"Dune","started_on":"yesterday"}"#, "started_on"),
            (r#"{"title":"Dune","awarded":true}"#, "awarded"),
        ] {
            let error = parse_json_body::<NewBook>(body.as_bytes()).expect_err(body);
            assert!(
                error.fields.is_some_and(|f| f.contains_key(field)),
                "{body} should name {field}"
            );
        }
        let long_author = format!(r#"{{"title":"Dune","author":"{}"}}"#, "a".repeat(201));
        assert!(parse_json_body::<NewBook>(long_author.as_bytes()).is_err());
        let patch: BookPatch = parse_json_body(br#"{"rating":null}"#).expect("valid");
        assert_eq!(patch.rating, Some(None));
    }

    #[test]
    fn a_book_is_finished_after_it_is_started() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d);
        assert!(check_reading_dates(day(1), day(2)).is_ok());
        assert!(check_reading_dates(day(2), day(2)).is_ok());
        assert!(check_reading_dates(None, day(2)).is_ok());
        assert!(check_reading_dates(day(3), day(2)).is_err());
    }
}
