//! Checks that `migrations/` holds `NNNN_name.sql` files numbered 1..n without gaps, and embeds
//! their names and the build's version so `/api/health` can tell when D1 is behind the code.
//! Also turns `openapi.yaml` into the compact JSON that `/api/openapi.json` serves, failing the
//! build when the document does not parse. The JSON is a static asset (wrangler.toml `[assets]`),
//! not part of the wasm: embedded, it was 123 KB of the bundle (14 KB gzip).

use std::{env, fs, path::Path, process::Command};

/// The static assets directory of wrangler.toml.
const ASSETS: &str = "target/assets";

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let migrations = match migration_names(Path::new("migrations")) {
        Ok(names) => names,
        Err(problem) => {
            println!("cargo:error=migrations/: {problem}");
            std::process::exit(1);
        }
    };
    let version = build_version();
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("build_info.rs");
    let source = format!(
        "/// Migration files this build expects, in order.\npub const MIGRATIONS: &[&str] = &{migrations:?};\n\
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
