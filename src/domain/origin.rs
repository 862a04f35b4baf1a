//! Which browser origins may call the API with credentials (`ALLOWED_ORIGINS`: web apps and
//! `chrome-extension://…` / `moz-extension://…` ids), and where a sign-in may send the user back.

use url::Url;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// A comma-separated list; blanks and trailing slashes are ignored. `*` is never honoured:
    /// credentialed CORS must name its origins.
    pub fn parse(list: &str) -> AllowedOrigins {
        AllowedOrigins(
            list.split(',')
                .map(|origin| origin.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|origin| !origin.is_empty() && origin != "*")
                .collect(),
        )
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.0
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }
}

/// The origin of an absolute URL (`scheme://host[:port]`), also for extension schemes, whose
/// origins the URL standard calls opaque.
pub fn origin_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// Where to send the user after sign-in: a same-site path, or a URL on an allowed origin.
pub fn parse_redirect_target(
    target: &str,
    allowed: &AllowedOrigins,
    own_origin: &str,
) -> Result<String, String> {
    const REFUSED: &str = "redirect_to must be a relative path or a URL on an allowed origin";
    if target.is_empty() {
        return Ok("/".into());
    }
    if target.len() > 2048 || target.chars().any(|c| c.is_control() || c == '\\') {
        return Err(REFUSED.into());
    }
    if target.starts_with('/') {
        // `//host` and `/\host` are protocol-relative URLs to browsers: another site.
        if target.starts_with("//") {
            return Err(REFUSED.into());
        }
        // Resolved as a browser would, so the `Location` carries it percent-encoded: ASCII only,
        // never raw UTF-8 that a browser reads as Latin-1.
        let base = Url::parse("https://redirect.invalid/").map_err(|_| REFUSED.to_owned())?;
        let url = base.join(target).map_err(|_| REFUSED.to_owned())?;
        if url.origin() != base.origin() {
            return Err(REFUSED.into());
        }
        return Ok(url[url::Position::BeforePath..].to_owned());
    }
    let url = Url::parse(target).map_err(|_| REFUSED.to_owned())?;
    let origin = origin_of(&url).ok_or_else(|| REFUSED.to_owned())?;
    let has_credentials = !url.username().is_empty() || url.password().is_some();
    if has_credentials || !(allowed.allows(&origin) || origin.eq_ignore_ascii_case(own_origin)) {
        return Err(REFUSED.into());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn allowed() -> AllowedOrigins {
        AllowedOrigins::parse(
            " https://app.example.org/ , chrome-extension://abcdefghijklmnop,*,moz-extension://4b1c",
        )
    }

    #[test]
    fn listed_origins_are_allowed_and_wildcards_ignored() {
        let allowed = allowed();
        assert!(allowed.allows("https://app.example.org"));
        assert!(allowed.allows("chrome-extension://abcdefghijklmnop"));
        assert!(allowed.allows("moz-extension://4b1c"));
        assert!(!allowed.allows("https://evil.example.org"));
        assert!(!allowed.allows("https://app.example.org.evil.net"));
        assert!(!allowed.allows("*"));
        assert!(!AllowedOrigins::parse("").allows("null"));
    }

    #[test]
    fn relative_paths_are_safe_redirects() {
        let own = "https://api.example.org";
        assert_eq!(
            parse_redirect_target("/app/today?x=1", &allowed(), own),
            Ok("/app/today?x=1".into())
        );
        assert_eq!(parse_redirect_target("", &allowed(), own), Ok("/".into()));
    }

    #[test]
    fn a_redirect_target_is_percent_encoded_ascii() {
        let own = "https://api.example.org";
        for (target, expected) in [
            ("/你", "/%E4%BD%A0"),
            ("/%E4%BD%A0", "/%E4%BD%A0"),
            ("/caf\u{e9}?q=\u{e9}#\u{e9}", "/caf%C3%A9?q=%C3%A9#%C3%A9"),
            ("/a b", "/a%20b"),
            ("/a/./b/../c", "/a/c"),
        ] {
            let parsed = parse_redirect_target(target, &allowed(), own).expect(target);
            assert_eq!(parsed, expected);
            assert!(parsed.is_ascii());
        }
        let absolute =
            parse_redirect_target("https://app.example.org/ünï", &allowed(), own).expect("allowed");
        assert_eq!(absolute, "https://app.example.org/%C3%BCn%C3%AF");
    }

    #[test]
    fn open_redirects_are_refused() {
        let own = "https://api.example.org";
        for target in [
            "//evil.example.org/",
            "/\\evil.example.org",
            "https://evil.example.org/",
            "https://app.example.org@evil.example.org/",
            "https://user:pw@app.example.org/",
            "javascript:alert(1)",
            "app/relative",
            "/line\nbreak",
        ] {
            assert!(
                parse_redirect_target(target, &allowed(), own).is_err(),
                "{target:?}"
            );
        }
    }

    #[test]
    fn urls_on_allowed_origins_are_kept() {
        let own = "https://api.example.org";
        assert_eq!(
            parse_redirect_target("https://app.example.org/welcome", &allowed(), own),
            Ok("https://app.example.org/welcome".into())
        );
        assert!(
            parse_redirect_target(
                "chrome-extension://abcdefghijklmnop/done.html",
                &allowed(),
                own
            )
            .is_ok()
        );
        assert!(parse_redirect_target("https://api.example.org/docs", &allowed(), own).is_ok());
    }
}
