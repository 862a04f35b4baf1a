//! Reading who signed in from an OpenID Connect ID token.
//!
//! The token comes straight from the provider's token endpoint over TLS in a server-side code
//! exchange authenticated by our client secret, so OIDC Core §3.1.3.7 lets us use its claims
//! without checking the signature; the claims themselves are checked in full: issuer (exact for
//! Google, the tenant template for Entra), audience (and `azp` when there are several), expiry,
//! and the nonce bound to this login.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::time::Millis;
use super::user::{DisplayName, Email, display_name_or_email};

/// Tolerated clock difference with the provider.
const CLOCK_SKEW_SECONDS: u64 = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerRule {
    /// One of these exact issuers (Google uses two spellings).
    OneOf(Vec<String>),
    /// Entra ID: the issuer is `template` with `{tenantid}` replaced by the token's `tid`; when
    /// a tenant id is configured, only that tenant may sign in.
    TenantTemplate {
        template: String,
        required_tenant: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    pub issuer: &'a IssuerRule,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: Millis,
}

/// A person the provider vouches for, keyed by (issuer, subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Email,
    /// Only a verified address may grant a role through `ADMIN_EMAILS`.
    pub email_verified: bool,
    pub name: DisplayName,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: f64,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<VerifiedFlag>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Some providers send `"true"` as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum VerifiedFlag {
    Bool(bool),
    Text(String),
}

pub fn verify_id_token(
    id_token: &str,
    expect: &Expectations<'_>,
) -> Result<VerifiedIdentity, String> {
    let mut parts = id_token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the ID token is not a JWT".into());
    };
    let payload = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "the ID token payload is not base64url")?;
    let claims: Claims = serde_json::from_slice(&payload)
        .map_err(|e| format!("the ID token claims are invalid: {e}"))?;

    check_issuer(&claims, expect.issuer)?;
    let audiences = match &claims.aud {
        Audience::One(one) => vec![one.as_str()],
        Audience::Many(many) => many.iter().map(String::as_str).collect(),
    };
    if !audiences.contains(&expect.client_id) {
        return Err("the ID token is for another client (aud)".into());
    }
    if audiences.len() > 1 && claims.azp.as_deref() != Some(expect.client_id) {
        return Err("the ID token has several audiences and another azp".into());
    }
    let now = expect.now.as_seconds() as f64;
    if claims.exp + (CLOCK_SKEW_SECONDS as f64) <= now {
        return Err("the ID token has expired".into());
    }
    if claims
        .iat
        .is_some_and(|iat| iat > now + CLOCK_SKEW_SECONDS as f64)
    {
        return Err("the ID token was issued in the future".into());
    }
    match claims.nonce.as_deref() {
        Some(nonce) if super::secret::constant_time_eq(nonce, expect.nonce) => {}
        _ => return Err("the ID token's nonce does not match this sign-in".into()),
    }
    if claims.sub.is_empty() || claims.sub.len() > 255 {
        return Err("the ID token has no usable subject".into());
    }

    let address = claims
        .email
        .as_deref()
        .or(claims
            .preferred_username
            .as_deref()
            .filter(|u| u.contains('@')))
        .ok_or("the provider did not share an e-mail address")?;
    let email = Email::parse(address).map_err(|_| "the provider's e-mail address is malformed")?;
    let email_verified = match claims.email_verified {
        Some(VerifiedFlag::Bool(flag)) => flag,
        Some(VerifiedFlag::Text(text)) => text == "true",
        None => false,
    };
    let name = display_name_or_email(claims.name.as_deref(), &email);
    Ok(VerifiedIdentity {
        issuer: claims.iss,
        subject: claims.sub,
        email,
        email_verified,
        name,
    })
}

