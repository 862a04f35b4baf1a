//! Time zones from the runtime's own IANA database (`Intl`), so the bundle carries no zone data.

use wasm_bindgen::{JsCast, JsValue};

/// Whether `name` is a time zone the runtime knows. `Intl.DateTimeFormat` throws a RangeError for
/// an unknown zone; it is constructed through `Reflect` so the throw is a value, not an abort.
pub fn is_known_zone(name: &str) -> bool {
    if name.is_empty() || name.len() > 64 {
        return false;
    }
    let date_time_format = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("Intl"))
        .and_then(|intl| js_sys::Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")))
        .ok()
        .and_then(|constructor| constructor.dyn_into::<js_sys::Function>().ok());
    let Some(date_time_format) = date_time_format else {
        return false;
    };
    let options = js_sys::Object::new();
    if js_sys::Reflect::set(
        &options,
        &JsValue::from_str("timeZone"),
        &JsValue::from_str(name),
    )
    .is_err()
    {
        return false;
    }
    let arguments = js_sys::Array::of2(&JsValue::from_str("en-US"), &options);
    js_sys::Reflect::construct(&date_time_format, &arguments).is_ok()
}
