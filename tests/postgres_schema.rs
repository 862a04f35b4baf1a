//! The Postgres store's schema (migrations/postgres/) is D1's (migrations/): after all of each
//! store's migrations, both catalogs list the same tables, columns (type, not null, default),
//! keys, foreign keys, checks and indexes; and on Postgres the constraints the code relies on
//! refuse what D1 refuses, under the names the code matches.
//!
//! D1's side is what wrangler applies (`wrangler d1 migrations apply --local`), read from its
//! SQLite file; a D1 full-text table (FTS5, migration 0016) stands for a generated tsvector column
//! `search` and a GIN index of the table's name on Postgres.

#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Debug,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use passion_edge::domain::schema::MIGRATIONS;
use serde_json::Value;
use support::{
    postgres::{Postgres, postgres},
    root, sqlite, succeeded,
};

/// One store's schema in words both stores share, each line a fact about one table.
#[derive(Debug, Default)]
struct Schema {
    tables: BTreeSet<String>,
    /// `table.column type [not null] [default X]`, types as D1 declares them.
    columns: BTreeSet<String>,
    /// `table: primary key (a, b)`, `table: unique (a)`.
    keys: BTreeSet<String>,
    /// `table (a) references other (b) on delete cascade`.
    foreign_keys: BTreeSet<String>,
    /// `table: index name [unique] [partial] (a, b)`: the indexes a migration creates by name.
    indexes: BTreeSet<String>,
    /// How many check constraints each table has.
    check_counts: BTreeMap<String, usize>,
    /// `table: check name`: on D1 only the named ones (`constraint x check`), on Postgres all.
    check_names: BTreeSet<String>,
    /// Full-text search: `table: search index name`.
    search: BTreeSet<String>,
    /// The migrations the store recorded as applied, in order.
    applied: Vec<String>,
}

/// D1's schema, from a fresh local D1 that wrangler migrated (its directory removed once read).
fn d1() -> &'static Schema {
    static D1: OnceLock<Schema> = OnceLock::new();
    D1.get_or_init(|| {
        let state = std::env::temp_dir().join(format!(
            "passion-edge-postgres-schema-d1-{}",
            std::process::id()
        ));
        let _removed = RemovedOnDrop(state.clone());
        succeeded(
            Command::new(root().join("node_modules/.bin/wrangler"))
                .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
                .arg(&state)
                .env("CI", "1")
                .env("WRANGLER_SEND_METRICS", "false")
                .current_dir(root()),
            "wrangler d1 migrations apply",
        );
        // Beside miniflare's `metadata.sqlite`, the database itself.
        let file: Vec<PathBuf> = sqlite_files(&state.join("v3/d1"))
            .into_iter()
            .filter(|path| !path.ends_with("metadata.sqlite"))
            .collect();
        assert_eq!(file.len(), 1, "one local D1 database: {file:?}");
        read_d1(&file[0])
    })
}

/// A directory removed when this goes, a failed assertion's unwinding included.
struct RemovedOnDrop(PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Postgres's schema, from the binary's cluster after `scripts/postgres.sh migrate`.
fn pg() -> &'static Schema {
    static PG: OnceLock<Schema> = OnceLock::new();
    PG.get_or_init(|| read_postgres(postgres()))
}

fn sqlite_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(sqlite_files(&path));
        } else if path.extension().is_some_and(|e| e == "sqlite") {
            files.push(path);
        }
    }
    files
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn d1_rows(file: &Path, sql: &str) -> Vec<Vec<Value>> {
    sqlite(file, sql)
        .unwrap_or_else(|error| panic!("sqlite {sql}: {error}"))
        .into_iter()
        .map(|row| row.as_array().cloned().expect("a row is an array"))
        .collect()
}

/// FTS5's own tables beside a full-text table `x`: `x_data`, `x_idx`, ...
const FTS5_SHADOWS: &[&str] = &["data", "idx", "content", "docsize", "config"];

