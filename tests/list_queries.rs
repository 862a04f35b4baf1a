//! A list's SQL on both stores (`passion_edge::sql`, the one place it is written), run for real:
//! - every filter of every kind is index-backed: SQLite with D1's migrations must SEARCH an index
//!   led by the filtered field (or the FTS5 index), never read the table past the user's rows;
//!   Postgres, seeded and analyzed, must use that index, with sequential scans priced out;
//! - `q` finds the same items on both stores, over texts where tokenizers tend to differ.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use passion_edge::domain::content::filter::{self, Filter};
use passion_edge::domain::time::Millis;
use passion_edge::sql::{Dialect, ListPage, Select};
use serde_json::Value;
use support::postgres::postgres;
use support::{migrations, root, sqlite_bound, sqlite_edit, succeeded};

const KINDS: [(&str, &[Filter]); 5] = [
    ("goals", filter::GOAL_FILTERS),
    ("habits", filter::HABIT_FILTERS),
    ("quests", filter::QUEST_FILTERS),
    ("workouts", filter::WORKOUT_FILTERS),
    ("books", filter::BOOK_FILTERS),
];

/// A list's query parameters.
type Query = Vec<(String, String)>;

/// A query of one filter (a valid value) and the indexes it may be served from.
fn cases(table: &str, filters: &[Filter]) -> Vec<(Query, Vec<String>)> {
    let mut cases = Vec::new();
    for filter in filters {
        let index = |field: &str| vec![format!("{table}_by_{field}")];
        match *filter {
            Filter::Choice { field, .. } => {
                let value = match (table, field) {
                    (_, "category") => "fitness",
                    (_, "frequency") => "weekly",
                    (_, "intensity") => "high",
                    ("books", "status") => "reading",
                    _ => "completed",
                };
                cases.push((vec![(field.to_owned(), value.to_owned())], index(field)));
            }
            Filter::Days { field } | Filter::Instants { field } => {
                // Bounds past the common rows' 2026 on each side: few items in range.
                let days = matches!(filter, Filter::Days { .. });
                for (end, bound) in [("from", "2027-01-01"), ("to", "2025-01-01")] {
                    let bound = if days {
                        bound.to_owned()
                    } else {
                        format!("{bound}T00:00:00Z")
                    };
                    cases.push((vec![(format!("{field}_{end}"), bound)], index(field)));
                }
            }
            Filter::QuestStatus => {
                // Open and expired are stored open with the deadline ahead or past: either index.
                for status in ["open", "expired"] {
                    let either = [index("status"), index("deadline")].concat();
                    cases.push((vec![("status".into(), status.into())], either));
                }
                cases.push((vec![("status".into(), "completed".into())], index("status")));
            }
            Filter::Search => {
                cases.push((
                    vec![("q".into(), "garage door".into())],
                    vec![format!("{table}_search")],
                ));
            }
        }
    }
    cases
}

fn statement(
    table: &'static str,
    filters: &[Filter],
    query: &[(String, String)],
    dialect: Dialect,
) -> Select {
    let conditions = filter::conditions(
        filters,
        query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        Millis(1_800_000_000_000),
    )
    .expect("a valid filter");
    ListPage {
        table,
        user_id: USER,
        active: true,
        conditions: &conditions,
        after: None,
        limit: 51,
    }
    .select(dialect, "id")
}

/// A SQLite file of its own (`name`) with D1's migrations applied in order, as wrangler applies
/// them.
fn d1_schema(name: &str) -> PathBuf {
    let dir = root().join("target/list-queries");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.sqlite"));
    let _ = std::fs::remove_file(&path);
    let script = migrations("migrations")
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("read migration"))
        .collect::<Vec<_>>()
        .join("\n");
    sqlite_edit(&path, &script).expect("D1's migrations apply");
    path
}

