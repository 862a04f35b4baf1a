# Sourced by the Makefile's recipes and scripts: points worker-build at tools installed from the
# package registries so the build never downloads from GitHub.
root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
# npm's esbuild, with the flags that bundle the Postgres driver (npm `pg`) for workerd.
export ESBUILD_BIN="$root/scripts/esbuild-worker.sh"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