fn check_issuer(claims: &Claims, rule: &IssuerRule) -> Result<(), String> {
    let trusted = match rule {
        IssuerRule::OneOf(issuers) => issuers.iter().any(|issuer| issuer == &claims.iss),
        IssuerRule::TenantTemplate {
            template,
            required_tenant,
        } => {
            let Some(tenant) = claims.tid.as_deref().filter(|t| !t.is_empty()) else {
                return Err("the ID token names no tenant (tid)".into());
            };
            if required_tenant
                .as_deref()
                .is_some_and(|required| !required.eq_ignore_ascii_case(tenant))
            {
                return Err("the ID token is from another tenant".into());
            }
            template.replace("{tenantid}", tenant) == claims.iss
        }
    };
    if trusted {
        Ok(())
    } else {
        Err("the ID token is from an unexpected issuer".into())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::{Value, json};

    use super::*;

    const NOW: Millis = Millis(1_800_000_000_000);

    fn jwt(claims: &Value) -> String {
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.sig",
            encode(&json!({"alg": "RS256"})),
            encode(claims)
        )
    }

    fn google_claims() -> Value {
        json!({
            "iss": "https://accounts.google.com", "sub": "1234", "aud": "client-1",
            "exp": 1_800_000_600u64, "iat": 1_800_000_000u64, "nonce": "n-1",
            "email": "Ada@Example.org", "email_verified": true, "name": "Ada"
        })
    }

    fn google() -> IssuerRule {
        IssuerRule::OneOf(vec![
            "https://accounts.google.com".into(),
            "accounts.google.com".into(),
        ])
    }

    fn verify(claims: &Value, issuer: &IssuerRule) -> Result<VerifiedIdentity, String> {
        verify_id_token(
            &jwt(claims),
            &Expectations {
                issuer,
                client_id: "client-1",
                nonce: "n-1",
                now: NOW,
            },
        )
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    #[test]
    fn a_good_google_token_yields_the_identity() {
        let identity = verify(&google_claims(), &google()).expect("valid");
        assert_eq!(identity.issuer, "https://accounts.google.com");
        assert_eq!(identity.subject, "1234");
        assert_eq!(identity.email.as_str(), "ada@example.org");
        assert!(identity.email_verified);
        assert_eq!(identity.name.as_str(), "Ada");
    }

    #[test]
    fn each_broken_claim_is_refused() {
        let cases = [
            ("iss", json!("https://evil.example.org")),
            ("aud", json!("client-2")),
            ("aud", json!(["client-1", "client-2"])),
            ("exp", json!(1_799_999_000u64)),
            ("iat", json!(1_800_009_000u64)),
            ("nonce", json!("n-2")),
            ("nonce", Value::Null),
            ("sub", json!("")),
            ("email", Value::Null),
            ("email", json!("not-an-address")),
        ];
        for (claim, value) in cases {
            let claims = with(google_claims(), claim, value.clone());
            assert!(verify(&claims, &google()).is_err(), "{claim} = {value}");
        }
    }

    #[test]
    fn several_audiences_are_fine_when_we_are_the_authorized_party() {
        let claims = with(google_claims(), "aud", json!(["client-1", "client-2"]));
        let claims = with(claims, "azp", json!("client-1"));
        assert!(verify(&claims, &google()).is_ok());
    }

    #[test]
    fn an_unverified_email_is_marked_so() {
        let claims = with(google_claims(), "email_verified", json!("false"));
        assert!(!verify(&claims, &google()).expect("valid").email_verified);
    }

    #[test]
    fn entra_issuers_follow_the_tenant_template() {
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0".to_owned();
        let any_tenant = IssuerRule::TenantTemplate {
            template: template.clone(),
            required_tenant: None,
        };
        let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
        let claims = with(google_claims(), "tid", json!(tenant));
        let claims = with(
            claims,
            "iss",
            json!(format!("https://login.microsoftonline.com/{tenant}/v2.0")),
        );
        assert!(verify(&claims, &any_tenant).is_ok());

        let other_tenant = with(
            claims.clone(),
            "tid",
            json!("00000000-0000-0000-0000-000000000001"),
        );
        assert!(
            verify(&other_tenant, &any_tenant).is_err(),
            "issuer must match the token's own tid"
        );

        let restricted = IssuerRule::TenantTemplate {
            template,
            required_tenant: Some("00000000-0000-0000-0000-000000000001".into()),
        };
        assert!(
            verify(&claims, &restricted).is_err(),
            "a configured tenant restricts sign-in"
        );
        let no_tid = with(claims, "tid", Value::Null);
        assert!(verify(&no_tid, &any_tenant).is_err());
    }

    #[test]
    fn garbage_is_not_a_token() {
        let rule = google();
        let expect = Expectations {
            issuer: &rule,
            client_id: "client-1",
            nonce: "n-1",
            now: NOW,
        };
        for token in ["", "a.b", "a.b.c.d", "a.!!!.c", "a.e30.c"] {
            assert!(verify_id_token(token, &expect).is_err(), "{token:?}");
        }
    }
}