/// SQLite's plan of `statement`, one detail line per step.
fn sqlite_plan(path: &Path, statement: &Select) -> Vec<String> {
    let explain = format!("explain query plan {}", statement.sql);
    sqlite_bound(path, &explain, &statement.arguments)
        .expect("SQLite plans the statement")
        .iter()
        .map(|step| step[3].as_str().expect("a plan step's detail").to_owned())
        .collect()
}

/// `statement` with its arguments written in as literals (Postgres plans a prepared statement's
/// first executions for its values, so this is the plan it runs).
fn with_literals(statement: &Select) -> String {
    let mut sql = statement.sql.clone();
    for (at, argument) in statement.arguments.iter().enumerate().rev() {
        let literal = match argument {
            Value::Null => "null".to_owned(),
            Value::Number(number) => number.to_string(),
            Value::String(text) => format!("'{}'", text.replace('\'', "''")),
            other => panic!("argument {other}"),
        };
        sql = sql.replace(&format!("${}", at + 1), &literal);
    }
    sql
}

/// Every node of a Postgres JSON plan, depth first.
fn nodes(plan: &Value, into: &mut Vec<Value>) {
    into.push(plan.clone());
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, into);
    }
}

const USER: &str = "0190c0de-0000-7000-8000-000000000001";

/// 5,000 items of each kind for `USER`, analyzed: the planner prices indexes by statistics, and
/// an index only wins where it is selective. Every value the cases filter on is rare (1 in 100):
/// the common rows are learning, daily, low, finished, active or abandoned, dated 2026, without
/// "garage" in their text.
fn seeded_postgres() -> &'static support::postgres::Postgres {
    static SEEDED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    let postgres = postgres();
    SEEDED.get_or_init(|| {
        let rows = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000)";
        let rare = |k: u32, then: &str, otherwise: &str| {
            format!("case when i % 100 = {k} then {then} else {otherwise} end")
        };
        let at = |day: &str| format!("'{day}T00:00:00.000Z'");
        let common = format!("{}, {}", at("2026-01-01"), at("2026-01-01"));
        let seed = [
            format!(
                "insert into users (id, email, name, created_at, updated_at) \
                 values ('{USER}', 'plans@example.com', 'Plans', {common})"
            ),
            format!(
                "insert into goals (id, user_id, title, description, category, status, target_date, \
                 created_at, updated_at) {rows} select 'g' || i, '{USER}', {}, 'text', {}, {}, {}, {common} from n",
                rare(0, "'Fix the garage door'", "'goal ' || i"),
                rare(0, "'fitness'", "'learning'"),
                rare(0, "'completed'", "'active'"),
                rare(0, "'2027-06-01'", &rare(1, "'2024-06-01'", "'2026-01-01'")),
            ),
            format!(
                "insert into habits (id, user_id, title, description, category, frequency, \
                 target_per_week, created_at, updated_at) {rows} select 'h' || i, '{USER}', {}, 'text', {}, {}, {}, {common} from n",
                rare(0, "'Oil the garage door'", "'habit ' || i"),
                rare(0, "'fitness'", "'learning'"),
                rare(0, "'weekly'", "'daily'"),
                rare(0, "3", "null"),
            ),
            format!(
                "insert into quests (id, user_id, title, description, category, deadline, status, \
                 reward_xp, reward_coins, created_at, updated_at) {rows} select 'q' || i, '{USER}', {}, 'text', {}, {}, {}, 10, 1, {common} from n",
                rare(0, "'Paint the garage door'", "'quest ' || i"),
                rare(0, "'fitness'", "'learning'"),
                rare(1, &at("2030-01-01"), &rare(2, &at("2024-06-01"), &at("2026-01-01"))),
                rare(0, "'completed'", &rare(1, "'open'", &rare(2, "'open'", "'abandoned'"))),
            ),
            format!(
                "insert into workouts (id, user_id, name, duration_minutes, intensity, performed_at, \
                 created_at, updated_at) {rows} select 'w' || i, '{USER}', {}, 30, {}, {}, {common} from n",
                rare(0, "'Lift the garage door'", "'workout ' || i"),
                rare(0, "'high'", "'low'"),
                rare(0, &at("2027-06-01"), &rare(1, &at("2024-06-01"), &at("2026-01-01"))),
            ),
            format!(
                "insert into books (id, user_id, title, author, status, finished_on, created_at, \
                 updated_at) {rows} select 'b' || i, '{USER}', {}, 'Author', {}, {}, {common} from n",
                rare(0, "'The garage door'", "'book ' || i"),
                rare(0, "'reading'", "'finished'"),
                rare(0, "'2027-06-01'", &rare(1, "'2024-06-01'", "'2026-01-01'")),
            ),
        ];
        for statement in seed.iter().map(String::as_str).chain(["analyze"]) {
            postgres
                .execute(statement)
                .unwrap_or_else(|error| panic!("seed {statement}: {error}"));
        }
    });
    postgres
}

