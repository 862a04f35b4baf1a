//! List pagination: `?limit=` (1–200, default 50) and an opaque `?cursor=`. A cursor names the
//! list it belongs to, so one list's cursor is a `400` on another.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;

use super::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// The decoded position after which the page starts.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn parse(list: &str, limit: Option<&str>, cursor: Option<&str>) -> ApiResult<PageRequest> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "limit",
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        // An empty `?cursor=` is the first page, like no cursor at all.
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(|c| decode_cursor(list, c))
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

impl PageRequest {
    /// How many items to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> u32 {
        self.limit + 1
    }

    /// The cursor position parsed as `T`; a position of another shape is a bad cursor.
    pub fn after_as<T: std::str::FromStr>(&self) -> ApiResult<Option<T>> {
        self.after
            .as_deref()
            .map(|position| position.parse::<T>().map_err(|_| bad_cursor()))
            .transpose()
    }

    /// The page of `fetched` (fetched with `fetch_limit`), its next cursor naming the position
    /// of its last item.
    pub fn page<T>(
        &self,
        list: &str,
        mut fetched: Vec<T>,
        position: impl Fn(&T) -> String,
    ) -> Page<T> {
        let limit = self.limit as usize;
        let next_cursor = (fetched.len() > limit).then(|| {
            fetched.truncate(limit);
            fetched
                .last()
                .map(|last| encode_cursor(list, &position(last)))
        });
        Page {
            items: fetched,
            next_cursor: next_cursor.flatten(),
        }
    }
}

/// A list payload: `{"items": [...], "next_cursor": ...}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list that fits in one page.
    pub fn complete(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }
}

fn bad_cursor() -> ApiError {
    ApiError::invalid_field("cursor", "is not a cursor of this list")
}

pub fn encode_cursor(list: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{list}:{position}"))
}

fn decode_cursor(list: &str, cursor: &str) -> ApiResult<String> {
    let bad = bad_cursor;
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let position = text
        .strip_prefix(list)
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(bad)?;
    if position.is_empty() || position.len() > 200 {
        return Err(bad());
    }
    Ok(position.to_owned())
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(PageRequest::parse("l", None, None).map(|p| p.limit), Ok(50));
        assert_eq!(
            PageRequest::parse("l", Some("200"), None).map(|p| p.limit),
            Ok(200)
        );
        for bad in ["0", "201", "-1", "ten", ""] {
            assert_eq!(
                PageRequest::parse("l", Some(bad), None).map_err(|e| e.status()),
                Err(400),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_page_of_an_overfetch_names_its_last_item() {
        let request = PageRequest::parse("n", Some("2"), None).expect("valid");
        let page = request.page("n", vec![9, 8, 7], u32::to_string);
        assert_eq!(page.items, [9, 8]);
        let next = PageRequest::parse("n", None, page.next_cursor.as_deref()).expect("cursor");
        assert_eq!(next.after_as::<u32>(), Ok(Some(8)));
        let last = request.page("n", vec![1, 2], u32::to_string);
        assert_eq!(last.next_cursor, None);
        let junk = PageRequest::parse("n", None, Some(&encode_cursor("n", "x"))).expect("cursor");
        assert!(junk.after_as::<u32>().is_err());
    }

    #[test]
    fn a_cursor_round_trips_within_its_list_only() {
        let cursor = encode_cursor("ledger", "42");
        assert_eq!(
            PageRequest::parse("ledger", None, Some(&cursor)).map(|p| p.after),
            Ok(Some("42".into()))
        );
        assert!(PageRequest::parse("rewards", None, Some(&cursor)).is_err());
        assert!(PageRequest::parse("ledger", None, Some("!!")).is_err());
        assert_eq!(
            PageRequest::parse("ledger", None, Some("")).map(|p| p.after),
            Ok(None)
        );
        assert!(PageRequest::parse("ledger", None, Some(&encode_cursor("ledger", ""))).is_err());
    }
}
