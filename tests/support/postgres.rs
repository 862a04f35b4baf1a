//! Private Postgres clusters for the tests: `scripts/postgres.sh run` under the supervisor, fresh
//! databases in them with `migrations/postgres/` applied through the script, and psql to query
//! them.

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

use super::{migrations, root, succeeded, supervise};

/// A fresh migrated database of a cluster of its own, and psql to query it.
pub struct Postgres {
    /// `postgres://USER:PASS@127.0.0.1:PORT/DB` of the fresh database, password included.
    pub url: String,
    /// Held so the cluster runs as long as the database is in use (it stops on drop).
    _cluster: Cluster,
}

/// The cluster shared by the tests of one binary, its database migrated.
pub fn postgres() -> &'static Postgres {
    static POSTGRES: OnceLock<Postgres> = OnceLock::new();
    POSTGRES.get_or_init(|| Postgres::start("default"))
}

impl Postgres {
    /// Starts a cluster, makes the database and applies every migration.
    pub fn start(name: &str) -> Postgres {
        let cluster = Cluster::start(name);
        let url = cluster.database("passion_test", postgres_migrations().len());
        Postgres {
            url,
            _cluster: cluster,
        }
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
}

/// A private cluster (`scripts/postgres.sh run`) on a free loopback port below 32768, that can
/// be stopped and started again with the same port, password and data (an outage). A janitor
/// removes its directory when this process exits, however it exits, so a cluster held in a
/// `static` goes too; one owned by a test stops on drop.
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    /// `postgres://USER:PASS@127.0.0.1:PORT` (no database).
    server: String,
    name: String,
    running: Mutex<Option<Child>>,
    /// Removes `dir` when this process exits (a supervisor of `sleep`).
    janitor: Mutex<Child>,
}

impl Cluster {
    /// Starts a cluster. A port another process took meanwhile is retried on another one.
    pub fn start(name: &str) -> Cluster {
        let mut failures = Vec::new();
        for _ in 0..3 {
            let mut cluster = Cluster::at_a_free_port(name);
            match cluster.run() {
                Ok(()) => {
                    let url = std::fs::read_to_string(cluster.dir.join("url")).expect("url");
                    let (server, _) = url
                        .trim()
                        .rsplit_once('/')
                        .expect("a URL ends with its database");
                    cluster.server = server.to_owned();
                    return cluster;
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "Postgres did not start (scripts/postgres.sh run):\n{}",
            failures.join("\n---\n")
        );
    }

    fn at_a_free_port(name: &str) -> Cluster {
        let port = free_port_below_32768();
        let name = format!("postgres-{name}-{}-{port}", std::process::id());
        let dir = std::env::temp_dir().join(format!("passion-edge-{name}"));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        // A log of a previous run under the same name would hide this one's.
        let _ = std::fs::remove_file(root().join(format!("target/e2e-logs/{name}.log")));
        let sleep = [std::ffi::OsStr::new("sleep"), "infinity".as_ref()];
        let (janitor, _) = supervise(&format!("{name}-janitor"), Some(&dir), &sleep);
        Cluster {
            dir,
            port,
            server: String::new(),
            name,
            running: Mutex::new(None),
            janitor: Mutex::new(janitor),
        }
    }

    /// Runs the cluster (again) and waits until it accepts connections.
    pub fn start_again(&self) {
        self.run()
            .unwrap_or_else(|failure| panic!("Postgres did not start again: {failure}"));
    }

    fn run(&self) -> Result<(), String> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        assert!(running.is_none(), "the cluster is running");
        let script = root().join("scripts/postgres.sh");
        let port = self.port.to_string();
        let command = [
            script.as_os_str(),
            "run".as_ref(),
            self.dir.as_os_str(),
            port.as_ref(),
        ];
        let (mut supervisor, log) = supervise(&self.name, None, &command);
        let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
        let started = Instant::now();
        let limit = Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = supervisor.try_wait() {
                return Err(format!("{status}; log:\n{}", log_text()));
            }
            let url = std::fs::read_to_string(self.dir.join("url")).unwrap_or_default();
            if !url.is_empty() && run_psql(url.trim(), &["--command=select 1"]).is_ok() {
                break;
            }
            if started.elapsed() > limit {
                drop(supervisor.stdin.take());
                let _ = supervisor.wait();
                return Err(format!(
                    "no connection within {limit:?}; log:\n{}",
                    log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        *running = Some(supervisor);
        Ok(())
    }

    /// Stops the cluster (`pg_ctl stop --mode=fast`: sessions are ended, new connections refused)
    /// and waits until it is gone.
    pub fn stop(&self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let mut supervisor = running.take().expect("the cluster is running");
        succeeded(
            Command::new(root().join("scripts/postgres.sh"))
                .arg("stop")
                .arg(&self.dir),
            "scripts/postgres.sh stop",
        );
        let _ = supervisor.wait();
    }

    /// The URL of the database `name`, if the cluster holds it.
    pub fn existing(&self, name: &str) -> Option<String> {
        let found = query_rows(
            &format!("{}/postgres", self.server),
            &format!("select 1 as found from pg_database where datname = '{name}'"),
        )
        .unwrap_or_else(|error| panic!("look for database {name}: {error}"));
        (found != Value::Array(Vec::new())).then(|| format!("{}/{name}", self.server))
    }

    /// Makes the database `name` and applies the first `applied` migrations of
    /// migrations/postgres/ with `scripts/postgres.sh migrate` (run from a copy holding only
    /// those); its URL.
    pub fn database(&self, name: &str, applied: usize) -> String {
        run_psql(
            &format!("{}/postgres", self.server),
            &[&format!("--command=create database {name}")],
        )
        .unwrap_or_else(|error| panic!("create database {name}: {error}"));
        let url = format!("{}/{name}", self.server);
        let copy = self.dir.join(format!("migrate-{name}"));
        std::fs::create_dir_all(copy.join("scripts")).expect("copy dir");
        std::fs::create_dir_all(copy.join("migrations/postgres")).expect("copy dir");
        std::fs::copy(
            root().join("scripts/postgres.sh"),
            copy.join("scripts/postgres.sh"),
        )
        .expect("copy postgres.sh");
        for file in postgres_migrations().iter().take(applied) {
            let name = file.file_name().expect("a file name");
            std::fs::copy(file, copy.join("migrations/postgres").join(name))
                .expect("copy a migration");
        }
        succeeded(
            Command::new(copy.join("scripts/postgres.sh"))
                .arg("migrate")
                .arg(&url),
            &format!("scripts/postgres.sh migrate ({name})"),
        );
        url
    }
}

impl Drop for Cluster {
    /// Stops the cluster, then lets the janitor remove its directory.
    fn drop(&mut self) {
        let running = self.running.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(mut supervisor) = running.take() {
            drop(supervisor.stdin.take());
            let _ = supervisor.wait();
        }
        let janitor = self.janitor.get_mut().unwrap_or_else(|p| p.into_inner());
        drop(janitor.stdin.take());
        let _ = janitor.wait();
    }
}

/// The files of migrations/postgres/, in order.
pub fn postgres_migrations() -> Vec<PathBuf> {
    migrations("migrations/postgres")
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
