//! A user's rights over their data: the export's formats and the confirmation an erasure needs.

use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::user::Email;

/// `DELETE /api/me`: the account's own e-mail address, typed again.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseAccount {
    pub confirm: Email,
}

impl EraseAccount {
    /// Refuses a confirmation that names another address than the account's.
    pub fn check(&self, account_email: &str) -> ApiResult<()> {
        if self.confirm.as_str() == account_email.to_lowercase() {
            Ok(())
        } else {
            Err(ApiError::invalid_field(
                "confirm",
                "must be this account's e-mail address",
            ))
        }
    }
}

/// `GET /api/me/export?format=`: everything as JSON (the default), or the habit history as CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
}

impl ExportFormat {
    pub fn parse(text: Option<&str>) -> ApiResult<ExportFormat> {
        match text {
            None | Some("json") => Ok(ExportFormat::Json),
            Some("csv") => Ok(ExportFormat::Csv),
            Some(_) => Err(ApiError::invalid_field("format", "must be json or csv")),
        }
    }
}

/// One CSV record (RFC 4180): fields quoted when they hold a comma, quote or line break, and a
/// field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) led by `'`.
pub fn csv_record(fields: &[&str]) -> String {
    let mut line = String::new();
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            line.push(',');
        }
        let guarded = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{field}")
        } else {
            (*field).to_owned()
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&guarded.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&guarded);
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_record(&["a", "b c"]), "a,b c\r\n");
        assert_eq!(
            csv_record(&["x,y", "say \"hi\""]),
            "\"x,y\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(csv_record(&["two\nlines"]), "\"two\nlines\"\r\n");
        assert_eq!(
            csv_record(&["=SUM(A1)", "-1", "ok"]),
            "'=SUM(A1),'-1,ok\r\n"
        );
        assert_eq!(csv_record(&["", ""]), ",\r\n");
    }

    #[test]
    fn an_erasure_is_confirmed_by_the_accounts_own_address() {
        let body: EraseAccount = parse_json_body(br#"{"confirm":"Ada@Example.com"}"#).unwrap();
        assert!(body.check("ada@example.com").is_ok());
        let refused = body.check("bob@example.com").unwrap_err();
        assert_eq!(refused.status(), 400);
        assert!(refused.fields.unwrap().contains_key("confirm"));
        for bad in [
            r#"{}"#,
            r#"{"confirm":"nope"}"#,
            r#"{"confirm":"a@b.co","x":1}"#,
        ] {
            assert_eq!(
                parse_json_body::<EraseAccount>(bad.as_bytes())
                    .unwrap_err()
                    .status(),
                400
            );
        }
    }

    #[test]
    fn export_formats() {
        assert_eq!(ExportFormat::parse(None).unwrap(), ExportFormat::Json);
        assert_eq!(ExportFormat::parse(Some("csv")).unwrap(), ExportFormat::Csv);
        assert_eq!(ExportFormat::parse(Some("xml")).unwrap_err().status(), 400);
    }
}
