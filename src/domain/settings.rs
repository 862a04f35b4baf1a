//! User settings: the full object with defaults, changed by JSON merge patch (RFC 7396). A patch
//! is merged into the current settings as JSON, then the result is parsed whole into `Settings`,
//! so every field is validated, unknown keys are refused, and `null` resets a field to its default.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::economy::Skill;
use super::error::{ApiError, ApiResult};
use super::habit::Vacation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    #[default]
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Notifications {
    pub email: bool,
    pub push: bool,
    pub reminders: bool,
    pub reminder_time: ClockTime,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications {
            email: true,
            push: false,
            reminders: false,
            reminder_time: ClockTime(9 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Onboarding {
    pub completed: bool,
    pub interests: Interests,
}

/// The settings object of API.md, plus `day_start_hour` and `vacation_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub theme: Theme,
    pub accent_color: AccentColor,
    /// An IANA zone name, checked against the runtime's zone database at the edge.
    pub timezone: String,
    pub language: LanguageTag,
    pub notifications: Notifications,
    pub onboarding: Onboarding,
    pub feature_flags: FeatureFlags,
    /// The hour (0–23, local) at which a new day begins, for night owls.
    pub day_start_hour: DayStartHour,
    /// Missed days up to and including this day freeze streaks instead of breaking them.
    pub vacation_until: Option<NaiveDate>,
    /// The day the vacation was set, kept by the server: days missed before it still break a
    /// streak, so a vacation cannot heal one after the fact.
    pub vacation_since: Option<NaiveDate>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            accent_color: AccentColor("#6366f1".into()),
            timezone: "UTC".into(),
            language: LanguageTag("en".into()),
            notifications: Notifications::default(),
            onboarding: Onboarding::default(),
            feature_flags: FeatureFlags::default(),
            day_start_hour: DayStartHour(0),
            vacation_until: None,
            vacation_since: None,
        }
    }
}

impl Settings {
    /// Settings as stored; a missing or unreadable record is the defaults.
    pub fn from_stored(stored: Option<&str>) -> Settings {
        stored
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }

    /// Applies a merge patch and validates the result; `is_zone` says whether a zone name exists,
    /// `today` is the user's day (when a new vacation starts).
    pub fn patched(
        &self,
        patch: &Value,
        is_zone: impl Fn(&str) -> bool,
        today: NaiveDate,
    ) -> ApiResult<Settings> {
        let Value::Object(patch) = patch else {
            return Err(ApiError::bad_request(
                "a settings patch must be a JSON object",
            ));
        };
        if patch.contains_key("vacation_since") {
            return Err(ApiError::invalid_field(
                "vacation_since",
                "is read-only: it is the day vacation_until was set",
            ));
        }
        let mut merged =
            serde_json::to_value(self).map_err(|e| ApiError::internal(format!("settings: {e}")))?;
        // Checked on the patch itself: a `null` for an unknown key would vanish in the merge.
        if let Some(unknown) = patch.keys().find(|key| merged.get(key.as_str()).is_none()) {
            return Err(ApiError::invalid_field(unknown, "unknown field"));
        }
        merge(&mut merged, patch);
        let bytes = serde_json::to_vec(&merged)
            .map_err(|e| ApiError::internal(format!("settings: {e}")))?;
        let settings: Settings = super::json_body::parse_json_body(&bytes)?;
        if !is_zone(&settings.timezone) {
            return Err(ApiError::invalid_field(
                "timezone",
                "is not an IANA time zone name",
            ));
        }
        Ok(Settings {
            vacation_since: self.vacation_since_after(settings.vacation_until, today),
            ..settings
        })
    }

    /// The vacation streaks freeze in, if one is set.
    pub fn vacation(&self) -> Option<Vacation> {
        Some(Vacation {
            since: self.vacation_since?,
            until: self.vacation_until?,
        })
    }

    /// A vacation that is on keeps its start when it is extended or shortened; a new one starts
    /// today.
    fn vacation_since_after(
        &self,
        until: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        until?;
        match (self.vacation_since, self.vacation_until) {
            (Some(since), Some(old_until)) if old_until >= today => Some(since),
            _ => Some(today),
        }
    }
}

