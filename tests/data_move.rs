//! Moving the data from D1 to Postgres (`scripts/move-to-postgres.mjs`, issue 18), end to end:
//! two users fill the worker's local D1 through the API, then the command copies it into a
//! private Postgres (migrated by `scripts/postgres.sh`) through `wrangler d1 execute --local
//! --persist-to` the worker's state. Every table's rows are compared as JSON on both sides (read
//! from D1's SQLite file and through psql), not only counted: one user's move holds that user's
//! rows and nobody else's; a move stopped after a few pages resumes to the same data, no row
//! twice; a second run copies nothing; a Postgres schema missing a migration is refused.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use support::{
    Owner, Worker,
    postgres::{Postgres, postgres_migrations},
    root, succeeded, unique_email, worker,
};

/// The worker's D1 once both users have written everything, and their ids.
struct Fixture {
    worker: &'static Worker,
    /// The worker's local D1 database file (read with Python's sqlite3).
    d1: PathBuf,
    users: [String; 2],
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let started = Instant::now();
        let worker = worker();
        let users = [populate(worker, "move-a"), populate(worker, "move-b")];
        let d1 = d1_file(worker);
        settle(&d1);
        eprintln!(
            "fixture: worker and two users' data in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Fixture { worker, d1, users }
    })
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

/// A user with a bit of everything: goals (one archived, one completed), habits with
/// completions (one undone), a quest completed, workouts (one under an Idempotency-Key), a
/// book, a reward, an API token, a focus session, settings; texts with quotes and accents.
fn populate(worker: &Worker, label: &str) -> String {
    let mut me = Owner::on(worker, &unique_email(label));
    let id = id_of(&me.client.get("/api/auth/session").expect_data(200)["user"]);
    let goal = me.create(
        "/api/goals",
        &json!({"title": "Läufer's \"marathon\"", "category": "fitness",
                "metadata": {"shoes": "new"}}),
    );
    let done = me.create(
        "/api/goals",
        &json!({"title": "Read 10 books", "category": "learning"}),
    );
    me.write(
        "POST",
        &format!("/api/goals/{}/complete", id_of(&done)),
        None,
        None,
    )
    .expect_data(200);
    let archived = me.write(
        "DELETE",
        &format!("/api/goals/{}", id_of(&goal)),
        None,
        None,
    );
    assert_eq!(archived.status, 204, "{}", archived.text);
    for title in ["Stretch; daily", "Méditer 🧘"] {
        let habit = me.create(
            "/api/habits",
            &json!({"title": title, "category": "health"}),
        );
        let complete = format!("/api/habits/{}/complete", id_of(&habit));
        me.write("POST", &complete, None, None).expect_data(200);
        if title.starts_with("Méditer") {
            me.write("DELETE", &complete, None, None).expect_data(200);
        }
    }
    let quest = me.create(
        "/api/quests",
        &json!({"title": "Fix the bike", "category": "productivity",
                "deadline": "2030-01-01T00:00:00Z", "reward": {"xp": 10, "coins": 50}}),
    );
    me.write(
        "POST",
        &format!("/api/quests/{}/complete", id_of(&quest)),
        None,
        None,
    )
    .expect_data(200);
    let workout = json!({"name": "Intervals", "duration_minutes": 30, "intensity": "high"});
    me.write("POST", "/api/workouts", Some(&workout), Some("workout-1"))
        .expect_data(201);
    me.create(
        "/api/workouts",
        &json!({"name": "Yoga", "duration_minutes": 45, "intensity": "low", "calories": 120}),
    );
    me.create(
        "/api/books",
        &json!({"title": "Dune", "author": "Frank Herbert", "status": "finished", "rating": 5}),
    );
    me.create("/api/rewards", &json!({"title": "Movie night", "cost": 5}));
    me.token(&json!({"name": "extension"}));
    me.write_with(
        "POST",
        "/api/focus/start",
        Some(&json!({"planned_minutes": 25})),
        &[("x-dev-now", "2026-03-02T09:00:00.000Z")],
    )
    .expect_data(201);
    me.write_with(
        "POST",
        "/api/focus/end",
        None,
        &[("x-dev-now", "2026-03-02T09:25:00.000Z")],
    )
    .expect_data(200);
    me.write(
        "PATCH",
        "/api/settings",
        Some(&json!({"timezone": "Europe/Berlin"})),
        None,
    )
    .expect_data(200);
    id
}

