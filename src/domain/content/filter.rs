//! A list's filters: `?status=`, `?category=`, a date range on the kind's date field, and `?q=`,
//! a full-text search. Each kind declares the filters it takes (`Filter`); a request's query
//! parameters parse once into `Condition`s that both stores turn into the same SQL meaning.

use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::book::BookStatus;
use super::goal::GoalStatus;
use super::habit::FrequencyName;
use super::quest::StoredQuestStatus;
use crate::domain::economy::Skill;
use crate::domain::economy::rules::Intensity;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::time::Millis;

/// A filter a kind's list takes.
#[derive(Debug, Clone, Copy)]
pub enum Filter {
    /// `?{field}=` one of the stored values of an enum field.
    Choice {
        field: &'static str,
        stored: fn(&str) -> Result<String, String>,
    },
    /// `?{field}_from=` and `?{field}_to=`, days (`YYYY-MM-DD`), both ends included.
    Days { field: &'static str },
    /// `?{field}_from=` and `?{field}_to=`, RFC 3339 instants, both ends included.
    Instants { field: &'static str },
    /// A quest's `?status=`: `open` and `expired` are both stored open, told apart by the
    /// deadline.
    QuestStatus,
    /// `?q=`: words searched for in the kind's text fields.
    Search,
}

/// The stored name of `text` read as the enum `T`; else serde's message, which lists the values.
fn stored<T: DeserializeOwned + Serialize>(text: &str) -> Result<String, String> {
    let value: T = serde_json::from_value(serde_json::Value::from(text)).map_err(|e| {
        let message = e.to_string();
        // "unknown variant `x`, expected one of `a`, `b`" → "must be one of `a`, `b`".
        message
            .split_once("expected ")
            .map_or(message.clone(), |(_, expected)| {
                format!("must be {expected}")
            })
    })?;
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err("is not a stored value".to_owned()),
    }
}

const CATEGORY: Filter = Filter::Choice {
    field: "category",
    stored: stored::<Skill>,
};

pub const GOAL_FILTERS: &[Filter] = &[
    Filter::Choice {
        field: "status",
        stored: stored::<GoalStatus>,
    },
    CATEGORY,
    Filter::Days {
        field: "target_date",
    },
    Filter::Search,
];

pub const HABIT_FILTERS: &[Filter] = &[
    CATEGORY,
    Filter::Choice {
        field: "frequency",
        stored: stored::<FrequencyName>,
    },
    Filter::Search,
];

pub const QUEST_FILTERS: &[Filter] = &[
    Filter::QuestStatus,
    CATEGORY,
    Filter::Instants { field: "deadline" },
    Filter::Search,
];

pub const WORKOUT_FILTERS: &[Filter] = &[
    Filter::Choice {
        field: "intensity",
        stored: stored::<Intensity>,
    },
    Filter::Instants {
        field: "performed_at",
    },
    Filter::Search,
];

pub const BOOK_FILTERS: &[Filter] = &[
    Filter::Choice {
        field: "status",
        stored: stored::<BookStatus>,
    },
    Filter::Days {
        field: "finished_on",
    },
    Filter::Search,
];

/// How a condition compares its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equal,
    AtLeast,
    AtMost,
    After,
}

/// One condition every item of the list meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `field <comparison> value`, the value as the field is stored.
    Compare {
        field: &'static str,
        comparison: Comparison,
        value: String,
    },
    /// Every word is the start of a word of the item's text.
    Matches(SearchTerms),
}

/// At most this many words in `?q=`, each at most `MAX_TERM_CHARS` long.
pub const MAX_TERMS: usize = 8;
pub const MAX_TERM_CHARS: usize = 64;
const MAX_QUERY_CHARS: usize = 256;

/// The words of a search, lowercased: the runs of letters and digits of `?q=`, as both stores
/// split the searched text (D1's FTS5 `unicode61`, and the text Postgres indexes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    pub fn parse(text: &str) -> ApiResult<SearchTerms> {
        let invalid = |problem: &str| ApiError::invalid_field("q", problem);
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid("must be at most 256 characters"));
        }
        let terms: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect();
        if terms.is_empty() {
            return Err(invalid("must contain a letter or a digit"));
        }
        if terms.len() > MAX_TERMS {
            return Err(invalid("must be at most 8 words"));
        }
        if terms.iter().any(|t| t.chars().count() > MAX_TERM_CHARS) {
            return Err(invalid("must have words of at most 64 characters"));
        }
        Ok(SearchTerms(terms))
    }

    pub fn terms(&self) -> &[String] {
        &self.0
    }
}

