//! The worker with Postgres as its content store (the `CONTENT_DB` Hyperdrive binding, through
//! wrangler dev's local Hyperdrive) on a cluster of `support::postgres`.

use std::path::PathBuf;

use super::postgres::{Cluster, postgres_migrations};
use super::{Worker, WorkerOptions, root};

/// The binding whose presence makes Postgres the content store (src/store/postgres).
pub const BINDING: &str = "CONTENT_DB";

/// Starts the built worker with the `CONTENT_DB` binding pointed at `database_url`.
///
/// The binding is declared in a copy of wrangler.toml (its paths made absolute, so the copy can
/// live under target/) and its address given as wrangler's local connection string.
/// scripts/local-hyperdrive.cjs, preloaded into wrangler's Node, keeps wrangler 4.86's local
/// Hyperdrive proxy serving through a refused or reset database connection and turns its Nagle
/// off (each statement waited ~40 ms for a delayed acknowledgement).
pub fn start(name: &str, database_url: &str, options: WorkerOptions) -> Worker {
    Worker::start(name, with_binding(name, database_url, options))
}

/// The environment variable carrying the binding's local connection string.
pub const CONNECTION_STRING_VARIABLE: &str =
    "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_CONTENT_DB";

/// `options` with the `CONTENT_DB` binding pointed at `database_url` (see `start`).
pub fn with_binding(name: &str, database_url: &str, options: WorkerOptions) -> WorkerOptions {
    let preload = root().join("scripts/local-hyperdrive.cjs");
    let mut env = options.env.clone();
    env.push((
        CONNECTION_STRING_VARIABLE.to_owned(),
        database_url.to_owned(),
    ));
    env.push((
        "NODE_OPTIONS".to_owned(),
        format!("--require {}", preload.display()),
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