fn read_d1(file: &Path) -> Schema {
    let mut schema = Schema::default();
    let mut sql_of = BTreeMap::new();
    // Full-text tables (name → the table whose text it indexes) and FTS5's own tables.
    let mut full_text = BTreeMap::new();
    for row in d1_rows(
        file,
        "select name, sql from sqlite_master where type = 'table'",
    ) {
        let (name, sql) = (text(&row[0]), text(&row[1]).to_lowercase());
        if let Some(content) = fts5_content_table(&sql) {
            full_text.insert(name.clone(), content);
        }
        sql_of.insert(name, sql);
    }
    let internal = |name: &str| {
        name.starts_with("sqlite_")
            || name.starts_with("_cf_")
            || name == "d1_migrations"
            || full_text.contains_key(name)
            || full_text.keys().any(|fts| {
                FTS5_SHADOWS
                    .iter()
                    .any(|shadow| name == format!("{fts}_{shadow}"))
            })
    };
    for (fts, table) in &full_text {
        schema.search.insert(format!("{table}: search index {fts}"));
    }
    for (name, sql) in &sql_of {
        if internal(name) {
            continue;
        }
        schema.tables.insert(name.clone());
        schema.check_counts.insert(name.clone(), check_count(sql));
        for constraint in named_checks(sql) {
            schema
                .check_names
                .insert(format!("{name}: check {constraint}"));
        }
    }

    let columns = d1_rows(
        file,
        "select m.name, p.name, lower(p.type), p.\"notnull\", p.dflt_value, p.pk
           from sqlite_master m join pragma_table_info(m.name) p
          where m.type = 'table' order by m.name, p.pk, p.cid",
    );
    let mut primary_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in columns {
        let (table, column) = (text(&row[0]), text(&row[1]));
        if !schema.tables.contains(&table) {
            continue;
        }
        let primary = row[5].as_i64().unwrap_or(0) > 0;
        // SQLite lets a `text primary key` hold null (Postgres never does; the code never
        // writes one), so a key column counts as not null.
        let not_null = row[3].as_i64() == Some(1) || primary;
        schema.columns.insert(column_line(
            &table,
            &column,
            &text(&row[2]),
            not_null,
            row[4].as_str(),
        ));
        if primary {
            primary_keys.entry(table).or_default().push(column);
        }
    }
    for (table, columns) in primary_keys {
        schema
            .keys
            .insert(format!("{table}: primary key ({})", columns.join(", ")));
    }

    let indexes = d1_rows(
        file,
        "select m.name, il.name, il.\"unique\", il.origin, il.partial,
                (select group_concat(name, ', ') from
                   (select ii.name from pragma_index_info(il.name) ii order by ii.seqno))
           from sqlite_master m join pragma_index_list(m.name) il
          where m.type = 'table'",
    );
    for row in indexes {
        let table = text(&row[0]);
        if !schema.tables.contains(&table) {
            continue;
        }
        let columns = text(&row[5]);
        match text(&row[3]).as_str() {
            // A primary key's own index (a `without rowid` or a text key): the key says it.
            "pk" => {}
            "u" => {
                schema.keys.insert(format!("{table}: unique ({columns})"));
            }
            _ => {
                schema.indexes.insert(index_line(
                    &table,
                    &text(&row[1]),
                    row[2].as_i64() == Some(1),
                    row[4].as_i64() == Some(1),
                    &columns,
                ));
            }
        }
    }

    let foreign_keys = d1_rows(
        file,
        "select m.name, f.id, f.\"table\", f.\"from\", f.\"to\", lower(f.on_delete)
           from sqlite_master m join pragma_foreign_key_list(m.name) f
          where m.type = 'table' order by m.name, f.id, f.seq",
    );
    // One row per column of a key: grouped by (table, key id), in column order.
    let mut keys: BTreeMap<(String, i64), Vec<Vec<Value>>> = BTreeMap::new();
    for row in foreign_keys {
        let key = (text(&row[0]), row[1].as_i64().unwrap_or(0));
        keys.entry(key).or_default().push(row);
    }
    for ((table, _), rows) in keys {
        if schema.tables.contains(&table) {
            let columns =
                |at: usize| -> Vec<String> { rows.iter().map(|r| text(&r[at])).collect() };
            schema.foreign_keys.insert(foreign_key_line(
                &table,
                &columns(3),
                &text(&rows[0][2]),
                &columns(4),
                &text(&rows[0][5]),
            ));
        }
    }

    schema.applied = d1_rows(file, "select name from d1_migrations order by id")
        .iter()
        .map(|row| text(&row[0]))
        .collect();
    schema
}