/// The conditions of a list request: its query parameters read against the kind's `filters`.
/// Any other parameter than these, `limit` and `cursor` is refused, so a misspelt filter never
/// silently lists everything. An empty value is no filter, as an empty `?cursor=` is no cursor.
pub fn conditions<'a>(
    filters: &[Filter],
    query: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: Millis,
) -> ApiResult<Vec<Condition>> {
    let mut conditions = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in query {
        if name == "limit" || name == "cursor" {
            continue;
        }
        if seen.contains(&name) {
            return Err(ApiError::invalid_field(name, "must be given at most once"));
        }
        seen.push(name);
        let filter = filters
            .iter()
            .find(|filter| filter.takes(name))
            .ok_or_else(|| ApiError::invalid_field(name, "is not a filter of this list"))?;
        if !value.is_empty() {
            conditions.extend(filter.read(name, value, now)?);
        }
    }
    Ok(conditions)
}

const STATUS: &str = "status";

impl Filter {
    fn takes(&self, name: &str) -> bool {
        match *self {
            Filter::Choice { field, .. } => name == field,
            Filter::Days { field } | Filter::Instants { field } => range_end(field, name).is_some(),
            Filter::QuestStatus => name == STATUS,
            Filter::Search => name == "q",
        }
    }

    fn read(&self, name: &str, value: &str, now: Millis) -> ApiResult<Vec<Condition>> {
        let invalid = |problem: String| ApiError::invalid_field(name, problem);
        Ok(match *self {
            Filter::Choice { field, stored } => {
                vec![compare(
                    field,
                    Comparison::Equal,
                    stored(value).map_err(invalid)?,
                )]
            }
            Filter::Days { field } => {
                let day = value
                    .parse::<NaiveDate>()
                    .map_err(|_| invalid("must be a date such as 2027-01-31".into()))?;
                vec![compare(
                    field,
                    range_comparison(field, name),
                    day.to_string(),
                )]
            }
            Filter::Instants { field } => {
                let instant = Millis::parse_rfc3339(value).ok_or_else(|| {
                    invalid("must be an RFC 3339 time such as 2026-01-31T09:30:00Z".into())
                })?;
                vec![compare(
                    field,
                    range_comparison(field, name),
                    instant.to_rfc3339(),
                )]
            }
            Filter::QuestStatus => quest_status(value, now).map_err(invalid)?,
            Filter::Search => vec![Condition::Matches(SearchTerms::parse(value)?)],
        })
    }
}

fn compare(field: &'static str, comparison: Comparison, value: String) -> Condition {
    Condition::Compare {
        field,
        comparison,
        value,
    }
}

/// `Some(true)` for `{field}_from`, `Some(false)` for `{field}_to`.
fn range_end(field: &str, name: &str) -> Option<bool> {
    match name.strip_prefix(field)? {
        "_from" => Some(true),
        "_to" => Some(false),
        _ => None,
    }
}

fn range_comparison(field: &str, name: &str) -> Comparison {
    match range_end(field, name) {
        Some(true) => Comparison::AtLeast,
        _ => Comparison::AtMost,
    }
}

