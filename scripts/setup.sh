#!/usr/bin/env bash
# Makes a fresh machine ready to build and test, and returns in about a second when it already is:
# the wasm32 target, worker-build and wasm-bindgen-cli at the versions Cargo.lock pins, npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

locked_version() { # the version of crate $1 in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

[ -f Cargo.lock ] || cargo generate-lockfile
# `--locked` first; when the registry no longer serves a locked dependency (seen here:
# wasm-bindgen-cli 0.2.130 locks webpki-roots 1.0.11, which the index lacks), resolve afresh.
install_crate() { # crate version
  cargo install --locked "$1" --version "$2" || cargo install "$1" --version "$2"
}
bindgen=$(locked_version wasm-bindgen)
# `wasm-bindgen --version` prints "wasm-bindgen X.Y.Z", `worker-build --version` just "X.Y.Z".
if ! wasm-bindgen --version 2>/dev/null | grep -qwF -- "$bindgen"; then
  install_crate wasm-bindgen-cli "$bindgen"
fi
worker=$(locked_version worker)
if ! worker-build --version 2>/dev/null | grep -qwF -- "$worker"; then
  install_crate worker-build "$worker"
fi

# npm ci only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Schemathesis for `make fuzz` (part of `make test`), pinned, from PyPI, into its own virtualenv;
# installed again only when the pins change.
venv=target/fuzz-venv
if ! cmp -s tests/fuzz/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/fuzz/requirements.txt
  cp tests/fuzz/requirements.txt "$venv/requirements.txt"
fi
