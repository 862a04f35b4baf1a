//! Checks that `migrations/` holds `NNNN_name.sql` files numbered 1..n without gaps, and that
//! `migrations/postgres/` (the same schema for the Postgres content store) holds exactly the same
//! names, so no migration reaches one store and not the other; embeds the names and the build's
//! version so `/api/health` can tell when the database is behind the code.
//! Also turns `openapi.yaml` into the compact JSON that `/api/openapi.json` serves, failing the
//! build when the document does not parse. The JSON is a static asset (wrangler.toml `[assets]`),
//! not part of the wasm: embedded, it was 123 KB of the bundle (14 KB gzip).

use std::{env, fs, path::Path, process::Command};

/// The static assets directory of wrangler.toml.
const ASSETS: &str = "target/assets";

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations/postgres");
    let migrations = match both_stores_migrations() {
        Ok(names) => names,
        Err(problem) => {
            println!("cargo:error={problem}");
            std::process::exit(1);
        }
    };
    let version = build_version();
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("build_info.rs");
    let source = format!(
        "/// Migration files this build expects, in order (the same names in `migrations/` for D1 and\n\
         /// `migrations/postgres/` for Postgres).\npub const MIGRATIONS: &[&str] = &{migrations:?};\n\
         /// The version of this build: the crate version and, when known, the git commit.\npub const VERSION: &str = {version:?};\n"
    );
    fs::write(out, source).expect("write build_info.rs");

    println!("cargo:rerun-if-changed=openapi.yaml");
    println!("cargo:rerun-if-changed={ASSETS}/openapi.json");
    match openapi_json(Path::new("openapi.yaml")) {
        Ok(json) => {
            // Written only when it changed: a new file makes `wrangler dev` reload the worker.
            let file = Path::new(ASSETS).join("openapi.json");
            if fs::read_to_string(&file).ok().as_deref() != Some(json.as_str()) {
                fs::create_dir_all(ASSETS).expect("create the assets directory");
                fs::write(file, json).expect("write openapi.json")
            }
        }
        Err(problem) => {
            println!("cargo:error=openapi.yaml: {problem}");
            std::process::exit(1);
        }
    }
}

fn openapi_json(path: &Path) -> Result<String, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let document: serde_json::Value = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    if document.get("openapi").and_then(|v| v.as_str()) != Some("3.1.0") {
        return Err("must declare `openapi: 3.1.0`".into());
    }
    serde_json::to_string(&document).map_err(|e| e.to_string())
}

/// The migration names, once both directories are well numbered and hold the same names.
fn both_stores_migrations() -> Result<Vec<String>, String> {
    let d1 = migration_names(Path::new("migrations")).map_err(|p| format!("migrations/: {p}"))?;
    let postgres = migration_names(Path::new("migrations/postgres"))
        .map_err(|p| format!("migrations/postgres/: {p}"))?;
    let only_in = |these: &[String], those: &[String]| -> Vec<String> {
        these
            .iter()
            .filter(|name| !those.contains(name))
            .cloned()
            .collect()
    };
    let (d1_only, postgres_only) = (only_in(&d1, &postgres), only_in(&postgres, &d1));
    if !d1_only.is_empty() || !postgres_only.is_empty() {
        let mut problem = String::from(
            "migrations/ (D1) and migrations/postgres/ must hold the same file names, each store's \
             form of one change:",
        );
        for name in &d1_only {
            problem.push_str(&format!(" {name} is missing from migrations/postgres/;"));
        }
        for name in &postgres_only {
            problem.push_str(&format!(" {name} is missing from migrations/;"));
        }
        return Err(problem.trim_end_matches(';').to_owned());
    }
    Ok(d1)
}

fn migration_names(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot read: {e}"))? {
        let name = entry
            .map_err(|e| e.to_string())?
            .file_name()
            .into_string()
            .map_err(|name| format!("{name:?} is not UTF-8"))?;
        if name.ends_with(".sql") {
            names.push(name);
        }
    }
    names.sort();
    for (index, name) in names.iter().enumerate() {
        let expected_number = format!("{:04}", index + 1);
        let (number, rest) = name.split_at(name.len().min(4));
        let stem = rest.strip_prefix('_').and_then(|r| r.strip_suffix(".sql"));
        let well_formed = number.bytes().all(|b| b.is_ascii_digit())
            && stem.is_some_and(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
        if !well_formed {
            return Err(format!("{name} is not named NNNN_lower_snake_name.sql"));
        }
        if number != expected_number {
            return Err(format!(
                "{name} should be numbered {expected_number}: migrations are numbered 0001.. without gaps or repeats"
            ));
        }
    }
    if names.is_empty() {
        return Err("no migrations".into());
    }
    Ok(names)
}

fn build_version() -> String {
    let crate_version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    if Path::new(".git/HEAD").exists() {
        println!("cargo:rerun-if-changed=.git/HEAD");
        println!("cargo:rerun-if-changed=.git/refs/heads");
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    match commit {
        Some(commit) => format!("{crate_version}+{commit}"),
        None => crate_version,
    }
}
