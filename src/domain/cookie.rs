//! The session and pre-auth cookies. Both are `__Host-` cookies: `Secure`, `Path=/`, no
//! `Domain`, so no subdomain can plant or read them.

pub const SESSION_COOKIE: &str = "__Host-passion_session";
/// Binds an OAuth `state` to the browser that started the sign-in (10 minutes).
pub const PRE_AUTH_COOKIE: &str = "__Host-passion_preauth";

/// The value of cookie `name` in a `Cookie` header.
pub fn read(cookie_header: &str, name: &str) -> Option<String> {
    cookie_header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.trim().to_owned())
    })
}

pub fn set(name: &str, value: &str, max_age_seconds: u64) -> String {
    format!("{name}={value}; Max-Age={max_age_seconds}; Path=/; Secure; HttpOnly; SameSite=Lax")
}

pub fn clear(name: &str) -> String {
    format!("{name}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_cookie_is_read_by_exact_name() {
        let header = "theme=dark; __Host-passion_session=abc; x__Host-passion_session=evil";
        assert_eq!(read(header, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(read(header, PRE_AUTH_COOKIE), None);
        assert_eq!(read("", SESSION_COOKIE), None);
    }

    #[test]
    fn session_cookies_are_host_only_secure_http_only_and_lax() {
        let cookie = set(SESSION_COOKIE, "abc", 60);
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(!cookie.contains("Domain"));
        assert!(clear(SESSION_COOKIE).contains("Max-Age=0"));
    }
}