/// The table a `create virtual table x using fts5(.., content = 'table', ..)` indexes.
fn fts5_content_table(sql: &str) -> Option<String> {
    if !sql.starts_with("create virtual table") || !sql.contains("using fts5") {
        return None;
    }
    let compact: String = sql.chars().filter(|c| !c.is_whitespace()).collect();
    let rest = compact.split_once("content='")?.1;
    Some(rest.split_once('\'')?.0.to_owned())
}

/// The `check (` clauses of a `create table` statement.
fn check_count(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    sql.match_indices("check")
        .filter(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let word_start = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'));
            word_start && sql[at + "check".len()..].trim_start().starts_with('(')
        })
        .count()
}

/// The names of `constraint name check (..)` clauses.
fn named_checks(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(3)
        .filter(|w| w[0] == "constraint" && w[2] == "check")
        .map(|w| w[1].to_owned())
        .collect()
}

fn column_line(
    table: &str,
    column: &str,
    kind: &str,
    not_null: bool,
    default: Option<&str>,
) -> String {
    let mut line = format!("{table}.{column} {kind}");
    if not_null {
        line.push_str(" not null");
    }
    if let Some(default) = default {
        line.push_str(&format!(" default {default}"));
    }
    line
}

fn index_line(table: &str, name: &str, unique: bool, partial: bool, columns: &str) -> String {
    let unique = if unique { " unique" } else { "" };
    let partial = if partial { " partial" } else { "" };
    format!("{table}: index {name}{unique}{partial} ({columns})")
}

fn foreign_key_line(
    table: &str,
    from: &[String],
    references: &str,
    to: &[String],
    on_delete: &str,
) -> String {
    format!(
        "{table} ({}) references {references} ({}) on delete {on_delete}",
        from.join(", "),
        to.join(", ")
    )
}

/// A Postgres column type in D1's words: both integer widths are `integer` (which one is
/// pinned by `only_sequence_numbers_are_bigint_on_postgres`), `double precision` is `real`.
fn d1_type(postgres_type: &str) -> &str {
    match postgres_type {
        "integer" | "bigint" => "integer",
        "double precision" => "real",
        other => other,
    }
}

/// A Postgres column default in D1's words: `'x'::text` is `'x'`.
fn d1_default(postgres_default: &str) -> &str {
    postgres_default
        .strip_suffix("::text")
        .unwrap_or(postgres_default)
}

