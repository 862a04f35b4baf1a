//! A private Postgres for one test binary: `scripts/postgres.sh run` under the supervisor on a
//! free loopback port below 32768 with a fresh directory, a fresh database in it with
//! `migrations/postgres/` applied through the script, and psql to query it.
//!
//! The supervisor stops the cluster and removes its directory when this process exits, however
//! it exits, so a cluster held in a `static` goes too; one owned by a test stops on drop.

use std::{
    collections::hash_map::RandomState,
    hash::BuildHasher,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{root, supervise};

pub struct Postgres {
    /// `postgres://USER:PASS@127.0.0.1:PORT/DB` of the fresh database, password included.
    pub url: String,
    /// The cluster's directory (data, password), removed when the cluster stops.
    pub dir: PathBuf,
    /// The cluster's output: initdb's and the server's log.
    pub log: PathBuf,
    /// How long the cluster took to accept connections, for the record.
    pub started_in: Duration,
    supervisor: Mutex<Child>,
}

/// The cluster shared by the tests of one binary, its database migrated.
pub fn postgres() -> &'static Postgres {
    static POSTGRES: OnceLock<Postgres> = OnceLock::new();
    POSTGRES.get_or_init(|| Postgres::start("default"))
}

/// The database of each cluster; the cluster is private, so one name does.
const DATABASE: &str = "passion_test";

impl Postgres {
    /// Starts a cluster, makes the database and applies the migrations. A port another process
    /// took meanwhile is retried on another one.
    pub fn start(name: &str) -> Postgres {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(name) {
                Ok(mut postgres) => {
                    postgres.create_and_migrate();
                    return postgres;
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "Postgres did not start (scripts/postgres.sh run):\n{}",
            failures.join("\n---\n")
        );
    }

    fn try_start(name: &str) -> Result<Postgres, String> {
        let port = free_port_below_32768();
        let unique = format!("postgres-{name}-{}-{port}", std::process::id());
        let dir = std::env::temp_dir().join(format!("passion-edge-{unique}"));
        let script = root().join("scripts/postgres.sh");
        let port_text = port.to_string();
        let command = [
            script.as_os_str(),
            "run".as_ref(),
            dir.as_os_str(),
            port_text.as_ref(),
        ];
        // A log of a previous run under the same name would hide this one's.
        let _ = std::fs::remove_file(root().join(format!("target/e2e-logs/{unique}.log")));
        let (supervisor, log) = supervise(&unique, Some(&dir), &command);
        let started = Instant::now();
        let mut postgres = Postgres {
            url: String::new(),
            dir,
            log,
            started_in: Duration::ZERO,
            supervisor: Mutex::new(supervisor),
        };
        let limit = Duration::from_secs(60);
        while started.elapsed() < limit {
            let exited = postgres
                .supervisor
                .get_mut()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .try_wait()
                .ok()
                .flatten();
            if let Some(status) = exited {
                return Err(format!("{status}; log:\n{}", postgres.log_text()));
            }
            if let Ok(url) = std::fs::read_to_string(postgres.dir.join("url")) {
                let url = url.trim().to_owned();
                if run_psql(&url, &["--command=select 1"]).is_ok() {
                    postgres.started_in = started.elapsed();
                    postgres.url = url;
                    return Ok(postgres);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "no connection within {limit:?}; log:\n{}",
            postgres.log_text()
        ))
    }

    fn create_and_migrate(&mut self) {
        run_psql(
            &self.url,
            &[&format!("--command=create database {DATABASE}")],
        )
        .unwrap_or_else(|error| panic!("create database: {error}"));
        let (server, _) = self
            .url
            .rsplit_once('/')
            .expect("a URL ends with its database");
        self.url = format!("{server}/{DATABASE}");
        let output = Command::new(root().join("scripts/postgres.sh"))
            .arg("migrate")
            .arg(&self.url)
            .output()
            .expect("run scripts/postgres.sh migrate");
        assert!(
            output.status.success(),
            "the Postgres migrations failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The rows of `query` (one SELECT, or a statement with `returning`, no trailing `;`), each
    /// an object keyed by column name, through `json_agg`. Panics on an error.
    pub fn psql(&self, query: &str) -> Value {
        self.try_psql(query)
            .unwrap_or_else(|error| panic!("psql {query}: {error}"))
    }

    /// [`Postgres::psql`], the error (Postgres's message) as `Err`.
    pub fn try_psql(&self, query: &str) -> Result<Value, String> {
        query_rows(&self.url, query)
    }

    /// Runs `sql` (statements) in one transaction: all of it commits, or on the first error
    /// nothing does and the error is `Err` with Postgres's message.
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        run_psql(
            &self.url,
            &["--single-transaction", &format!("--command={sql}")],
        )
        .map(drop)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Postgres {
    /// Stops the cluster and waits until the supervisor has removed its directory.
    fn drop(&mut self) {
        let supervisor = self
            .supervisor
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(supervisor.stdin.take());
        let _ = supervisor.wait();
    }
}

/// psql on `url` with `args`, its standard output or its error.
fn query_rows(url: &str, query: &str) -> Result<Value, String> {
    let wrapped = format!(
        "with q as ({}) select coalesce(json_agg(row_to_json(q)), '[]'::json) from q",
        query.trim().trim_end_matches(';')
    );
    let output = run_psql(
        url,
        &[
            "--tuples-only",
            "--no-align",
            &format!("--command={wrapped}"),
        ],
    )?;
    serde_json::from_str(&output).map_err(|e| format!("psql output {output:?}: {e}"))
}

/// The rows of `sql` on the database `url`, as `Worker::d1` gives D1's: a query's rows as
/// objects; a statement without `returning` (an update, a delete) runs and gives none.
pub fn rows(url: &str, sql: &str) -> Result<Vec<Value>, String> {
    let text = sql.trim().to_ascii_lowercase();
    let writes = text
        .split_whitespace()
        .any(|word| ["insert", "update", "delete"].contains(&word));
    let returns_rows = !writes || text.contains(" returning ");
    if !returns_rows {
        return run_psql(url, &[&format!("--command={sql}")]).map(|_| Vec::new());
    }
    match query_rows(url, sql)? {
        Value::Array(rows) => Ok(rows),
        other => Err(format!("psql gave {other}")),
    }
}

fn run_psql(url: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new("psql")
        .args(["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"])
        .args(args)
        .arg(url)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .map_err(|e| format!("run psql (scripts/postgres.sh install): {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// A loopback port free now, below Linux's ephemeral range (32768..), so no outgoing connection
/// takes it before the cluster binds it.
fn free_port_below_32768() -> u16 {
    let seed = RandomState::new().hash_one(std::process::id());
    (0..1000u64)
        .map(|attempt| 20000 + ((seed.wrapping_add(attempt * 7919)) % 12768) as u16)
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free loopback port in 20000..32768")
}
