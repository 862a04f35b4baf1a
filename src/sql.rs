//! A page of a content list as SQL, for D1 (SQLite) and for Postgres: the one place a list's
//! filters become SQL. Pure, so it builds natively and the tests read the plans each store makes
//! of exactly this text (`tests/list_plans.rs`).

use serde_json::Value;

use crate::domain::content::filter::{Comparison, Condition, SearchTerms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn placeholder(self, number: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{number}"),
            Dialect::Postgres => format!("${number}"),
        }
    }
}

/// A statement's text and its arguments, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub sql: String,
    pub arguments: Vec<Value>,
}

/// What one page of a list reads.
#[derive(Debug, Clone, Copy)]
pub struct ListPage<'a> {
    pub table: &'static str,
    pub user_id: &'a str,
    pub active: bool,
    pub conditions: &'a [Condition],
    /// The id after which the page starts.
    pub after: Option<&'a str>,
    pub limit: u32,
}

impl<'a> ListPage<'a> {
    /// A page of the user's active items, unfiltered (sync's first copy).
    pub fn active(
        table: &'static str,
        user_id: &'a str,
        after: Option<&'a str>,
        limit: u32,
    ) -> Self {
        ListPage {
            table,
            user_id,
            active: true,
            conditions: &[],
            after,
            limit,
        }
    }

    /// `select {columns}` of the page, in id order. The user, the list (active or archived) and
    /// the cursor are `?1`..`?4` (the habit list's days statement reuses `?1`, the user).
    pub fn select(&self, dialect: Dialect, columns: &str) -> Select {
        let mut arguments = vec![
            Value::from(self.user_id),
            Value::from(i64::from(self.active)),
            self.after.map_or(Value::Null, Value::from),
            Value::from(self.limit),
        ];
        let mut filters = String::new();
        for condition in self.conditions {
            arguments.push(argument(dialect, condition));
            let placeholder = dialect.placeholder(arguments.len());
            filters.push_str(" and ");
            filters.push_str(&clause(dialect, self.table, condition, &placeholder));
        }
        let [user, active, after, limit] = [1, 2, 3, 4].map(|n| dialect.placeholder(n));
        Select {
            sql: format!(
                "select {columns} from {table} where user_id = {user} and is_active = {active} \
                 and (cast({after} as text) is null or id > {after}){filters} order by id limit {limit}",
                table = self.table,
            ),
            arguments,
        }
    }
}

fn clause(dialect: Dialect, table: &str, condition: &Condition, placeholder: &str) -> String {
    match condition {
        Condition::Compare {
            field, comparison, ..
        } => {
            let operator = match comparison {
                Comparison::Equal => "=",
                Comparison::AtLeast => ">=",
                Comparison::AtMost => "<=",
                Comparison::After => ">",
            };
            format!("{field} {operator} {placeholder}")
        }
        Condition::Matches(_) => match dialect {
            Dialect::Sqlite => format!(
                "rowid in (select rowid from {table}_search where {table}_search match {placeholder})"
            ),
            Dialect::Postgres => format!("search @@ to_tsquery('simple', {placeholder})"),
        },
    }
}

fn argument(dialect: Dialect, condition: &Condition) -> Value {
    match condition {
        Condition::Compare { value, .. } => Value::from(value.as_str()),
        Condition::Matches(terms) => Value::from(search_query(dialect, terms)),
    }
}

/// Every term as the start of a word: FTS5's `"term"*` (implicitly and-ed) and Postgres's
/// `'term':* & …`. Terms hold only letters and digits, so neither needs more quoting.
pub fn search_query(dialect: Dialect, terms: &SearchTerms) -> String {
    let each = terms.terms().iter();
    match dialect {
        Dialect::Sqlite => each
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" "),
        Dialect::Postgres => each
            .map(|t| format!("'{t}':*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn filters_follow_the_page_arguments_in_both_dialects() {
        let conditions = [
            Condition::Compare {
                field: "status",
                comparison: Comparison::Equal,
                value: "open".into(),
            },
            Condition::Matches(SearchTerms::parse("Garage door").unwrap()),
        ];
        let page = ListPage {
            table: "quests",
            user_id: "u1",
            active: true,
            conditions: &conditions,
            after: None,
            limit: 51,
        };
        let sqlite = page.select(Dialect::Sqlite, "id");
        assert_eq!(
            sqlite.sql,
            "select id from quests where user_id = ?1 and is_active = ?2 and (cast(?3 as text) is null or id > ?3) \
             and status = ?5 and rowid in (select rowid from quests_search where quests_search match ?6) \
             order by id limit ?4"
        );
        assert_eq!(
            sqlite.arguments,
            vec![
                Value::from("u1"),
                Value::from(1),
                Value::Null,
                Value::from(51),
                Value::from("open"),
                Value::from("\"garage\"* \"door\"*"),
            ]
        );
        let postgres = page.select(Dialect::Postgres, "id");
        assert!(
            postgres
                .sql
                .contains("(cast($3 as text) is null or id > $3) and status = $5")
        );
        assert!(
            postgres
                .sql
                .ends_with("search @@ to_tsquery('simple', $6) order by id limit $4")
        );
        assert_eq!(postgres.arguments[5], Value::from("'garage':* & 'door':*"));
    }
}
