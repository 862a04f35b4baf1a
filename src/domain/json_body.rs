//! JSON request bodies, parsed once at the edge into typed values. Body types use
//! `#[serde(deny_unknown_fields)]` and newtypes whose `Deserialize` validates, so a value that
//! exists past this point is valid; every failure names the offending field.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorKind};

/// The largest JSON body the API accepts.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Parses `bytes` as `T`, turning every serde failure into a `400` that names its field.
pub fn parse_json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.len() > MAX_JSON_BODY_BYTES {
        return Err(body_too_large());
    }
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(ApiError::bad_request("a JSON body is required"));
    };
    // serde would also read a struct from an array (`[1, 2]` as its fields in order); every
    // body of this API is an object, so anything else is refused before it gets that far.
    if *first != b'{' {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(&mut deserializer).map_err(|error| describe(bytes, &error))?;
    deserializer.end().map_err(|_| {
        ApiError::bad_request("malformed JSON: trailing characters after the value")
    })?;
    Ok(value)
}

/// An integer from `MIN` to `MAX` (a count, an amount, a rating): the bounds are in the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Bounded<const MIN: u32, const MAX: u32>(pub u32);

impl<'de, const MIN: u32, const MAX: u32> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u32::try_from(integer(deserializer)?)
            .ok()
            .filter(|n| (MIN..=MAX).contains(n))
            .map(Bounded)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("must be an integer from {MIN} to {MAX}"))
            })
    }
}

/// A JSON integer, also written as a float with no fraction (`5.0`), as JSON Schema's
/// `integer` allows. Use with `#[serde(deserialize_with = ...)]` or inside a `Deserialize` impl.
pub fn integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Integer;
    impl serde::de::Visitor<'_> for Integer {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<i64, E> {
            Ok(value)
        }
        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<i64, E> {
            i64::try_from(value).map_err(|_| E::custom("is too large"))
        }
        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<i64, E> {
            // Every integer the API takes is far inside f64's exact range.
            if value.fract() == 0.0 && value.abs() < 9.0e15 {
                Ok(value as i64)
            } else {
                Err(E::custom("must be an integer"))
            }
        }
    }
    deserializer.deserialize_any(Integer)
}

pub fn body_too_large() -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!("the body is larger than {MAX_JSON_BODY_BYTES} bytes"),
    )
}

fn describe(bytes: &[u8], error: &serde_json::Error) -> ApiError {
    if error.is_syntax() || error.is_eof() {
        return ApiError::bad_request(format!("malformed JSON: {}", without_position(error)));
    }
    let mut frames = frames_at(bytes, offset_of(bytes, error.line(), error.column()));
    let problem = without_position(error);
    if problem.starts_with("unknown field `") {
        return ApiError::invalid_field(path_of(&frames), "unknown field");
    }
    if let Some(name) = problem
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        // Found at the end of its object, after the object's last key.
        if let Some(Frame::Object { key, .. }) = frames.last_mut() {
            *key = Some(name.to_owned());
        }
        return ApiError::invalid_field(path_of(&frames), "is required");
    }
    let path = path_of(&frames);
    if path == "." {
        return ApiError::bad_request(format!("invalid body: {problem}"));
    }
    ApiError::invalid_field(path, problem)
}

/// The byte offset of serde_json's 1-based line and its column (bytes read on that line).
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = match line.checked_sub(2) {
        None => 0,
        Some(newlines) => bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(newlines)
            .map_or(bytes.len(), |(at, _)| at + 1),
    };
    (line_start + column).min(bytes.len())
}

