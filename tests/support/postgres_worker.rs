//! The worker with Postgres as its content store (the `CONTENT_DB` Hyperdrive binding, through
//! wrangler dev's local Hyperdrive), and a Postgres cluster a test can stop and start again at
//! the same address, to see the worker through an outage.
//!
//! `support::postgres` holds a cluster for the life of a test binary; an outage needs the same
//! port, password and data after the restart, so this cluster keeps its directory across its
//! runs (`scripts/postgres.sh run` again on it) and a janitor removes the directory when this
//! process exits, however it exits.

use std::{
    collections::hash_map::RandomState,
    hash::BuildHasher,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command},
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{Worker, WorkerOptions, root, supervise};

/// The binding whose presence makes Postgres the content store (src/store/postgres).
pub const BINDING: &str = "CONTENT_DB";

/// Starts the built worker with the `CONTENT_DB` binding pointed at `database_url`.
///
/// The binding is declared in a copy of wrangler.toml (its paths made absolute, so the copy can
/// live under target/) and its address given as wrangler's local connection string. wrangler
/// 4.86's local Hyperdrive proxy ends `wrangler dev` on a refused or reset database connection
/// (fixed in 4.87, which needs Node 22): scripts/hyperdrive-proxy-guard.cjs, preloaded into
/// wrangler's Node, keeps it serving.
pub fn start(name: &str, database_url: &str, options: WorkerOptions) -> Worker {
    Worker::start(name, with_binding(name, database_url, options))
}

/// The environment variable carrying the binding's local connection string.
pub const CONNECTION_STRING_VARIABLE: &str =
    "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_CONTENT_DB";

/// `options` with the `CONTENT_DB` binding pointed at `database_url` (see `start`).
pub fn with_binding(name: &str, database_url: &str, options: WorkerOptions) -> WorkerOptions {
    let guard = root().join("scripts/hyperdrive-proxy-guard.cjs");
    let mut env = options.env.clone();
    env.push((
        CONNECTION_STRING_VARIABLE.to_owned(),
        database_url.to_owned(),
    ));
    env.push((
        "NODE_OPTIONS".to_owned(),
        format!("--require {}", guard.display()),
    ));
    WorkerOptions {
        config: Some(config_with_binding(name)),
        env,
        ..options
    }
}

/// Whether this run's workers keep their content in Postgres (`PASSION_STORE=postgres`, as
/// `make test-postgres` runs the end-to-end suites): each worker then gets a fresh database of
/// one cluster per test binary.
pub fn enabled() -> bool {
    std::env::var("PASSION_STORE").is_ok_and(|store| store == "postgres")
}

/// `options` of a worker in a Postgres run: a fresh database `name` of the binary's cluster,
/// migrated unless the worker is to start without its migrations.
pub fn in_postgres_run(name: &str, options: WorkerOptions) -> WorkerOptions {
    static CLUSTER: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
    let cluster = CLUSTER.get_or_init(|| Cluster::start("e2e"));
    let applied = if options.skip_migrations {
        0
    } else {
        postgres_migrations().len()
    };
    let url = cluster
        .existing(name)
        .unwrap_or_else(|| cluster.database(name, applied));
    with_binding(name, &url, options)
}

/// wrangler.toml plus the `[[hyperdrive]]` binding, written to target/e2e-config/{name}.toml.
fn config_with_binding(name: &str) -> PathBuf {
    let original = std::fs::read_to_string(root().join("wrangler.toml")).expect("wrangler.toml");
    let mut text = original.clone();
    for (line, path) in [
        ("main = \"build/index.js\"", "build/index.js"),
        ("directory = \"target/assets\"", "target/assets"),
        ("migrations_dir = \"migrations\"", "migrations"),
    ] {
        let (key, _) = line.split_once(" = ").expect("a key");
        assert_eq!(
            original.lines().filter(|l| *l == line).count(),
            1,
            "wrangler.toml should have the line `{line}` once (postgres_worker rewrites it)"
        );
        let absolute = format!("{key} = {:?}", root().join(path).display().to_string());
        text = text.replace(line, &absolute);
    }
    text.push_str(&format!(
        "\n# Added by tests/support/postgres_worker.rs.\n[[hyperdrive]]\nbinding = \"{BINDING}\"\n\
         id = \"00000000000000000000000000000000\"\n"
    ));
    let dir = root().join("target/e2e-config");
    std::fs::create_dir_all(&dir).expect("target/e2e-config");
    let file = dir.join(format!("{name}-{}.toml", std::process::id()));
    std::fs::write(&file, text).expect("write the configuration");
    file
}