/// RFC 7396: objects merge key by key, `null` removes a key (here: back to its default), any
/// other value replaces.
fn merge(target: &mut Value, patch: &Map<String, Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner) => merge(target.entry(key.clone()).or_insert(Value::Null), inner),
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

macro_rules! validated_string {
    ($name:ident, $check:expr, $problem:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                let check: fn(&str) -> bool = $check;
                if check(&text) {
                    Ok($name(text))
                } else {
                    Err(serde::de::Error::custom($problem))
                }
            }
        }
    };
}

validated_string!(
    AccentColor,
    |t| t.len() == 7 && t.starts_with('#') && t[1..].bytes().all(|b| b.is_ascii_hexdigit()),
    "must be a #rrggbb color"
);

validated_string!(
    LanguageTag,
    is_language_tag,
    "must be a BCP 47 language tag such as en or pt-BR"
);

/// The shape of a BCP 47 tag: a 2–3 (or 5–8) letter language, then 1–8 character subtags.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let language = subtags.next().unwrap_or_default();
    let language_ok = matches!(language.len(), 2 | 3 | 5..=8)
        && language.bytes().all(|b| b.is_ascii_alphabetic());
    tag.len() <= 35
        && language_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `HH:MM`, stored as minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime(u16);

impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{:02}:{:02}", self.0 / 60, self.0 % 60))
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let parsed = text
            .split_once(':')
            .filter(|(h, m)| h.len() == 2 && m.len() == 2)
            .and_then(|(h, m)| Some((h.parse::<u16>().ok()?, m.parse::<u16>().ok()?)))
            .filter(|&(h, m)| h < 24 && m < 60);
        parsed
            .map(|(h, m)| ClockTime(h * 60 + m))
            .ok_or_else(|| serde::de::Error::custom("must be a time HH:MM"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DayStartHour(pub u8);

impl<'de> Deserialize<'de> for DayStartHour {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hour = super::json_body::integer(deserializer)?;
        u8::try_from(hour)
            .ok()
            .filter(|h| *h < 24)
            .map(DayStartHour)
            .ok_or_else(|| serde::de::Error::custom("must be an hour from 0 to 23"))
    }
}

/// Distinct skills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct Interests(Vec<Skill>);

impl<'de> Deserialize<'de> for Interests {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let skills = Vec::<Skill>::deserialize(deserializer)?;
        let mut unique = skills.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() == skills.len() {
            Ok(Interests(skills))
        } else {
            Err(serde::de::Error::custom("must not repeat a skill"))
        }
    }
}

/// At most 50 flags named `[a-z0-9_.-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct FeatureFlags(BTreeMap<String, bool>);