/// An object or array the parser is inside, with the key or index it is at.
enum Frame {
    Object {
        key: Option<String>,
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

/// Where the parser was when it failed at `end`, as the open objects and arrays around it.
/// serde reports a failure's position but not its field; reading the body's prefix once more,
/// only on failure, costs far less than a path-tracking deserializer compiled into every body
/// type. A failure serde_json could not place inside a value (a field's own check, a missing
/// field) is placed after the object or array that held it, so a closing bracket just before
/// `end` is not counted as closed.
fn frames_at(bytes: &[u8], end: usize) -> Vec<Frame> {
    let before = bytes[..end].trim_ascii_end();
    let end = match before.last() {
        Some(b'}' | b']') => before.len() - 1,
        _ => end,
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut at = 0;
    while at < end {
        match bytes[at] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expect_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expect_key }) => {
                    *key = None;
                    *expect_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = at;
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expect_key }) = stack.last_mut()
                    && *expect_key
                {
                    let text = bytes.get(start..=at).unwrap_or_default();
                    *key = serde_json::from_slice(text).ok();
                    *expect_key = false;
                }
            }
            _ => {}
        }
        at += 1;
    }
    stack
}

/// `repeat.every_days`, `steps[2].title`; `.` for the body itself.
fn path_of(frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
            Frame::Object { key: None, .. } => {}
        }
    }
    if path.is_empty() {
        ".".to_owned()
    } else {
        path
    }
}