fn postgres_plan(statement: &Select) -> Vec<Value> {
    let output = succeeded(
        Command::new("psql")
            .args([
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--no-align",
                "--set=ON_ERROR_STOP=1",
            ])
            .arg("--command=set enable_seqscan = off")
            .arg(format!(
                "--command=explain (format json) {}",
                with_literals(statement)
            ))
            .arg(&seeded_postgres().url),
        "psql (the plan)",
    );
    let explained: Value = serde_json::from_slice(&output).expect("a JSON plan");
    let mut all = Vec::new();
    nodes(&explained[0]["Plan"], &mut all);
    all
}

#[test]
fn sqlite_searches_an_index_of_the_filter_for_every_filter_of_every_kind() {
    let d1 = d1_schema("plans");
    for (table, filters) in KINDS {
        let unfiltered = sqlite_plan(&d1, &statement(table, filters, &[], Dialect::Sqlite));
        assert!(
            unfiltered
                .iter()
                .any(|step| step.starts_with(&format!("SEARCH {table} USING "))
                    && step.contains(&format!("INDEX {table}_by_user "))),
            "{table} unfiltered: {unfiltered:?}"
        );
        for (query, indexes) in cases(table, filters) {
            let plan = sqlite_plan(&d1, &statement(table, filters, &query, Dialect::Sqlite));
            let uses = |step: &String| {
                indexes.iter().any(|index| {
                    step.contains(&format!("INDEX {index} "))
                        || step.starts_with(&format!("SCAN {index} VIRTUAL TABLE INDEX"))
                })
            };
            assert!(
                plan.iter().any(uses),
                "{table}?{query:?} should use one of {indexes:?}: {plan:?}"
            );
            for step in plan
                .iter()
                .filter(|step| step.split(' ').nth(1) == Some(table))
            {
                assert!(
                    step.starts_with("SEARCH "),
                    "{table}?{query:?} reads the whole table: {plan:?}"
                );
            }
        }
    }
}

#[test]
fn postgres_uses_the_index_of_the_filter_for_every_filter_of_every_kind() {
    for (table, filters) in KINDS {
        for (query, indexes) in cases(table, filters) {
            let plan = postgres_plan(&statement(table, filters, &query, Dialect::Postgres));
            let mut used = plan.iter().filter_map(|node| node["Index Name"].as_str());
            assert!(
                used.any(|name| indexes.iter().any(|index| index == name)),
                "{table}?{query:?} should use one of {indexes:?}: {plan:?}"
            );
            assert!(
                plan.iter().all(|node| node["Node Type"] != "Seq Scan"),
                "{table}?{query:?} scans the table: {plan:?}"
            );
        }
    }
}