impl<'de> Deserialize<'de> for FeatureFlags {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let flags = BTreeMap::<String, bool>::deserialize(deserializer)?;
        if flags.len() > 50 {
            return Err(serde::de::Error::custom("must hold at most 50 flags"));
        }
        let bad_name = flags.keys().find(|name| {
            name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        });
        match bad_name {
            Some(name) => Err(serde::de::Error::custom(format!(
                "{name:?} is not a flag name ([a-z0-9_.-], 1 to 64)"
            ))),
            None => Ok(FeatureFlags(flags)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::json;

    use super::*;

    fn known_zone(name: &str) -> bool {
        ["UTC", "Europe/Berlin", "America/New_York"].contains(&name)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 8).unwrap_or_default()
    }

    fn patch(settings: &Settings, patch: Value) -> ApiResult<Settings> {
        settings.patched(&patch, known_zone, today())
    }

    #[test]
    fn a_vacation_starts_the_day_it_is_set() {
        let on = patch(
            &Settings::default(),
            json!({"vacation_until": "2026-03-20"}),
        )
        .expect("valid");
        assert_eq!(on.vacation_since, Some(today()));
        let later = on
            .patched(
                &json!({"vacation_until": "2026-03-25"}),
                known_zone,
                today() + chrono::Duration::days(3),
            )
            .expect("valid");
        assert_eq!(
            later.vacation_since,
            Some(today()),
            "extending keeps the start"
        );
        let untouched = patch(&later, json!({"theme": "dark"})).expect("valid");
        assert_eq!(untouched.vacation_since, Some(today()));
        let off = patch(&later, json!({"vacation_until": null})).expect("valid");
        assert_eq!((off.vacation_until, off.vacation_since), (None, None));
        let after_an_old_one = Settings {
            vacation_until: NaiveDate::from_ymd_opt(2026, 1, 10),
            vacation_since: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..Settings::default()
        };
        let new = patch(&after_an_old_one, json!({"vacation_until": "2026-03-09"})).expect("valid");
        assert_eq!(
            new.vacation_since,
            Some(today()),
            "a past vacation does not stretch back"
        );
        assert!(
            patch(
                &Settings::default(),
                json!({"vacation_since": "2026-01-01"})
            )
            .is_err()
        );
    }

    #[test]
    fn unknown_keys_are_refused_even_when_null() {
        for body in [
            json!({"": null}),
            json!({"colour": null}),
            json!({"colour": "red"}),
        ] {
            let error = patch(&Settings::default(), body.clone()).expect_err("unknown");
            assert_eq!(error.status(), 400, "{body}");
            assert!(error.fields.is_some(), "{body}");
        }
    }

    #[test]
    fn defaults_are_complete() {
        let value = serde_json::to_value(Settings::default()).expect("serializes");
        assert_eq!(value["theme"], "system");
        assert_eq!(value["timezone"], "UTC");
        assert_eq!(value["notifications"]["reminder_time"], "09:00");
        assert_eq!(value["day_start_hour"], 0);
        assert!(value["vacation_until"].is_null());
    }

    #[test]
    fn a_merge_patch_changes_only_what_it_names() {
        let changed = patch(
            &Settings::default(),
            json!({"theme": "dark", "notifications": {"push": true}, "feature_flags": {"beta": true}}),
        )
        .expect("valid");
        assert_eq!(changed.theme, Theme::Dark);
        assert!(changed.notifications.push);
        assert!(
            changed.notifications.email,
            "untouched sibling keeps its value"
        );
        assert_eq!(changed.feature_flags.0.get("beta"), Some(&true));
        let removed = patch(
            &changed,
            json!({"feature_flags": {"beta": null}, "theme": null}),
        )
        .expect("valid");
        assert!(removed.feature_flags.0.is_empty());
        assert_eq!(removed.theme, Theme::System, "null resets to the default");
    }

    #[test]
    fn every_bad_value_names_its_field() {
        let cases = [
            (json!({"theme": "neon"}), "theme"),
            (json!({"accent_color": "red"}), "accent_color"),
            (json!({"accent_color": "#12345g"}), "accent_color"),
            (json!({"timezone": "Mars/Olympus"}), "timezone"),
            (json!({"language": "english!"}), "language"),
            (
                json!({"notifications": {"reminder_time": "24:00"}}),
                "notifications.reminder_time",
            ),
            (
                json!({"notifications": {"email": "yes"}}),
                "notifications.email",
            ),
            (json!({"notifications": {"sms": true}}), "notifications.sms"),
            (
                json!({"onboarding": {"interests": ["cooking"]}}),
                "onboarding.interests",
            ),
            (
                json!({"onboarding": {"interests": ["health", "health"]}}),
                "onboarding.interests",
            ),
            (json!({"day_start_hour": 24}), "day_start_hour"),
            (json!({"vacation_until": "2026-13-01"}), "vacation_until"),
            (
                json!({"feature_flags": {"Bad Name": true}}),
                "feature_flags",
            ),
            (json!({"font": "serif"}), "font"),
        ];
        for (body, field) in cases {
            let error = patch(&Settings::default(), body.clone()).expect_err(&body.to_string());
            assert_eq!(error.status(), 400);
            let fields = error.fields.unwrap_or_default();
            assert!(
                fields.keys().any(|k| k.starts_with(field)),
                "{body}: {fields:?}"
            );
        }
    }

    #[test]
    fn too_many_flags_are_refused_and_non_objects_are_not_patches() {
        let flags: Map<String, Value> = (0..51)
            .map(|i| (format!("f{i}"), Value::Bool(true)))
            .collect();
        assert!(patch(&Settings::default(), json!({"feature_flags": flags})).is_err());
        assert!(patch(&Settings::default(), json!(["theme"])).is_err());
    }

    #[test]
    fn language_tags_follow_bcp_47_shape() {
        for good in ["en", "pt-BR", "zh-Hant-TW", "es-419", "gsw"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in [
            "",
            "e",
            "en_US",
            "en--US",
            "toolonglanguage",
            "en-abcdefghi",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