/// serde_json appends " at line L column C", which says nothing useful to an API client.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Reminder {
        title: String,
        minutes: u8,
        #[serde(default)]
        repeat: Option<Repeat>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Repeat {
        every_days: u16,
    }

    fn field_error(body: &str) -> (String, String) {
        let error = parse_json_body::<Reminder>(body.as_bytes()).expect_err("must fail");
        assert_eq!(error.status(), 400, "{error}");
        let fields = error.fields.expect("fields");
        assert_eq!(fields.len(), 1);
        fields.into_iter().next().expect("one field")
    }

    #[test]
    fn a_valid_body_parses() {
        let reminder: Reminder =
            parse_json_body(br#"{"title":"stretch","minutes":5}"#).expect("valid");
        assert_eq!(reminder.minutes, 5);
        assert_eq!(reminder.repeat, None);
    }

    #[test]
    fn an_unknown_field_is_named() {
        let (field, problem) = field_error(r#"{"title":"a","minutes":1,"owner":"me"}"#);
        assert_eq!(
            (field.as_str(), problem.as_str()),
            ("owner", "unknown field")
        );
    }

    #[test]
    fn an_unknown_nested_field_is_named_with_its_path() {
        let (field, _) =
            field_error(r#"{"title":"a","minutes":1,"repeat":{"every_days":1,"x":2}}"#);
        assert_eq!(field, "repeat.x");
    }

    #[test]
    fn a_missing_field_is_named() {
        let (field, problem) = field_error(r#"{"title":"a"}"#);
        assert_eq!(
            (field.as_str(), problem.as_str()),
            ("minutes", "is required")
        );
    }

    #[test]
    fn a_wrong_type_or_range_is_named() {
        let (field, problem) = field_error(r#"{"title":"a","minutes":"five"}"#);
        assert_eq!(field, "minutes");
        assert!(problem.starts_with("invalid type"), "{problem}");
        let (field, _) = field_error(r#"{"title":"a","minutes":300}"#);
        assert_eq!(field, "minutes");
        assert!(!problem.contains("line"), "position leaked: {problem}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Plan {
        #[allow(dead_code)]
        steps: Vec<Reminder>,
    }

    #[test]
    fn a_field_inside_an_array_is_named_with_its_index() {
        let body = br#"{"steps":[{"title":"a","minutes":1},{"title":"b","minutes":"x"}]}"#;
        let error = parse_json_body::<Plan>(body).expect_err("wrong type");
        assert!(
            error
                .fields
                .expect("fields")
                .contains_key("steps[1].minutes")
        );
        let body = br#"{"steps":[{"title":"a","minutes":1},{"minutes":2}]}"#;
        let error = parse_json_body::<Plan>(body).expect_err("missing");
        assert!(error.fields.expect("fields").contains_key("steps[1].title"));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Named {
        #[allow(dead_code)]
        inner: Vec<Bounded<1, 9>>,
        #[allow(dead_code)]
        name: Title,
    }

    #[derive(Debug)]
    struct Title;

    impl<'de> Deserialize<'de> for Title {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            if text.is_empty() {
                return Err(serde::de::Error::custom("must not be empty"));
            }
            Ok(Title)
        }
    }

    #[test]
    fn a_check_after_the_value_names_its_field_last_or_not() {
        for (body, field) in [
            (r#"{"inner":[1],"name":""}"#, "name"),
            (r#"{"name":"","inner":[1]}"#, "name"),
            ("{\"inner\":[1],\n \"name\": \"\"\n}\n", "name"),
            (r#"{"name":"a","inner":[1,0]}"#, "inner[1]"),
        ] {
            let error = parse_json_body::<Named>(body.as_bytes()).expect_err(body);
            assert!(
                error.fields.as_ref().is_some_and(|f| f.contains_key(field)),
                "{body}: {error:?}"
            );
        }
    }

    #[test]
    fn strings_with_json_punctuation_and_line_breaks_do_not_mislead_the_path() {
        let body = "{\n  \"title\": \"a, \\\"b\\\": [1, {\",\n  \"repeat\": {\"every_days\": -1},\n  \"minutes\": 1\n}";
        let error = parse_json_body::<Reminder>(body.as_bytes()).expect_err("negative");
        assert!(
            error
                .fields
                .as_ref()
                .is_some_and(|f| f.contains_key("repeat.every_days")),
            "{error:?}"
        );
        let (field, _) =
            field_error("{\"title\":\"\u{e9}\\u0022\",\n\"minutes\":1,\n\"wh\\u00e9re\":0}");
        assert_eq!(field, "wh\u{e9}re");
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn the_failing_field_is_found_whatever_comes_before_it(title in ".*", pretty in proptest::bool::ANY) {
            let title = serde_json::to_string(&title).expect("json");
            let gap = if pretty { "\n  " } else { "" };
            let body = format!(r#"{{{gap}"title": {title},{gap}"repeat": {{"every_days": 1}},{gap}"minutes": "five"}}"#);
            let (field, _) = field_error(&body);
            proptest::prop_assert_eq!(field, "minutes");
        }
    }

    #[test]
    fn malformed_json_empty_bodies_and_trailing_garbage_are_bad_requests() {
        for body in ["{", "", "   ", r#"{"title":"a","minutes":1} x"#, "nope"] {
            let error = parse_json_body::<Reminder>(body.as_bytes()).expect_err(body);
            assert_eq!(error.status(), 400, "{body:?}");
            assert!(error.fields.is_none(), "{body:?}");
        }
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_a_bad_request() {
        for body in [&b"[1,2]"[..], b"[\"a\", 5]", b"\"text\"", b"5", b"null"] {
            let error = parse_json_body::<Reminder>(body).expect_err("not an object");
            assert_eq!(error.status(), 400);
        }
    }

    #[derive(Debug, Deserialize)]
    struct Count {
        #[serde(deserialize_with = "integer")]
        n: i64,
    }

    #[test]
    fn integers_may_be_written_as_whole_floats() {
        assert_eq!(parse_json_body::<Count>(br#"{"n": 5}"#).map(|c| c.n), Ok(5));
        assert_eq!(
            parse_json_body::<Count>(br#"{"n": 5.0}"#).map(|c| c.n),
            Ok(5)
        );
        assert_eq!(
            parse_json_body::<Count>(br#"{"n": -2.0}"#).map(|c| c.n),
            Ok(-2)
        );
        for bad in [r#"{"n": 5.5}"#, r#"{"n": "5"}"#, r#"{"n": 1e300}"#] {
            let error = parse_json_body::<Count>(bad.as_bytes()).expect_err(bad);
            assert!(error.fields.is_some_and(|f| f.contains_key("n")), "{bad}");
        }
    }

    #[test]
    fn a_body_over_64_kib_is_too_large() {
        let title = "a".repeat(MAX_JSON_BODY_BYTES);
        let body = format!(r#"{{"title":"{title}","minutes":1}}"#);
        let error = parse_json_body::<Reminder>(body.as_bytes()).expect_err("too large");
        assert_eq!(error.status(), 413);
    }
}