/// The worker's D1 database file, beside miniflare's metadata.sqlite.
fn d1_file(worker: &Worker) -> PathBuf {
    fn sqlite_files(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sqlite_files(&path, files);
            } else if path.extension().is_some_and(|e| e == "sqlite")
                && !path.ends_with("metadata.sqlite")
            {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sqlite_files(&worker.state.join("v3/d1"), &mut files);
    assert_eq!(files.len(), 1, "one local D1 database: {files:?}");
    files.remove(0)
}

/// Waits until the work the worker finishes after its responses (award settlements, last-seen
/// times) is done: no completion pending, and two snapshots of every table alike.
fn settle(d1: &Path) {
    let started = Instant::now();
    let mut last = d1_dump(d1);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = d1_dump(d1);
        let pending = now["habit_completions"]
            .rows
            .iter()
            .any(|row| !row["award_pending"].is_null());
        if !pending && now == last {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "D1 kept changing after the last response"
        );
        last = now;
    }
}

/// One table's columns (D1's, in order) and rows (objects, sorted).
#[derive(Debug, PartialEq)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Value>,
}

/// Every table of D1 that the move copies, read from its SQLite file in one Python process: all
/// but D1's own and the FTS5 tables with their shadow tables (Postgres's generated `search`
/// columns stand for those).
fn d1_dump(d1: &Path) -> BTreeMap<String, Table> {
    const SCRIPT: &str = r#"
import json, sqlite3, sys
db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
tables = db.execute("select name, sql from sqlite_master where type = 'table' order by name").fetchall()
virtual = [n for n, sql in tables if (sql or '').lower().startswith('create virtual table')]
out = {}
for name, _ in tables:
    if name == 'd1_migrations' or name.startswith(('sqlite_', '_cf_')):
        continue
    if any(name == v or name.startswith(v + '_') for v in virtual):
        continue
    cursor = db.execute('select * from "%s"' % name)
    columns = [d[0] for d in cursor.description]
    out[name] = {'columns': columns, 'rows': [dict(zip(columns, r)) for r in cursor]}
print(json.dumps(out))
"#;
    let output = succeeded(
        Command::new("python3").args(["-c", SCRIPT]).arg(d1),
        "python3 (the D1 dump)",
    );
    let dump: BTreeMap<String, Value> = serde_json::from_slice(&output).expect("the dump as JSON");
    dump.into_iter()
        .map(|(name, table)| {
            let columns = serde_json::from_value(table["columns"].clone()).expect("columns");
            let mut rows: Vec<Value> = table["rows"].as_array().expect("rows").clone();
            rows.sort_by_key(Value::to_string);
            (name, Table { columns, rows })
        })
        .collect()
}

/// The same tables and columns in Postgres, in one psql query (the generated `search` columns
/// left out). psql's JSON carries int8 (`change_log.seq`, `users.sync_floor`) as numbers, so
/// nothing needs normalizing.
fn pg_dump(pg: &Postgres, like: &BTreeMap<String, Table>) -> BTreeMap<String, Table> {
    let parts: Vec<String> = like
        .iter()
        .map(|(name, table)| {
            format!(
                "'{name}', (select coalesce(json_agg(t), '[]'::json) from (select {} from {name}) t)",
                table.columns.join(", ")
            )
        })
        .collect();
    let answer = pg.psql(&format!(
        "select json_build_object({}) as dump",
        parts.join(", ")
    ));
    like.iter()
        .map(|(name, table)| {
            let mut rows = answer[0]["dump"][name].as_array().expect("rows").clone();
            rows.sort_by_key(Value::to_string);
            let columns = table.columns.clone();
            (name.clone(), Table { columns, rows })
        })
        .collect()
}

/// Whether `row` of `table` is `user`'s: the test's own reading of the migrations. `None` for a
/// table that holds nobody's rows.
fn owned_by(table: &Table, name: &str, row: &Value, user: &str) -> Option<bool> {
    match name {
        "users" => Some(row["id"] == user),
        "audit_log" => Some(row["actor_id"] == user || row["target_id"] == user),
        "oauth_state_uses" | "quota_guard" | "request_guard" => None,
        _ if table.columns.iter().any(|c| c == "user_id") => Some(row["user_id"] == user),
        _ => panic!("the test does not know whose rows {name} holds"),
    }
}