fn read_postgres(pg: &Postgres) -> Schema {
    let mut schema = Schema::default();
    let rows = |query: &str| -> Vec<Value> {
        pg.psql(query)
            .as_array()
            .cloned()
            .expect("psql rows are an array")
    };
    let internal = |table: &str| table == "schema_migrations";
    for row in rows(
        "select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE'",
    ) {
        let name = text(&row["name"]);
        if !internal(&name) {
            schema.check_counts.insert(name.clone(), 0);
            schema.tables.insert(name);
        }
    }

    // Columns; a generated tsvector is full-text search, compared as such.
    let mut search_columns = BTreeSet::new();
    for row in rows(
        "select table_name, column_name, data_type, is_nullable = 'NO' as not_null,
                column_default, is_generated = 'ALWAYS' as generated
           from information_schema.columns where table_schema = 'public'",
    ) {
        let (table, column) = (text(&row["table_name"]), text(&row["column_name"]));
        if internal(&table) {
            continue;
        }
        let kind = text(&row["data_type"]);
        if kind == "tsvector" && row["generated"] == Value::Bool(true) {
            search_columns.insert(format!("{table}.{column}"));
            continue;
        }
        schema.columns.insert(column_line(
            &table,
            &column,
            d1_type(&kind),
            row["not_null"] == Value::Bool(true),
            row["column_default"].as_str().map(d1_default),
        ));
    }

    for row in rows(
        "select t.relname as table, i.relname as name, x.indisunique as unique,
                x.indpred is not null as partial, am.amname as method, c.contype as constraint,
                (select string_agg(a.attname, ', ' order by k.ord)
                   from unnest(x.indkey) with ordinality k(attnum, ord)
                   join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum) as columns
           from pg_index x
           join pg_class i on i.oid = x.indexrelid
           join pg_class t on t.oid = x.indrelid
           join pg_namespace n on n.oid = t.relnamespace
           join pg_am am on am.oid = i.relam
           left join pg_constraint c on c.conindid = x.indexrelid and c.contype in ('p', 'u')
          where n.nspname = 'public'",
    ) {
        let table = text(&row["table"]);
        if internal(&table) {
            continue;
        }
        let columns = text(&row["columns"]);
        match text(&row["constraint"]).as_str() {
            "p" => {
                schema
                    .keys
                    .insert(format!("{table}: primary key ({columns})"));
            }
            "u" => {
                schema.keys.insert(format!("{table}: unique ({columns})"));
            }
            _ if search_columns.contains(&format!("{table}.{columns}")) => {
                let name = text(&row["name"]);
                schema
                    .search
                    .insert(format!("{table}: search index {name}"));
                assert_eq!(
                    (text(&row["method"]).as_str(), columns.as_str()),
                    ("gin", "search"),
                    "{name}: full-text search is a GIN index of the column `search`"
                );
            }
            _ => {
                schema.indexes.insert(index_line(
                    &table,
                    &text(&row["name"]),
                    row["unique"] == Value::Bool(true),
                    row["partial"] == Value::Bool(true),
                    &columns,
                ));
            }
        }
    }

    let attributes = "(select array_agg(a.attname order by k.ord)
                         from unnest(KEYS) with ordinality k(attnum, ord)
                         join pg_attribute a on a.attrelid = RELATION and a.attnum = k.attnum)";
    let from = attributes
        .replace("KEYS", "c.conkey")
        .replace("RELATION", "c.conrelid");
    let to = attributes
        .replace("KEYS", "c.confkey")
        .replace("RELATION", "c.confrelid");
    for row in rows(&format!(
        "select t.relname as table, c.contype as kind, c.conname as name,
                r.relname as references, {from} as columns, {to} as to_columns,
                case c.confdeltype when 'c' then 'cascade' when 'a' then 'no action'
                  when 'r' then 'restrict' when 'n' then 'set null' when 'd' then 'set default'
                end as on_delete
           from pg_constraint c
           join pg_class t on t.oid = c.conrelid
           join pg_namespace n on n.oid = t.relnamespace
           left join pg_class r on r.oid = c.confrelid
          where n.nspname = 'public' and c.contype in ('f', 'c')"
    )) {
        let table = text(&row["table"]);
        if internal(&table) {
            continue;
        }
        if text(&row["kind"]) == "c" {
            *schema.check_counts.entry(table.clone()).or_default() += 1;
            let name = text(&row["name"]);
            schema.check_names.insert(format!("{table}: check {name}"));
            continue;
        }
        let names = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .map(|names| names.iter().map(text).collect())
                .unwrap_or_default()
        };
        schema.foreign_keys.insert(foreign_key_line(
            &table,
            &names(&row["columns"]),
            &text(&row["references"]),
            &names(&row["to_columns"]),
            &text(&row["on_delete"]),
        ));
    }

    schema.applied = rows("select name from schema_migrations order by name")
        .iter()
        .map(|row| text(&row["name"]))
        .collect();
    schema
}

/// Fails naming what only one store has.
fn assert_same<T: Ord + Debug + Clone>(what: &str, d1: &BTreeSet<T>, postgres: &BTreeSet<T>) {
    assert!(
        !d1.is_empty() && !postgres.is_empty(),
        "{what}: a catalog read found none"
    );
    let only_d1: Vec<&T> = d1.difference(postgres).collect();
    let only_postgres: Vec<&T> = postgres.difference(d1).collect();
    assert!(
        only_d1.is_empty() && only_postgres.is_empty(),
        "{what} differ between the stores\n  only in D1 (migrations/): {only_d1:#?}\n  only in Postgres (migrations/postgres/): {only_postgres:#?}"
    );
}