/// A quest's shown status as stored conditions: open means stored open with the deadline ahead.
fn quest_status(value: &str, now: Millis) -> Result<Vec<Condition>, String> {
    let deadline = |comparison| compare("deadline", comparison, now.to_rfc3339());
    let open = || {
        compare(
            STATUS,
            Comparison::Equal,
            StoredQuestStatus::Open.as_str().into(),
        )
    };
    Ok(match value {
        "open" => vec![open(), deadline(Comparison::After)],
        "expired" => vec![open(), deadline(Comparison::AtMost)],
        other => vec![compare(
            STATUS,
            Comparison::Equal,
            stored::<StoredQuestStatus>(other)
                .ok()
                .filter(|status| status != "open")
                .ok_or("must be one of `open`, `completed`, `expired`, `abandoned`")?,
        )],
    })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const NOW: Millis = Millis(1_800_000_000_000);

    fn read(filters: &[Filter], query: &[(&str, &str)]) -> ApiResult<Vec<Condition>> {
        conditions(filters, query.iter().copied(), NOW)
    }

    fn problem(filters: &[Filter], query: &[(&str, &str)]) -> String {
        read(filters, query).expect_err("refused").message
    }

    #[test]
    fn a_choice_reads_the_stored_name_and_lists_the_values_when_wrong() {
        assert_eq!(
            read(
                GOAL_FILTERS,
                &[("status", "completed"), ("category", "fitness")]
            )
            .unwrap(),
            vec![
                compare("status", Comparison::Equal, "completed".into()),
                compare("category", Comparison::Equal, "fitness".into()),
            ]
        );
        assert_eq!(
            read(BOOK_FILTERS, &[("status", "want_to_read")]).unwrap(),
            vec![compare("status", Comparison::Equal, "want_to_read".into())]
        );
        assert_eq!(
            problem(GOAL_FILTERS, &[("status", "done")]),
            "status: must be one of `active`, `completed`, `abandoned`"
        );
        assert!(
            problem(HABIT_FILTERS, &[("frequency", "Daily")]).starts_with("frequency: must be")
        );
    }

    #[test]
    fn ranges_include_both_ends_in_the_stored_format() {
        assert_eq!(
            read(
                QUEST_FILTERS,
                &[
                    ("deadline_from", "2027-01-01T10:00:00+01:00"),
                    ("deadline_to", "2027-02-01T00:00:00Z")
                ]
            )
            .unwrap(),
            vec![
                compare(
                    "deadline",
                    Comparison::AtLeast,
                    "2027-01-01T09:00:00.000Z".into()
                ),
                compare(
                    "deadline",
                    Comparison::AtMost,
                    "2027-02-01T00:00:00.000Z".into()
                ),
            ]
        );
        assert_eq!(
            read(BOOK_FILTERS, &[("finished_on_to", "2026-12-31")]).unwrap(),
            vec![compare(
                "finished_on",
                Comparison::AtMost,
                "2026-12-31".into()
            )]
        );
        assert!(problem(BOOK_FILTERS, &[("finished_on_from", "2026-02-30")]).contains("a date"));
        assert!(problem(WORKOUT_FILTERS, &[("performed_at_to", "yesterday")]).contains("RFC 3339"));
    }

    #[test]
    fn a_quest_is_open_or_expired_by_its_deadline() {
        let now = NOW.to_rfc3339();
        assert_eq!(
            read(QUEST_FILTERS, &[("status", "open")]).unwrap(),
            vec![
                compare("status", Comparison::Equal, "open".into()),
                compare("deadline", Comparison::After, now.clone()),
            ]
        );
        assert_eq!(
            read(QUEST_FILTERS, &[("status", "expired")]).unwrap(),
            vec![
                compare("status", Comparison::Equal, "open".into()),
                compare("deadline", Comparison::AtMost, now),
            ]
        );
        assert_eq!(
            read(QUEST_FILTERS, &[("status", "abandoned")]).unwrap(),
            vec![compare("status", Comparison::Equal, "abandoned".into())]
        );
        assert!(problem(QUEST_FILTERS, &[("status", "Open")]).contains("`expired`"));
    }

    #[test]
    fn unknown_repeated_and_empty_parameters() {
        assert_eq!(
            problem(HABIT_FILTERS, &[("status", "active")]),
            "status: is not a filter of this list"
        );
        assert_eq!(
            problem(GOAL_FILTERS, &[("target_date_since", "2027-01-01")]),
            "target_date_since: is not a filter of this list"
        );
        assert_eq!(
            problem(GOAL_FILTERS, &[("q", "a"), ("q", "b")]),
            "q: must be given at most once"
        );
        assert_eq!(
            read(
                GOAL_FILTERS,
                &[("status", ""), ("q", ""), ("limit", "5"), ("cursor", "")]
            )
            .unwrap(),
            vec![]
        );
    }

    #[test]
    fn search_words_are_the_lowercased_runs_of_letters_and_digits() {
        let terms = SearchTerms::parse("  Déjà-vu: RUST's 2nd   edition!").unwrap();
        assert_eq!(terms.terms(), ["déjà", "vu", "rust", "s", "2nd", "edition"]);
        assert!(SearchTerms::parse("?!—").is_err());
        assert!(SearchTerms::parse("a b c d e f g h i").is_err());
        assert!(SearchTerms::parse(&"x".repeat(65)).is_err());
        assert!(SearchTerms::parse(&"ab ".repeat(100)).is_err());
    }
}