/// D1's rows of the scope: everything, or `user`'s.
fn scoped(dump: &BTreeMap<String, Table>, user: Option<&str>) -> BTreeMap<String, Table> {
    dump.iter()
        .map(|(name, table)| {
            let rows = table
                .rows
                .iter()
                .filter(|row| match user {
                    None => true,
                    Some(user) => owned_by(table, name, row, user).unwrap_or(false),
                })
                .cloned()
                .collect();
            let columns = table.columns.clone();
            (name.clone(), Table { columns, rows })
        })
        .collect()
}

/// Asserts that every table of Postgres holds exactly D1's rows of the scope (`user`, or all),
/// compared as JSON; the number of rows compared.
fn assert_same_rows(pg: &Postgres, d1: &Path, user: Option<&str>) -> usize {
    let expected = scoped(&d1_dump(d1), user);
    let actual = pg_dump(pg, &expected);
    for (name, table) in &expected {
        assert_eq!(
            actual[name].rows, table.rows,
            "{name}: Postgres's rows are not D1's for {user:?}"
        );
    }
    expected.values().map(|t| t.rows.len()).sum()
}

fn count(dump: &BTreeMap<String, Table>) -> usize {
    dump.values().map(|t| t.rows.len()).sum()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// `node scripts/move-to-postgres.mjs --local --persist-to STATE ARGS` into `pg`.
fn move_data(fixture: &Fixture, pg: &Postgres, args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let output = Command::new("node")
        .arg(root().join("scripts/move-to-postgres.mjs"))
        .args(["--local", "--persist-to"])
        .arg(&fixture.worker.state)
        .args(args)
        .env("DATABASE_URL", &pg.url)
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .envs(env.iter().copied())
        .current_dir(root())
        .output()
        .expect("run node scripts/move-to-postgres.mjs");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        took: started.elapsed(),
    };
    eprintln!(
        "move-to-postgres {args:?} {env:?}: exit {:?} in {:.1} s",
        run.code,
        run.took.as_secs_f64()
    );
    run
}