#[test]
fn both_stores_have_applied_every_migration_this_build_expects() {
    assert_eq!(
        d1().applied,
        MIGRATIONS,
        "wrangler applies the top-level files of migrations/ only"
    );
    assert_eq!(pg().applied, MIGRATIONS);
}

#[test]
fn both_stores_have_the_same_tables() {
    assert_same("tables", &d1().tables, &pg().tables);
}

#[test]
fn every_column_has_the_same_type_nullability_and_default_in_both_stores() {
    assert_same("columns", &d1().columns, &pg().columns);
}

#[test]
fn both_stores_have_the_same_primary_and_unique_keys() {
    assert_same("keys", &d1().keys, &pg().keys);
}

#[test]
fn both_stores_have_the_same_foreign_keys_with_the_same_deletes() {
    assert_same("foreign keys", &d1().foreign_keys, &pg().foreign_keys);
}

#[test]
fn both_stores_have_the_same_named_indexes() {
    assert_same("indexes", &d1().indexes, &pg().indexes);
}

#[test]
fn each_d1_full_text_table_is_a_search_column_and_its_index_on_postgres() {
    assert_same("full-text search", &d1().search, &pg().search);
}

#[test]
fn every_table_has_as_many_checks_and_the_named_ones_keep_their_names() {
    let counts = |schema: &Schema| -> BTreeSet<String> {
        schema
            .check_counts
            .iter()
            .map(|(table, n)| format!("{table}: {n} checks"))
            .collect()
    };
    assert_same("check constraints", &counts(d1()), &counts(pg()));
    let missing: Vec<&String> = d1().check_names.difference(&pg().check_names).collect();
    assert!(
        missing.is_empty(),
        "named checks the code matches on are missing on Postgres: {missing:?}"
    );
}

/// node's `pg` reads int8 as a string: only columns whose values may pass 2^31 are bigint.
#[test]
fn only_sequence_numbers_are_bigint_on_postgres() {
    let wide = postgres().psql(
        "select table_name || '.' || column_name as column from information_schema.columns
          where table_schema = 'public' and data_type = 'bigint' and table_name <> 'schema_migrations'
          order by 1",
    );
    let wide: Vec<String> = wide
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| text(&row["column"]))
        .collect();
    assert_eq!(wide, ["change_log.seq", "users.sync_floor"]);
}

// Behaviours on Postgres. Each test uses ids of its own: the tests share one database.

const T: &str = "'2026-01-01T00:00:00.000Z'";

fn user_sql(id: &str) -> String {
    format!(
        "insert into users (id, email, name, created_at, updated_at)
         values ('{id}', '{id}@example.test', '{id}', {T}, {T});"
    )
}

fn goal_sql(id: &str, user_id: &str) -> String {
    format!(
        "insert into goals (id, user_id, title, category, created_at, updated_at)
         values ('{id}', '{user_id}', 'Run a marathon', 'fitness', {T}, {T});"
    )
}

fn count(query: &str) -> i64 {
    postgres().psql(query)[0]["n"]
        .as_i64()
        .unwrap_or_else(|| panic!("{query}: a count as n"))
}

fn refused(sql: &str) -> String {
    match postgres().execute(sql) {
        Ok(()) => panic!("Postgres took what D1 refuses: {sql}"),
        Err(error) => error,
    }
}

