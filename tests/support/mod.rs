//! The end-to-end harness: starts the built worker in workerd (`wrangler dev`) on a free loopback
//! port with a fresh state directory, and a small HTTP client that keeps cookies by hand
//! (`__Host-` cookies are `Secure`, which cookie stores refuse to send over plain http).
//!
//! Each test binary shares one worker. A node supervisor owns the process group and removes the
//! state directory when this process exits, however it exits: no stray processes.
#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod postgres;
pub mod postgres_worker;

use std::{
    collections::BTreeMap,
    io::Read,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use serde_json::Value;

pub struct Worker {
    pub base: String,
    pub log: PathBuf,
    /// The local state directory (D1, KV, R2, DO), removed when the process exits.
    pub state: PathBuf,
    /// The database of a worker whose content store is Postgres.
    pub postgres_url: Option<String>,
    _supervisor: Mutex<Child>,
}

#[derive(Clone)]
pub struct WorkerOptions {
    /// Leave the D1 migrations unapplied (the health check must then answer 503).
    pub skip_migrations: bool,
    /// `DEV_AUTH`, on unless a test checks the production default.
    pub dev_auth: bool,
    /// Extra `--var NAME:VALUE` pairs.
    pub vars: Vec<(String, String)>,
    /// Serve this existing state directory and keep it when the worker stops (restart tests);
    /// by default each worker gets a fresh one, removed when it stops.
    pub keep_state: Option<PathBuf>,
    /// A wrangler configuration other than wrangler.toml (`--config`), for bindings the default
    /// one lacks (`postgres_worker`: the Postgres content store's Hyperdrive binding).
    pub config: Option<PathBuf>,
    /// Extra environment for `wrangler dev` (a Hyperdrive binding's local connection string,
    /// `NODE_OPTIONS`).
    pub env: Vec<(String, String)>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            keep_state: None,
            config: None,
            env: Vec::new(),
            skip_migrations: false,
            dev_auth: true,
            vars: vec![(
                "ALLOWED_ORIGINS".into(),
                format!("{ALLOWED_WEB_ORIGIN},{ALLOWED_EXTENSION_ORIGIN}"),
            )],
        }
    }
}

pub const ALLOWED_WEB_ORIGIN: &str = "https://app.passion.test";
pub const ALLOWED_EXTENSION_ORIGIN: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

/// Starts `command` under the supervisor, its output going to `target/e2e-logs/{name}.log`.
fn supervise(name: &str, remove: Option<&Path>, command: &[&std::ffi::OsStr]) -> (Child, PathBuf) {
    let logs = root().join("target/e2e-logs");
    std::fs::create_dir_all(&logs).expect("log dir");
    let log = logs.join(format!("{name}.log"));
    let mut supervisor = Command::new("node");
    supervisor
        .arg(root().join("tests/support/supervise.mjs"))
        .arg("--log")
        .arg(&log);
    if let Some(dir) = remove {
        supervisor.arg("--remove").arg(dir);
    }
    let child = supervisor
        .arg("--")
        .args(command)
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .current_dir(root())
        .stdin(Stdio::piped())
        .spawn()
        .expect("start the supervisor (node)");
    (child, log)
}

/// The worker shared by the tests of one binary, with the default test configuration.
pub fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| Worker::start("default", WorkerOptions::default()))
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn wrangler() -> PathBuf {
    root().join("node_modules/.bin/wrangler")
}

impl Worker {
    pub fn start(name: &str, options: WorkerOptions) -> Worker {
        let root = root();
        let port = free_port();
        let unique = format!("{name}-{}-{port}", std::process::id());
        let state = options
            .keep_state
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join(format!("passion-edge-e2e-{unique}")));
        std::fs::create_dir_all(&state).expect("state dir");
        // A worker started again on its state (a restart) finds its database again too.
        let options = if postgres_worker::enabled() && options.config.is_none() {
            let database: String = format!(
                "w_{}",
                state.file_name().unwrap_or_default().to_string_lossy()
            )
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(63)
            .collect();
            postgres_worker::in_postgres_run(&database, options)
        } else {
            options
        };
        let postgres_url = options
            .env
            .iter()
            .find(|(name, _)| name == postgres_worker::CONNECTION_STRING_VARIABLE)
            .map(|(_, url)| url.clone());
        if !options.skip_migrations {
            let status = Command::new(wrangler())
                .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
                .arg(&state)
                .env("CI", "1")
                .env("WRANGLER_SEND_METRICS", "false")
                .current_dir(root)
                .stdout(Stdio::null())
                .status()
                .expect("run wrangler d1 migrations apply");
            assert!(status.success(), "migrations failed to apply");
        }

