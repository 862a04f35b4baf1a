//! Time zones from the runtime's own IANA database (`Intl`), so the bundle carries no zone data:
//! the offset of a zone at an instant, and through it the user's local calendar day.

use chrono::NaiveDate;
use wasm_bindgen::{JsCast, JsValue};

use crate::domain::calendar::{local_day, parse_gmt_offset};
use crate::domain::settings::Settings;
use crate::domain::time::Millis;

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).ok()
}

/// A zone's `Intl.DateTimeFormat`, set to print only its offset (`GMT+05:30`).
pub struct ZoneClock {
    format: JsValue,
}

impl ZoneClock {
    /// `None` for a zone the runtime does not know. The constructor throws a RangeError for an
    /// unknown zone; it is called through `Reflect` so the throw is a value, not an abort.
    pub fn new(zone: &str) -> Option<ZoneClock> {
        if zone.is_empty() || zone.len() > 64 {
            return None;
        }
        let constructor = get(&js_sys::global(), "Intl")
            .and_then(|intl| get(&intl, "DateTimeFormat"))
            .and_then(|constructor| constructor.dyn_into::<js_sys::Function>().ok())?;
        let options = js_sys::Object::new();
        for (key, value) in [("timeZone", zone), ("timeZoneName", "longOffset")] {
            js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value))
                .ok()?;
        }
        let arguments = js_sys::Array::of2(&JsValue::from_str("en-US"), &options);
        let format = js_sys::Reflect::construct(&constructor, &arguments).ok()?;
        Some(ZoneClock { format })
    }

    /// Minutes the zone is ahead of UTC at `at`; 0 if the runtime cannot say.
    pub fn offset_minutes(&self, at: Millis) -> i32 {
        self.offset_text(at)
            .and_then(|text| parse_gmt_offset(&text))
            .unwrap_or(0)
    }

    fn offset_text(&self, at: Millis) -> Option<String> {
        let format_to_parts = get(&self.format, "formatToParts")?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
        let parts = format_to_parts
            .call1(&self.format, &date)
            .ok()?
            .dyn_into::<js_sys::Array>()
            .ok()?;
        parts.iter().find_map(|part| {
            (get(&part, "type")?.as_string()? == "timeZoneName")
                .then(|| get(&part, "value")?.as_string())
                .flatten()
        })
    }
}

/// Whether `name` is a time zone the runtime knows.
pub fn is_known_zone(name: &str) -> bool {
    ZoneClock::new(name).is_some()
}

/// A user's calendar: their zone and the hour their day starts.
pub struct LocalCalendar {
    clock: Option<ZoneClock>,
    day_start_hour: u8,
}

impl LocalCalendar {
    pub fn of(settings: &Settings) -> LocalCalendar {
        LocalCalendar {
            clock: ZoneClock::new(&settings.timezone),
            day_start_hour: settings.day_start_hour.0,
        }
    }

    /// The user's day at `at`.
    pub fn day_of(&self, at: Millis) -> NaiveDate {
        let offset = self.clock.as_ref().map_or(0, |c| c.offset_minutes(at));
        local_day(
            i64::try_from(at.0).unwrap_or(i64::MAX),
            offset,
            self.day_start_hour,
        )
    }
}