#[test]
fn a_value_outside_a_check_is_refused_on_postgres() {
    let pg = postgres();
    pg.execute(&format!(
        "{}{}",
        user_sql("checks"),
        goal_sql("checks-goal", "checks")
    ))
    .expect("a user and a goal");
    let habit = |column: &str, value: &str| {
        format!(
            "insert into habits (id, user_id, title, category, frequency, {column}, created_at, updated_at)
             values ('checks-habit-{column}', 'checks', 'Read', 'mind', 'daily', {value}, {T}, {T})"
        )
    };
    let cases = [
        (
            "users_role_check",
            format!(
                "insert into users (id, email, name, role, created_at, updated_at)
                 values ('checks-root', 'r@example.test', 'R', 'root', {T}, {T})"
            ),
        ),
        (
            "users_disabled_check",
            "update users set disabled = 2 where id = 'checks'".to_owned(),
        ),
        (
            "goals_status_check",
            "update goals set status = 'done' where id = 'checks-goal'".to_owned(),
        ),
        (
            "goals_is_active_check",
            "update goals set is_active = 2 where id = 'checks-goal'".to_owned(),
        ),
        ("habits_target_per_week_check", habit("target_per_week", "8")),
        (
            "quests_reward_xp_check",
            format!(
                "insert into quests (id, user_id, title, category, deadline, reward_xp, reward_coins, created_at, updated_at)
                 values ('checks-quest', 'checks', 'Q', 'c', {T}, 1001, 0, {T}, {T})"
            ),
        ),
        (
            "focus_sessions_planned_minutes_check",
            format!(
                "insert into focus_sessions (id, user_id, mode, planned_minutes, status, started_at, created_at, updated_at)
                 values ('checks-focus', 'checks', 'focus', 241, 'running', {T}, {T}, {T})"
            ),
        ),
        (
            "change_log_op_check",
            format!(
                "insert into change_log (user_id, entity, entity_id, op, created_at)
                 values ('checks', 'goal', 'checks-goal', 'update', {T})"
            ),
        ),
        (
            "api_tokens_scope_check",
            format!(
                "insert into api_tokens (id, user_id, name, token_hash, created_at, scope)
                 values ('checks-token', 'checks', 'cli', 'checks-hash', {T}, 'admin')"
            ),
        ),
    ];
    for (constraint, sql) in cases {
        let error = refused(&sql);
        assert!(
            error.contains(&format!("violates check constraint \"{constraint}\"")),
            "{sql}: {error}"
        );
    }
    // The same rows with allowed values go in: the refusals were the checks'.
    pg.execute("update users set disabled = 1 where id = 'checks'; update goals set status = 'completed' where id = 'checks-goal'")
        .expect("allowed values");
    pg.execute(&habit("target_per_week", "7"))
        .expect("a weekly target of 7");
}

#[test]
fn deleting_a_user_removes_their_rows_on_postgres() {
    let pg = postgres();
    let mut sql = format!("{}{}", user_sql("gone"), user_sql("kept"));
    sql.push_str(&format!(
        "insert into user_identities (issuer, subject, user_id, created_at) values ('https://idp.test', 'gone', 'gone', {T});
         insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at) values ('gone-session', 'gone', 'gone-session-hash', {T}, {T}, {T});
         insert into api_tokens (id, user_id, name, token_hash, created_at) values ('gone-token', 'gone', 'cli', 'gone-token-hash', {T});
         {}{}
         insert into habits (id, user_id, title, category, frequency, created_at, updated_at) values ('gone-habit', 'gone', 'Read', 'mind', 'daily', {T}, {T});
         insert into habit_completions (habit_id, day, user_id, created_at) values ('gone-habit', '2026-01-01', 'gone', {T});
         insert into quests (id, user_id, title, category, deadline, reward_xp, reward_coins, created_at, updated_at) values ('gone-quest', 'gone', 'Q', 'c', {T}, 10, 1, {T}, {T});
         insert into workouts (id, user_id, name, duration_minutes, intensity, performed_at, created_at, updated_at) values ('gone-workout', 'gone', 'Run', 30, 'low', {T}, {T}, {T});
         insert into books (id, user_id, title, created_at, updated_at) values ('gone-book', 'gone', 'Dune', {T}, {T});
         insert into focus_sessions (id, user_id, mode, planned_minutes, status, started_at, created_at, updated_at) values ('gone-focus', 'gone', 'focus', 25, 'running', {T}, {T}, {T});
         insert into audio_tracks (id, user_id, scope, title, content_type, size, etag, object_key, created_at) values ('gone-audio', 'gone', 'user', 'Rain', 'audio/mpeg', 1, 'e', 'users/gone/a', {T});",
        goal_sql("gone-goal", "gone"),
        goal_sql("kept-goal", "kept"),
    ));
    pg.execute(&sql).expect("a user with one row of each kind");
    let tables = [
        "user_identities",
        "sessions",
        "api_tokens",
        "goals",
        "habits",
        "habit_completions",
        "quests",
        "workouts",
        "books",
        "focus_sessions",
        "audio_tracks",
    ];
    let rows_of = |user: &str| -> i64 {
        tables
            .iter()
            .map(|table| {
                count(&format!(
                    "select count(*) as n from {table} where user_id = '{user}'"
                ))
            })
            .sum()
    };
    assert_eq!(
        rows_of("gone"),
        tables.len() as i64,
        "one row in each table"
    );
    pg.execute("delete from users where id = 'gone'")
        .expect("delete the user");
    assert_eq!(rows_of("gone"), 0, "every row of the user goes with them");
    assert_eq!(rows_of("kept"), 1, "another user's goal stays");
}