fn expect_exit(run: &Run, code: i32) {
    assert_eq!(
        run.code,
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

/// Per table of the scope, (rows read, rows copied) as recorded in data_moves.
fn progress(pg: &Postgres, scope: &str) -> BTreeMap<String, (i64, i64, bool)> {
    pg.psql(&format!(
        "select table_name, rows_read, rows_copied, finished_at is not null as finished
           from data_moves where scope = '{scope}'"
    ))
    .as_array()
    .expect("rows")
    .iter()
    .map(|row| {
        (
            row["table_name"].as_str().expect("table_name").to_owned(),
            (
                row["rows_read"].as_i64().expect("rows_read"),
                row["rows_copied"].as_i64().expect("rows_copied"),
                row["finished"].as_bool().expect("finished"),
            ),
        )
    })
    .collect()
}

fn in_postgres(pg: &Postgres, d1: &Path) -> usize {
    count(&pg_dump(pg, &d1_dump(d1)))
}

#[test]
fn one_user_moves_alone_and_a_dry_run_writes_nothing() {
    let fixture = fixture();
    let pg = Postgres::start("move-user");
    let [a, b] = &fixture.users;

    let dry = move_data(fixture, &pg, &["--user", a, "--dry-run"], &[]);
    expect_exit(&dry, 0);
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    assert!(dry.stdout.contains("habit_completions"), "{}", dry.stdout);
    assert_eq!(in_postgres(&pg, &fixture.d1), 0, "a dry run copies nothing");
    assert_eq!(
        pg.psql("select to_regclass('data_moves') as t")[0]["t"],
        Value::Null,
        "nor records progress"
    );

    let run = move_data(fixture, &pg, &["--user", a], &[]);
    expect_exit(&run, 0);
    let moved = assert_same_rows(&pg, &fixture.d1, Some(a));
    let everyone = count(&d1_dump(&fixture.d1));
    eprintln!("--user: {moved} of D1's {everyone} rows moved (one user's), compared as JSON");
    let dump = pg_dump(&pg, &d1_dump(&fixture.d1));
    for (table, at_least) in [
        ("users", 1),
        ("user_identities", 1),
        ("sessions", 1),
        ("api_tokens", 1),
        ("goals", 2),
        ("habits", 2),
        ("habit_completions", 2),
        ("quests", 1),
        ("workouts", 2),
        ("books", 1),
        ("focus_sessions", 1),
        ("idempotent_responses", 1),
        ("change_log", 10),
        ("audit_log", 1),
    ] {
        let n = dump[table].rows.len();
        assert!(n >= at_least, "{table}: {n} rows, expected {at_least}+");
        assert!(
            dump[table]
                .rows
                .iter()
                .all(|row| row.get("user_id").is_none_or(|u| u == a.as_str())),
            "{table}: only {a}'s rows"
        );
    }
    assert!(
        !dump["users"].rows.iter().any(|row| row["id"] == b.as_str()),
        "nothing of the other user"
    );
    assert!(
        progress(&pg, &format!("user:{a}"))
            .values()
            .all(|(read, copied, finished)| read == copied && *finished),
        "every table of the scope finished"
    );
}

#[test]
fn a_move_stopped_midway_resumes_to_the_same_rows_and_a_rerun_copies_nothing() {
    let fixture = fixture();
    let pg = Postgres::start("move-resume");
    let d1 = &fixture.d1;
    let in_d1 = count(&d1_dump(d1));

    // As a crash after the fifth page: pages of 2 rows, so some tables are half-copied.
    let stopped = move_data(
        fixture,
        &pg,
        &["--page-size", "2"],
        &[("MOVE_TO_POSTGRES_STOP_AFTER_PAGES", "5")],
    );
    expect_exit(&stopped, 3);
    let partial = in_postgres(&pg, d1);
    let recorded = progress(&pg, "all");
    assert_eq!(
        recorded.len(),
        5,
        "five pages, five tables started: {recorded:?}"
    );
    assert!(
        recorded
            .values()
            .any(|(read, _, finished)| *read == 2 && !finished),
        "a table stopped after its first page: {recorded:?}"
    );
    assert!(partial > 0 && partial < in_d1, "{partial} of {in_d1} rows");

    let resumed = move_data(fixture, &pg, &[], &[]);
    expect_exit(&resumed, 0);
    assert!(
        resumed.stdout.contains("same number of rows on both sides"),
        "{}",
        resumed.stdout
    );
    assert_eq!(assert_same_rows(&pg, d1, None), in_d1);
    let recorded = progress(&pg, "all");
    let copied: i64 = recorded.values().map(|(_, copied, _)| copied).sum();
    assert_eq!(copied as usize, in_d1, "each row copied once: {recorded:?}");
    assert!(recorded.values().all(|(read, copied, _)| read == copied));
    eprintln!(
        "stopped after 5 pages with {partial} rows, resumed to {in_d1} rows ({} tables)",
        recorded.len()
    );

    // The change log's sequence hands out numbers after the copied ones.
    let sequence = pg.psql(
        "select (select max(seq) from change_log) as max,
                (select last_value from change_log_seq_seq) as last",
    );
    assert_eq!(sequence[0]["max"], sequence[0]["last"], "{sequence}");

    // A second run finds everything done; one with --restart reads it all again, adds nothing.
    let again = move_data(fixture, &pg, &[], &[]);
    expect_exit(&again, 0);
    let restarted = move_data(fixture, &pg, &["--restart"], &[]);
    expect_exit(&restarted, 0);
    let recorded = progress(&pg, "all");
    let (read, copied) = recorded
        .values()
        .fold((0, 0), |(r, c), (read, copied, _)| (r + read, c + copied));
    assert_eq!(
        (read as usize, copied),
        (in_d1, 0),
        "everything read again, nothing new: {recorded:?}"
    );
    assert_eq!(assert_same_rows(&pg, d1, None), in_d1, "no row twice");
}

#[test]
fn a_postgres_schema_missing_a_migration_is_refused() {
    let pg = Postgres::start("move-refused");
    let migrations = postgres_migrations();
    let last = migrations
        .last()
        .and_then(|path| path.file_name()?.to_str())
        .expect("a migration");
    pg.execute(&format!(
        "delete from schema_migrations where name = '{last}'"
    ))
    .expect("forget a migration");
    let started = Instant::now();
    let output = Command::new("node")
        .arg(root().join("scripts/move-to-postgres.mjs"))
        .args(["--local", "--persist-to"])
        .arg(std::env::temp_dir().join("passion-edge-move-never-read"))
        .env("DATABASE_URL", &pg.url)
        .current_dir(root())
        .output()
        .expect("run node scripts/move-to-postgres.mjs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("schema_migrations lacks {last}"))
            && stderr.contains("make pg-migrate"),
        "{stderr}"
    );
    assert_eq!(
        pg.psql("select to_regclass('data_moves') as t")[0]["t"],
        Value::Null,
        "refused before writing anything"
    );
    eprintln!(
        "refused in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        stderr.trim()
    );
}