        let inspector_port = free_port();
        let mut args: Vec<String> = vec![
            wrangler().display().to_string(),
            "dev".into(),
            "--ip".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "--inspector-port".into(),
            inspector_port.to_string(),
            "--show-interactive-dev-session=false".into(),
            // `GET /__scheduled` runs the Cron Trigger's handler (`Worker::run_scheduled`).
            "--test-scheduled".into(),
            "--persist-to".into(),
            state.display().to_string(),
            "--var".into(),
            "ENVIRONMENT:development".into(),
            "--var".into(),
            format!("DEV_AUTH:{}", if options.dev_auth { "on" } else { "off" }),
        ];
        for (name, value) in &options.vars {
            args.push("--var".into());
            args.push(format!("{name}:{value}"));
        }
        if let Some(config) = &options.config {
            args.push("--config".into());
            args.push(config.display().to_string());
        }
        if !options.env.is_empty() {
            let assignments = options
                .env
                .iter()
                .map(|(name, value)| format!("{name}={value}"));
            args.splice(0..0, std::iter::once("env".to_owned()).chain(assignments));
        }
        let command: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        let removal = options.keep_state.is_none().then_some(state.as_path());
        let (supervisor, log) = supervise(&unique, removal, &command);
        let worker = Worker {
            base: format!("http://127.0.0.1:{port}"),
            log,
            state,
            postgres_url,
            _supervisor: Mutex::new(supervisor),
        };
        worker.wait_until_serving(Duration::from_secs(120));
        worker
    }

    fn wait_until_serving(&self, limit: Duration) {
        let started = Instant::now();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        while started.elapsed() < limit {
            match agent.get(&format!("{}/api/health", self.base)).call() {
                Ok(_) | Err(ureq::Error::Status(..)) => return,
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        panic!(
            "the worker did not answer within {limit:?}; log:\n{}",
            self.log_text()
        );
    }

    /// Kills the worker's runtime (every `workerd` process it started) with SIGKILL, as a crash
    /// would: nothing gets to finish. `stop` then ends what is left.
    pub fn kill_runtime(&self) -> usize {
        let supervisor = self
            ._supervisor
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .id();
        // /proc/PID/stat: "pid (comm) state ppid pgrp ..."
        let processes: Vec<(u32, String, u32, u32)> = std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(|entry| {
                let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                let (comm, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
                let fields: Vec<&str> = rest.split_whitespace().collect();
                Some((
                    pid,
                    comm.to_owned(),
                    fields.get(1)?.parse().ok()?,
                    fields.get(2)?.parse().ok()?,
                ))
            })
            .collect();
        // The supervisor starts wrangler in a process group of its own.
        let groups: Vec<u32> = processes
            .iter()
            .filter(|(_, _, parent, _)| *parent == supervisor)
            .map(|(pid, ..)| *pid)
            .collect();
        let mut killed = 0;
        for (pid, comm, _, group) in &processes {
            if comm.starts_with("workerd") && groups.contains(group) {
                // Through node, which the harness needs anyway (procps may be missing).
                let status = Command::new("node")
                    .args(["-e", &format!("process.kill({pid}, 'SIGKILL')")])
                    .status()
                    .expect("node");
                killed += usize::from(status.success());
            }
        }
        killed
    }

    /// Runs the Cron Trigger's handler once, as the schedule would, and waits for it to finish.
    pub fn run_scheduled(&self) {
        let url = format!("{}/__scheduled?cron=*/5+*+*+*+*", self.base);
        let status = match ureq::get(&url).call() {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(status, _)) => status,
            Err(error) => panic!("GET /__scheduled: {error}"),
        };
        assert_eq!(
            status,
            200,
            "the scheduled handler failed; log:\n{}",
            self.log_text()
        );
    }

    /// Stops the worker and waits until its processes are gone.
    pub fn stop(self) {
        let mut supervisor = self
            ._supervisor
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(supervisor.stdin.take());
        let _ = supervisor.wait();
    }

    /// Runs `sql` on the worker's local D1, as an operator would with wrangler; the rows. No
    /// request is in flight meanwhile (two writers of one SQLite file meet `SQLITE_BUSY`), and a
    /// busy database (the worker finishing work after a response) is tried again.
    /// With Postgres as the content store, `sql` runs there instead (one text serves both).
    pub fn d1(&self, sql: &str) -> Vec<Value> {
        if let Some(url) = &self.postgres_url {
            return postgres::rows(url, sql).unwrap_or_else(|error| panic!("psql {sql}: {error}"));
        }
        burst(|| {
            for _ in 0..20 {
                let output = Command::new(wrangler())
                    .args(["d1", "execute", "DB", "--local", "--json", "--persist-to"])
                    .arg(&self.state)
                    .args(["--command", sql])
                    .env("CI", "1")
                    .env("WRANGLER_SEND_METRICS", "false")
                    .current_dir(root())
                    .output()
                    .expect("run wrangler d1 execute");
                let stderr = String::from_utf8_lossy(&output.stderr);
                if output.status.success() {
                    let results: Value =
                        serde_json::from_slice(&output.stdout).expect("d1 --json output");
                    return results[0]["results"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                }
                assert!(stderr.contains("SQLITE_BUSY"), "d1 {sql}: {stderr}");
                std::thread::sleep(Duration::from_millis(250));
            }
            panic!("d1 {sql}: the database stayed busy");
        })
    }

    /// The bytes of the local R2 object `key` of the audio bucket, `None` if there is none.
    pub fn r2_object(&self, key: &str) -> Option<Vec<u8>> {
        let output = Command::new(wrangler())
            .args(["r2", "object", "get", "--local", "--pipe", "--persist-to"])
            .arg(&self.state)
            .arg(format!("passion-edge-audio/{key}"))
            .env("CI", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .current_dir(root())
            .output()
            .expect("run wrangler r2 object get");
        output.status.success().then_some(output.stdout)
    }

    /// The SQLite files of the worker's Durable Objects.
    pub fn object_databases(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![self.state.join("v3/do")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "sqlite") {
                    files.push(path);
                }
            }
        }
        files
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A client of its own (cookie jar, client IP), so its request budget is its own too.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client signed in through the dev sign-in, and its CSRF token.
    pub fn signed_in(&self, email: &str) -> (Client, String) {
        let mut client = self.client();
        let reply = client.post_json(
            "/api/auth/dev/signin",
            &serde_json::json!({ "email": email }),
        );
        let data = reply.expect_data(200);
        let csrf = data["csrf_token"].as_str().expect("csrf_token").to_owned();
        (client, csrf)
    }
}

/// Runs `command` (`what` names it), failing the test with its output unless it succeeds; its
/// standard output.
pub fn succeeded(command: &mut Command, what: &str) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("run {what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The SQL files of the migrations folder `dir` (`migrations`, D1's, or `migrations/postgres`),
/// in the order they apply.
pub fn migrations(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|error| panic!("{dir}: {error}"))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

/// Rows of `sql` on the SQLite file `path` (read with Python's sqlite3, beside the running
/// worker), each a JSON array; an error (a missing table) is `Err` with its message.
pub fn sqlite(path: &Path, sql: &str) -> Result<Vec<Value>, String> {
    sqlite_bound(path, sql, &[])
}

/// [`sqlite`] of a statement with `?N` placeholders, bound by number to `arguments` as D1 binds
/// them.
pub fn sqlite_bound(path: &Path, sql: &str, arguments: &[Value]) -> Result<Vec<Value>, String> {
    run_sqlite(path, sql, "ro", arguments)
}

/// Runs `sql` (statements, committed) on the SQLite file `path` of a stopped worker, creating
/// the file where missing.
pub fn sqlite_edit(path: &Path, sql: &str) -> Result<(), String> {
    run_sqlite(path, sql, "rwc", &[]).map(drop)
}

fn run_sqlite(
    path: &Path,
    sql: &str,
    mode: &str,
    arguments: &[Value],
) -> Result<Vec<Value>, String> {
    let script = "import json, sqlite3, sys\n\
        path, sql, mode, arguments = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])\n\
        db = sqlite3.connect('file:' + path + '?mode=' + mode, uri=True)\n\
        db.executescript(sql) if mode == 'rwc' else None\n\
        db.commit()\n\
        print(json.dumps([] if mode == 'rwc' else [list(r) for r in db.execute(sql, arguments)]))";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .arg(sql)
        .arg(mode)
        .arg(serde_json::to_string(arguments).expect("arguments as JSON"))
        .output()
        .expect("run python3");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&output.stdout).expect("rows as JSON"))
}

/// A WebSocket to the worker.
pub type Socket = tungstenite::WebSocket<std::net::TcpStream>;

/// An upgrade request to `/api/sync/ws` with `me`'s cookies, and the worker's address.
pub fn upgrade_request(worker: &Worker, me: &Owner) -> (tungstenite::http::Request<()>, String) {
    let address = worker.base.trim_start_matches("http://").to_owned();
    let cookies: Vec<String> = me
        .client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let request = tungstenite::http::Request::builder()
        .uri(format!("ws://{address}/api/sync/ws"))
        .header("host", &address)
        .header("cookie", cookies.join("; "))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header(
            "sec-websocket-key",
            tungstenite::handshake::client::generate_key(),
        )
        .body(())
        .expect("request");
    (request, address)
}

/// A WebSocket to `/api/sync/ws` with `me`'s cookies.
pub fn open_socket(worker: &Worker, me: &Owner) -> Socket {
    let (request, address) = upgrade_request(worker, me);
    let stream = std::net::TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let (socket, response) = tungstenite::client(request, stream).expect("upgrade");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text message, skipping pongs.
pub fn next_text(socket: &mut Socket) -> Option<Value> {
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Text(text)) => return serde_json::from_str(&text).ok(),
            Ok(tungstenite::Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// A documentation-range IPv6 address of its own for each client.
pub fn unique_ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("2001:db8::{:x}:{:x}", std::process::id() & 0xffff, n)
}

/// A fresh e-mail address, unique within this test process.
/// The instant `seconds` from now, as the API writes instants.
pub fn in_seconds(seconds: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    chrono::DateTime::from_timestamp_millis(now + seconds * 1000)
        .expect("time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn unique_email(label: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{label}-{}-{n}@example.org", std::process::id())
}

/// The local OpenID providers of `tests/support/oidc.mjs`.
pub struct Oidc {
    pub google: String,
    pub azure: String,
    control: String,
    _supervisor: Mutex<Child>,
}

pub const GOOGLE_CLIENT_ID: &str = "google-client-e2e";
pub const AZURE_CLIENT_ID: &str = "azure-client-e2e";

impl Oidc {
    pub fn start() -> Oidc {
        let (google, azure, control) = (free_port(), free_port(), free_port());
        let ports: Vec<String> = [google, azure, control]
            .iter()
            .map(u16::to_string)
            .collect();
        let script = root().join("tests/support/oidc.mjs");
        let mut command: Vec<&std::ffi::OsStr> =
            vec![std::ffi::OsStr::new("node"), script.as_os_str()];
        command.extend(ports.iter().map(std::ffi::OsStr::new));
        let (supervisor, log) = supervise(
            &format!("oidc-{}-{control}", std::process::id()),
            None,
            &command,
        );
        let oidc = Oidc {
            google: format!("http://127.0.0.1:{google}"),
            azure: format!("http://127.0.0.1:{azure}"),
            control: format!("http://127.0.0.1:{control}"),
            _supervisor: Mutex::new(supervisor),
        };
        let started = Instant::now();
        while ureq::get(&format!("{}/ready", oidc.control))
            .call()
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the OpenID providers did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        oidc
    }

    /// The worker vars that point both providers at these local servers.
    pub fn worker_vars(&self) -> Vec<(String, String)> {
        [
            ("GOOGLE_OAUTH_CLIENT_ID", GOOGLE_CLIENT_ID.to_owned()),
            ("GOOGLE_OAUTH_CLIENT_SECRET", "google-secret".to_owned()),
            (
                "GOOGLE_OAUTH_AUTHORIZE_URL",
                format!("{}/authorize", self.google),
            ),
            ("GOOGLE_OAUTH_TOKEN_URL", format!("{}/token", self.google)),
            ("GOOGLE_OAUTH_ISSUER", self.google.clone()),
            ("AZURE_AD_CLIENT_ID", AZURE_CLIENT_ID.to_owned()),
            ("AZURE_AD_CLIENT_SECRET", "azure-secret".to_owned()),
            (
                "AZURE_AD_AUTHORIZE_URL",
                format!("{}/authorize", self.azure),
            ),
            ("AZURE_AD_TOKEN_URL", format!("{}/token", self.azure)),
            (
                "AZURE_AD_ISSUER_TEMPLATE",
                format!("{}/{{tenantid}}/v2.0", self.azure),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// Plans what the provider says in the sign-in that carries `state`.
    pub fn plan(&self, state: &str, plan: Value) {
        let mut plan = plan;
        plan["state"] = Value::String(state.to_owned());
        ureq::post(&format!("{}/plan", self.control))
            .send_json(plan)
            .expect("plan a sign-in");
    }
}

/// A signed-in user of the shared worker, writing JSON with its CSRF token.
pub struct Owner {
    pub client: Client,
    pub csrf: String,
}

impl Owner {
    pub fn new(label: &str) -> Owner {
        Owner::on(worker(), &unique_email(label))
    }

    /// The user `email`, signed in on `worker`.
    pub fn on(worker: &Worker, email: &str) -> Owner {
        let (client, csrf) = worker.signed_in(email);
        Owner { client, csrf }
    }

    /// A write with the CSRF token, a JSON body if any, and `extra` headers.
    pub fn write_with(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut headers = vec![
            ("x-csrf-token", self.csrf.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        let text = body.map(Value::to_string);
        self.client
            .send(method, path, &headers, text.as_deref().map(str::as_bytes))
    }

    /// A write, with an `Idempotency-Key` if `key` is given.
    pub fn write(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Reply {
        match key {
            Some(key) => self.write_with(method, path, body, &[("idempotency-key", key)]),
            None => self.write_with(method, path, body, &[]),
        }
    }

    /// `count` identical requests at once, each from a tab of its own, with `extra` headers (no
    /// Idempotency-Key unless given: only the server's own rules keep writes from applying twice).
    pub fn concurrently(
        &self,
        count: usize,
        method: &str,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Vec<Reply> {
        let text = body.map(Value::to_string);
        burst(|| {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..count)
                    .map(|_| {
                        let mut tab = self.client.burst_tab();
                        let (csrf, text) = (self.csrf.clone(), text.clone());
                        scope.spawn(move || {
                            let mut headers = vec![
                                ("x-csrf-token", csrf.as_str()),
                                ("content-type", "application/json"),
                            ];
                            headers.extend_from_slice(extra);
                            tab.send(method, path, &headers, text.as_deref().map(str::as_bytes))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            })
        })
    }

    /// Creates an item and returns it (`data`, which must be `201`).
    pub fn create(&mut self, path: &str, body: &Value) -> Value {
        self.write("POST", path, Some(body), None).expect_data(201)
    }

    /// Creates an API token as `body` describes (`name`, `scope`, ...) and returns its secret.
    pub fn token(&mut self, body: &Value) -> String {
        self.create("/api/tokens", body)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

/// Every ledger row of `currency` the client's user has, newest first, following cursors.
pub fn ledger(client: &mut Client, currency: &str) -> Vec<Value> {
    ledger_where(client, &format!("currency={currency}&limit=200"))
}

/// Every ledger row `query` (`currency`, `limit`) selects, newest first, following cursors.
pub fn ledger_where(client: &mut Client, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut path = format!("/api/ledger?{query}");
    loop {
        let page = client.get(&path).expect_data(200);
        rows.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/ledger?{query}&cursor={cursor}"),
            None => return rows,
        }
    }
}

/// The sum of the amounts of ledger `rows` whose event is one of `events` (all when empty).
pub fn ledger_sum(rows: &[Value], events: &[&str]) -> i64 {
    rows.iter()
        .filter(|row| {
            events.is_empty() || events.contains(&row["event_type"].as_str().unwrap_or_default())
        })
        .map(|row| row["amount"].as_i64().expect("amount"))
        .sum()
}

/// One response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: BTreeMap<String, Vec<String>>,
    pub text: String,
    /// The body as sent (`text` is its lossy UTF-8 reading).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// Asserts the error envelope of API.md and returns its `error` object.
    pub fn expect_error(&self, status: u16, kind: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        let body = self.json();
        let error = &body["error"];
        assert_eq!(error["type"], kind, "body: {}", self.text);
        assert_eq!(error["status"], status, "body: {}", self.text);
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        let request_id = error["request_id"].as_str().expect("request_id");
        assert_eq!(Some(request_id), self.header("x-request-id"));
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "only `error`");
        error.clone()
    }

    /// Asserts a success envelope with `status` and returns `data`.
    pub fn expect_data(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        let body = self.json();
        assert_eq!(
            body.as_object().map(|o| o.len()),
            Some(1),
            "only `data`: {}",
            self.text
        );
        body["data"].clone()
    }
}

/// An HTTP client with a cookie jar of its own (one "browser").
pub struct Client {
    /// The worker it talks to (a restarted worker listens elsewhere).
    pub base: String,
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
    /// Sent with every request; starts with a client IP of its own (`CF-Connecting-IP`).
    pub default_headers: Vec<(String, String)>,
    /// Whether this client is part of a `burst` (and so does not wait for bursts to end).
    bursting: bool,
}

/// Ordinary requests share this lock; a burst of hundreds of simultaneous requests holds it
/// alone. Under such bursts wrangler's local proxy sometimes answers 503 "Your worker restarted
/// mid-request" without the worker ever seeing the request (see `Client::send`), and a test
/// that happens to run alongside must not pay for another test's burst.
static TRAFFIC: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Runs `work` (which sends through `Client::burst_tab`s) while no other request is in flight.
pub fn burst<R>(work: impl FnOnce() -> R) -> R {
    let _alone = TRAFFIC
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    work()
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            // A connection per request: a pooled keep-alive connection that the dev server
            // closes while idle resets the next request sent on it (seen as a flaky
            // "Connection reset by peer" on a POST that never reached the worker).
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .redirects(0)
                .max_idle_connections(0)
                .build(),
            cookies: BTreeMap::new(),
            default_headers: vec![("cf-connecting-ip".into(), unique_ip())],
            bursting: false,
        }
    }

    /// Another client sharing this one's cookies and client IP (the same browser, another
    /// tab), for use inside `burst`.
    pub fn burst_tab(&self) -> Client {
        Client {
            base: self.base.clone(),
            agent: Client::new(&self.base).agent,
            cookies: self.cookies.clone(),
            default_headers: self.default_headers.clone(),
            bursting: true,
        }
    }

    pub fn delete(&mut self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("DELETE", path, headers, None)
    }

    /// A JSON POST with extra headers (CSRF token, Origin, ...).
    pub fn post_json_with(&mut self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let text = body.to_string();
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, Some(text.as_bytes()))
    }

    pub fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, &[], None)
    }

    pub fn post_json(&mut self, path: &str, body: &Value) -> Reply {
        let text = body.to_string();
        self.send(
            "POST",
            path,
            &[("content-type", "application/json")],
            Some(text.as_bytes()),
        )
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        // Under bursts of hundreds of connections, wrangler's local proxy sometimes answers 503
        // "Your worker restarted mid-request" (Retry-After: 0) without the worker seeing the
        // request, or resets a connection. A client retries those, as a real one would: GETs,
        // and requests carrying an Idempotency-Key, for which a retry is safe by contract.
        let retriable = method == "GET"
            || headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("idempotency-key"));
        let _shared = (!self.bursting).then(|| {
            TRAFFIC
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.send_once(method, path, headers, body);
            let transient = match &outcome {
                Ok(reply) => {
                    reply.status == 503
                        && reply.text.starts_with("Your worker restarted mid-request")
                }
                Err(_) => true,
            };
            if !(transient && retriable && attempt < 5) {
                return outcome.unwrap_or_else(|error| panic!("{method} {path}: {error}"));
            }
            std::thread::sleep(Duration::from_millis(100 * attempt));
        }
    }

    /// One attempt, transport failures returned rather than retried.
    pub fn send_once(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut request = self.agent.request(method, &url);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request = request.set("cookie", &jar.join("; "));
        }
        for (name, value) in &self.default_headers {
            request = request.set(name, value);
        }
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Some(bytes) => request.send_bytes(bytes),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => return Err(error.to_string()),
        };
        Ok(self.reply(response))
    }

    fn reply(&mut self, response: ureq::Response) -> Reply {
        let status = response.status();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in response.headers_names() {
            let values = response.all(&name).into_iter().map(str::to_owned).collect();
            headers.insert(name.to_ascii_lowercase(), values);
        }
        for cookie in headers.get("set-cookie").into_iter().flatten() {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = value.is_empty() || cookie.to_ascii_lowercase().contains("max-age=0");
                if expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        let mut bytes = Vec::new();
        let _ = response
            .into_reader()
            .take(64 << 20)
            .read_to_end(&mut bytes);
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }
}