/// A private cluster (`scripts/postgres.sh run`) that can be stopped and started again with the
/// same port, password and data.
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
    pub fn start(name: &str) -> Cluster {
        let port = free_port_below_32768();
        let name = format!("postgres-{name}-{}-{port}", std::process::id());
        let dir = std::env::temp_dir().join(format!("passion-edge-{name}"));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let sleep = [std::ffi::OsStr::new("sleep"), "infinity".as_ref()];
        let (janitor, _) = supervise(&format!("{name}-janitor"), Some(&dir), &sleep);
        let mut cluster = Cluster {
            dir,
            port,
            server: String::new(),
            name,
            running: Mutex::new(None),
            janitor: Mutex::new(janitor),
        };
        cluster.start_again();
        let url = std::fs::read_to_string(cluster.dir.join("url")).expect("url");
        let (server, _) = url
            .trim()
            .rsplit_once('/')
            .expect("a URL ends with its database");
        cluster.server = server.to_owned();
        cluster
    }

    /// Runs the cluster (again) and waits until it accepts connections.
    pub fn start_again(&self) {
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
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = supervisor.try_wait() {
                panic!("Postgres exited ({status}):\n{}", read(&log));
            }
            let url = std::fs::read_to_string(self.dir.join("url")).unwrap_or_default();
            if !url.is_empty() && psql(url.trim(), "select 1").is_ok() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "Postgres did not start:\n{}",
                read(&log)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        *running = Some(supervisor);
    }

    /// Stops the cluster (`pg_ctl stop --mode=fast`: sessions are ended, new connections refused)
    /// and waits until it is gone.
    pub fn stop(&self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let mut supervisor = running.take().expect("the cluster is running");
        let output = Command::new(root().join("scripts/postgres.sh"))
            .arg("stop")
            .arg(&self.dir)
            .output()
            .expect("run scripts/postgres.sh stop");
        assert!(
            output.status.success(),
            "postgres.sh stop: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let _ = supervisor.wait();
    }

    /// The URL of the database `name`, if the cluster holds it.
    pub fn existing(&self, name: &str) -> Option<String> {
        let found = psql(
            &format!("{}/postgres", self.server),
            &format!("select 1 from pg_database where datname = '{name}'"),
        )
        .unwrap_or_else(|error| panic!("look for database {name}: {error}"));
        found
            .contains("(1 row)")
            .then(|| format!("{}/{name}", self.server))
    }

    /// Makes the database `name` and applies the first `applied` migrations of
    /// migrations/postgres/ with `scripts/postgres.sh migrate` (run from a copy holding only
    /// those); its URL.
    pub fn database(&self, name: &str, applied: usize) -> String {
        psql(
            &format!("{}/postgres", self.server),
            &format!("create database {name}"),
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
        let output = Command::new(copy.join("scripts/postgres.sh"))
            .arg("migrate")
            .arg(&url)
            .output()
            .expect("run scripts/postgres.sh migrate");
        assert!(
            output.status.success(),
            "migrate {name}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        url
    }
}

impl Drop for Cluster {
    /// Stops the cluster, then lets the janitor remove its directory.
    fn drop(&mut self) {
        let mut supervisors: Vec<Child> = self
            .running
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .into_iter()
            .collect();
        for supervisor in &mut supervisors {
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
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("migrations/postgres"))
        .expect("migrations/postgres")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

fn psql(url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args([
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--command",
            sql,
        ])
        .arg(url)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .map_err(|e| format!("run psql: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A loopback port free now, below Linux's ephemeral range (32768..): a port inside it can be
/// taken by an outgoing connection while the cluster is stopped.
fn free_port_below_32768() -> u16 {
    let seed = RandomState::new().hash_one(std::process::id());
    (0..1000u64)
        .map(|attempt| 20000 + (seed.wrapping_add(attempt * 7919) % 12768) as u16)
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free loopback port in 20000..32768")
}