/// Texts where tokenizers tend to differ: accents, scripts without case or with it, numbers with
/// points, apostrophes, underscores, e-mail addresses and host names.
const CORPUS: [(&str, &str); 10] = [
    ("Run a marathon", "Sub-four hours, 42.2 km"),
    ("Learn Español", "B2 by summer; then a café tour"),
    (
        "Read \"Déjà vu\" essays",
        "e-mail the author: jo@example.com",
    ),
    ("ΑΘΗΝΑ trip", "Greek: αθήνα"),
    ("3.5 kg weights", "lift 35 times"),
    ("Don't panic", "42"),
    ("日本語を勉強", "kanji"),
    ("Run_fast", "snake_case words"),
    ("C++ and Rust", "rust-lang.org"),
    ("Ünïcödé", "ÜBER straße"),
];

const QUERIES: [&str; 40] = [
    "run",
    "RUN",
    "mar",
    "marathon hours",
    "42",
    "2",
    "km",
    "sub four",
    "espa",
    "español",
    "cafe",
    "café",
    "deja",
    "déjà",
    "vu",
    "mail",
    "jo",
    "example com",
    "αθηνα",
    "αθήνα",
    "ΑΘΉΝΑ",
    "3",
    "5",
    "3.5",
    "35",
    "don",
    "t",
    "panic",
    "日本",
    "勉強",
    "fast",
    "snake",
    "c",
    "rust lang",
    "org",
    "ünï",
    "über",
    "strasse",
    "straße",
    "tour summer b2",
];

#[test]
fn both_stores_find_the_same_items_for_the_same_words() {
    const OWNER: &str = "0190c0de-0000-7000-8000-00000000000b";
    let inserts: Vec<String> = std::iter::once(format!(
        "insert into users (id, email, name, created_at, updated_at) values ('{OWNER}', 'b@example.com', 'B', 'x', 'x')"
    ))
    .chain(CORPUS.iter().enumerate().map(|(at, (title, description))| {
        let quote = |text: &str| text.replace('\'', "''");
        format!(
            "insert into goals (id, user_id, title, description, category, created_at, updated_at) \
             values ('goal-{at}', '{OWNER}', '{}', '{}', 'learning', 'x', 'x')",
            quote(title),
            quote(description)
        )
    }))
    .collect();
    let d1 = d1_schema("words");
    sqlite_edit(&d1, &inserts.join(";\n")).expect("insert into SQLite");
    for insert in &inserts {
        postgres().execute(insert).expect("insert into Postgres");
    }

    let found = |dialect: Dialect, q: &str| -> Vec<String> {
        let statement = ListPage {
            table: "goals",
            user_id: OWNER,
            active: true,
            conditions: &filter::conditions(filter::GOAL_FILTERS, [("q", q)], Millis(0))
                .expect("q"),
            after: None,
            limit: 100,
        }
        .select(dialect, "id");
        match dialect {
            Dialect::Sqlite => sqlite_bound(&d1, &statement.sql, &statement.arguments)
                .expect("SQLite runs the statement")
                .iter()
                .map(|row| row[0].as_str().expect("id").to_owned())
                .collect(),
            Dialect::Postgres => postgres()
                .psql(&with_literals(&statement))
                .as_array()
                .expect("rows")
                .iter()
                .map(|row| row["id"].as_str().expect("id").to_owned())
                .collect(),
        }
    };
    let mut differences = Vec::new();
    let mut matched = 0;
    for q in QUERIES {
        let (sqlite, postgres) = (found(Dialect::Sqlite, q), found(Dialect::Postgres, q));
        matched += usize::from(!sqlite.is_empty());
        if sqlite != postgres {
            differences.push(format!("{q:?}: D1 {sqlite:?}, Postgres {postgres:?}"));
        }
    }
    assert!(
        differences.is_empty(),
        "the stores differ:\n{}",
        differences.join("\n")
    );
    assert_eq!(found(Dialect::Sqlite, "run"), ["goal-0", "goal-7"]);
    assert_eq!(found(Dialect::Postgres, "αθηνα"), ["goal-3"]);
    assert!(matched >= 30, "most queries find something: {matched}");
}
