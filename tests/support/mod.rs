//! The end-to-end harness: starts the built worker in workerd (`wrangler dev`) on a free loopback
//! port with a fresh state directory, and a small HTTP client that keeps cookies by hand
//! (`__Host-` cookies are `Secure`, which cookie stores refuse to send over plain http).
//!
//! Each test binary shares one worker. A node supervisor owns the process group and removes the
//! state directory when this process exits, however it exits: no stray processes.
#![allow(dead_code)] // each test binary uses a different part of the harness

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
    _supervisor: Mutex<Child>,
}

#[derive(Default, Clone)]
pub struct WorkerOptions {
    /// Leave the D1 migrations unapplied (the health check must then answer 503).
    pub skip_migrations: bool,
    /// Extra `--var NAME:VALUE` pairs.
    pub vars: Vec<(String, String)>,
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
        let state = std::env::temp_dir().join(format!("passion-edge-e2e-{unique}"));
        std::fs::create_dir_all(&state).expect("state dir");
        let logs = root.join("target/e2e-logs");
        std::fs::create_dir_all(&logs).expect("log dir");
        let log = logs.join(format!("{unique}.log"));

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
        let mut command = Command::new("node");
        command
            .arg(root.join("tests/support/supervise.mjs"))
            .arg("--log")
            .arg(&log)
            .arg("--remove")
            .arg(&state)
            .arg("--")
            .arg(wrangler())
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .args(["--show-interactive-dev-session=false", "--persist-to"])
            .arg(&state)
            .args(["--var", "DEV_AUTH:on", "--var", "ENVIRONMENT:test"]);
        for (name, value) in &options.vars {
            command.args(["--var", &format!("{name}:{value}")]);
        }
        let supervisor = command
            .env("CI", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .current_dir(root)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start the supervisor (node)");

        let worker = Worker {
            base: format!("http://127.0.0.1:{port}"),
            log,
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

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

/// One response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: BTreeMap<String, Vec<String>>,
    pub text: String,
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
    base: String,
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .redirects(0)
                .build(),
            cookies: BTreeMap::new(),
        }
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
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Some(bytes) => request.send_bytes(bytes),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {path}: {error}"),
        };
        self.reply(response)
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
        let mut text = String::new();
        let _ = response
            .into_reader()
            .take(64 << 20)
            .read_to_string(&mut text);
        Reply {
            status,
            headers,
            text,
        }
    }
}