#[test]
fn a_taken_key_is_refused_on_postgres_under_its_constraint_name() {
    let pg = postgres();
    pg.execute(&format!(
        "{}{}{}
         insert into idempotent_responses (user_id, key, fingerprint, status, body, created_at) values ('keys', 'k1', 'f', 201, '{{}}', {T});
         insert into habits (id, user_id, title, category, frequency, created_at, updated_at) values ('keys-habit', 'keys', 'Read', 'mind', 'daily', {T}, {T});
         insert into habit_completions (habit_id, day, user_id, created_at) values ('keys-habit', '2026-01-01', 'keys', {T});
         insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at) values ('keys-session', 'keys', 'keys-hash', {T}, {T}, {T});
         insert into user_identities (issuer, subject, user_id, created_at) values ('https://idp.test', 'keys', 'keys', {T});
         insert into oauth_state_uses (state_hash, used_at) values ('keys-state', {T});",
        user_sql("keys"),
        user_sql("keys-other"),
        goal_sql("keys-goal", "keys"),
    ))
    .expect("one row under each key");
    let cases = [
        // What `is_taken_id` must recognise on Postgres: SQLite says
        // `UNIQUE constraint failed: goals.id`.
        ("goals_pkey", goal_sql("keys-goal", "keys-other")),
        (
            "idempotent_responses_pkey",
            format!(
                "insert into idempotent_responses (user_id, key, fingerprint, status, body, created_at) values ('keys', 'k1', 'g', 200, '{{}}', {T})"
            ),
        ),
        (
            "habit_completions_pkey",
            format!(
                "insert into habit_completions (habit_id, day, user_id, created_at) values ('keys-habit', '2026-01-01', 'keys', {T})"
            ),
        ),
        (
            "sessions_token_hash_key",
            format!(
                "insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at) values ('keys-session-2', 'keys', 'keys-hash', {T}, {T}, {T})"
            ),
        ),
        (
            "user_identities_pkey",
            format!(
                "insert into user_identities (issuer, subject, user_id, created_at) values ('https://idp.test', 'keys', 'keys-other', {T})"
            ),
        ),
        (
            "oauth_state_uses_pkey",
            format!(
                "insert into oauth_state_uses (state_hash, used_at) values ('keys-state', {T})"
            ),
        ),
    ];
    for (constraint, sql) in cases {
        let error = refused(&sql);
        assert!(
            error.contains(&format!(
                "duplicate key value violates unique constraint \"{constraint}\""
            )),
            "{sql}: {error}"
        );
    }
    pg.execute(&format!(
        "insert into idempotent_responses (user_id, key, fingerprint, status, body, created_at) values ('keys-other', 'k1', 'f', 201, '{{}}', {T});
         insert into habit_completions (habit_id, day, user_id, created_at) values ('keys-habit', '2026-01-02', 'keys', {T});"
    ))
    .expect("the same key of another user, another day of the habit");
}

#[test]
fn a_user_has_at_most_one_active_focus_session_on_postgres() {
    let pg = postgres();
    let session = |id: &str, user: &str, status: &str| {
        format!(
            "insert into focus_sessions (id, user_id, mode, planned_minutes, status, started_at, created_at, updated_at)
             values ('{id}', '{user}', 'focus', 25, '{status}', {T}, {T}, {T});"
        )
    };
    pg.execute(&format!(
        "{}{}{}",
        user_sql("focus"),
        user_sql("focus-other"),
        session("focus-1", "focus", "running")
    ))
    .expect("a running session");
    for status in ["running", "paused"] {
        let error = refused(&session("focus-2", "focus", status));
        assert!(
            error.contains(
                "duplicate key value violates unique constraint \"focus_sessions_one_active\""
            ),
            "a second {status} session: {error}"
        );
    }
    pg.execute(&format!(
        "{}{}{}",
        session("focus-3", "focus", "completed"),
        session("focus-4", "focus", "abandoned"),
        session("focus-5", "focus-other", "running")
    ))
    .expect("ended sessions beside the active one, and another user's active one");
}

