//! Users as the API shows them, and the values a sign-in supplies, parsed once.

use serde::{Deserialize, Serialize};

use super::content::present;
use super::text::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// The role a sign-in grants: admin for addresses listed in `ADMIN_EMAILS`.
    pub fn at_sign_in(email: &Email, admin_emails: &str) -> Role {
        let listed = admin_emails
            .split(',')
            .map(str::trim)
            .any(|admin| !admin.is_empty() && admin.eq_ignore_ascii_case(email.as_str()));
        if listed { Role::Admin } else { Role::User }
    }
}

/// `User` of API.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

/// An e-mail address, trimmed and lower-cased; shape checked, not deliverability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        if text.len() > 254 {
            return Err("must be an e-mail address".into());
        }
        let email = text.to_lowercase();
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must be an e-mail address".into());
        };
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Email(email))
        } else {
            Err("must be an e-mail address".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`, as a fallback display name.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A display name: 1–100 characters.
pub type DisplayName = Text<1, 100>;

/// A provider's name claim, or the e-mail's local part when it is missing or unusable.
pub fn display_name_or_email(name: Option<&str>, email: &Email) -> DisplayName {
    name.and_then(|n| DisplayName::parse(n).ok())
        .unwrap_or_else(|| DisplayName::parse_or(email.local_part(), "user"))
}

/// Someone a provider (or the dev sign-in) vouches for, keyed by (issuer, subject).
pub struct VouchedIdentity<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: &'a Email,
    /// Only a verified address can earn the admin role from `ADMIN_EMAILS`.
    pub email_verified: bool,
    pub name: &'a DisplayName,
}

/// `POST /api/auth/dev/signin`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSignIn {
    pub email: Email,
    #[serde(default)]
    pub name: Option<DisplayName>,
}

impl DevSignIn {
    pub fn display_name(&self) -> DisplayName {
        self.name
            .clone()
            .unwrap_or_else(|| display_name_or_email(None, &self.email))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn emails_are_lower_cased() {
        let email = Email::parse("Ada@Example.ORG").expect("valid");
        assert_eq!(email.as_str(), "ada@example.org");
        assert_eq!(email.local_part(), "ada");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "a@@b.org",
            "a@b.org.",
            " a@b.org",
            "a@b..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn admin_emails_grant_the_admin_role_case_insensitively() {
        let email = Email::parse("boss@example.org").expect("valid");
        assert_eq!(
            Role::at_sign_in(&email, "x@y.org, BOSS@example.org"),
            Role::Admin
        );
        assert_eq!(Role::at_sign_in(&email, ""), Role::User);
        assert_eq!(
            Role::at_sign_in(&email, "boss@example.org.evil"),
            Role::User
        );
    }

    #[test]
    fn optional_fields_refuse_null() {
        use crate::domain::json_body::parse_json_body;
        for body in [
            r#"{"role":null}"#,
            r#"{"disabled":null}"#,
            r#"{"role":"user","disabled":null}"#,
        ] {
            let error = parse_json_body::<UserPatch>(body.as_bytes()).expect_err(body);
            assert_eq!(error.status(), 400);
        }
        let patch = parse_json_body::<UserPatch>(br#"{"disabled":true}"#).expect("valid");
        assert_eq!((patch.role, patch.disabled), (None, Some(true)));
    }

    #[test]
    fn display_names_are_bounded_and_fall_back_to_the_email() {
        assert!(DisplayName::parse(" ").is_err());
        assert!(DisplayName::parse(&"n".repeat(101)).is_err());
        assert!(DisplayName::parse("tab\there").is_err());
        let email = Email::parse("grace@example.org").expect("valid");
        assert_eq!(display_name_or_email(None, &email).as_str(), "grace");
        assert_eq!(display_name_or_email(Some("  "), &email).as_str(), "grace");
        assert_eq!(
            display_name_or_email(Some("Grace H"), &email).as_str(),
            "Grace H"
        );
    }
}

/// `PATCH /api/admin/users/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "present")]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "present")]
    pub disabled: Option<bool>,
}
