//! The D1 schema this build expects, embedded by `build.rs` from `migrations/`, and how it
//! compares with what a database has applied. A database behind the code is unhealthy.

include!(concat!(env!("OUT_DIR"), "/build_info.rs"));

/// How many of the code's migrations the database has applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SchemaStatus {
    pub expected: usize,
    pub applied: usize,
}

impl SchemaStatus {
    /// Compares the code's migrations with the names wrangler recorded in `d1_migrations`.
    /// Migrations the database has but the code does not know (a rolled-back deploy) do not count.
    pub fn compare<'a>(expected: &[&str], applied: impl IntoIterator<Item = &'a str>) -> Self {
        let applied: Vec<&str> = applied.into_iter().collect();
        SchemaStatus {
            expected: expected.len(),
            applied: expected
                .iter()
                .filter(|name| applied.contains(name))
                .count(),
        }
    }

    pub fn of_this_build<'a>(applied: impl IntoIterator<Item = &'a str>) -> Self {
        Self::compare(MIGRATIONS, applied)
    }

    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const CODE: &[&str] = &["0001_init.sql", "0002_sessions.sql"];

    #[test]
    fn a_database_with_every_migration_is_current() {
        let status = SchemaStatus::compare(CODE, ["0001_init.sql", "0002_sessions.sql"]);
        assert_eq!(
            status,
            SchemaStatus {
                expected: 2,
                applied: 2
            }
        );
        assert!(status.is_current());
    }

    #[test]
    fn a_database_missing_a_migration_is_behind() {
        let status = SchemaStatus::compare(CODE, ["0001_init.sql"]);
        assert_eq!(status.applied, 1);
        assert!(!status.is_current());
        assert!(!SchemaStatus::compare(CODE, []).is_current());
    }

    #[test]
    fn migrations_unknown_to_the_code_do_not_count() {
        let status = SchemaStatus::compare(
            CODE,
            ["0001_init.sql", "0002_sessions.sql", "0003_next.sql"],
        );
        assert_eq!(
            status,
            SchemaStatus {
                expected: 2,
                applied: 2
            }
        );
    }

    #[test]
    fn this_build_embeds_its_migrations_in_order() {
        assert!(!MIGRATIONS.is_empty());
        assert_eq!(MIGRATIONS[0], "0001_init.sql");
        assert!(MIGRATIONS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
    }
}