#[test]
fn the_quota_guard_fails_the_whole_transaction_on_postgres() {
    let pg = postgres();
    pg.execute(&format!(
        "{}{}{}",
        user_sql("quota"),
        goal_sql("quota-1", "quota"),
        goal_sql("quota-2", "quota")
    ))
    .expect("a user with two goals");
    // As `content::quota_guard` builds it: the creation, then the guard, in one transaction.
    let create_third = |quota: u32| {
        format!(
            "{} insert into quota_guard (kind) select 'goals'
               where (select count(*) from goals where user_id = 'quota') > {quota}",
            goal_sql("quota-3", "quota")
        )
    };
    let error = refused(&create_third(2));
    assert!(
        error.contains("violates check constraint \"quota_exceeded\""),
        "{error}"
    );
    let goals = "select count(*) as n from goals where user_id = 'quota'";
    assert_eq!(count(goals), 2, "the refused creation left nothing");
    pg.execute(&create_third(3))
        .expect("within the quota the guard selects nothing");
    assert_eq!(count(goals), 3);
    assert_eq!(
        count("select count(*) as n from quota_guard"),
        0,
        "nothing is ever stored"
    );
}

#[test]
fn the_request_guard_fails_a_write_naming_what_it_refused_on_postgres() {
    let pg = postgres();
    pg.execute(&format!(
        "{} update users set settings = '{{\"theme\":\"dark\"}}' where id = 'guard';
         insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at)
         values ('guard-session', 'guard', 'guard-hash', {T}, {T}, '2999-01-01T00:00:00.000Z');",
        user_sql("guard")
    ))
    .expect("a user with settings and a live session");
    let write = goal_sql("guard-goal", "guard");
    // As `credentials.rs` builds them (`is not` there is `is distinct from` here).
    let credential_guard = |session: &str| {
        format!(
            "insert into request_guard (refused) select 'credential'
              where not exists (select 1 from sessions where id = '{session}' and ended_at is null)"
        )
    };
    let settings_guard = |settings: &str| {
        format!(
            "insert into request_guard (refused) select 'settings'
               from users where id = 'guard' and settings is distinct from '{settings}'"
        )
    };
    let error = refused(&format!("{write} {}", credential_guard("guard-ended")));
    assert!(error.contains("\"credential_refused\""), "{error}");
    let error = refused(&format!("{write} {}", settings_guard("{}")));
    assert!(error.contains("\"settings_changed\""), "{error}");
    let goals = "select count(*) as n from goals where user_id = 'guard'";
    assert_eq!(count(goals), 0, "a refused request writes nothing");
    pg.execute(&format!(
        "{write} {}; {}",
        credential_guard("guard-session"),
        settings_guard("{\"theme\":\"dark\"}")
    ))
    .expect("a live credential and unchanged settings pass");
    assert_eq!(count(goals), 1);
    assert_eq!(count("select count(*) as n from request_guard"), 0);
}

#[test]
fn change_log_numbers_rise_and_are_never_reused_on_postgres() {
    let pg = postgres();
    let append = || -> i64 {
        pg.psql(&format!(
            "insert into change_log (user_id, entity, entity_id, op, created_at)
             values ('log', 'goal', 'log-goal', 'upsert', {T}) returning seq"
        ))[0]["seq"]
            .as_i64()
            .expect("seq")
    };
    let first = append();
    let second = append();
    assert!(second > first);
    pg.execute(&format!("delete from change_log where seq = {second}"))
        .expect("compaction removes the newest row");
    assert!(
        append() > second,
        "as SQLite's autoincrement: a removed number stays used"
    );
}
