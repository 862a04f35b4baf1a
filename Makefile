# The README's two commands are `make dev` and `make test`; each does its own set-up first.
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
ENV := source scripts/env.sh &&
SOURCES := $(shell find src migrations -type f) Cargo.toml Cargo.lock build.rs openapi.yaml
WASM := build/index_bg.wasm
APP_SOURCES := $(shell find web/src clients/js/src -type f) web/index.html web/icon.svg web/build.mjs
APP := target/assets/app.js

.PHONY: setup build dev test lint deploy-check test-native test-postgres test-wasm test-client test-browser fuzz size deploy clean bench bench-far soak profile mutants pg-migrate

# Also PostgreSQL 15+ for the Postgres store's tests (tests/postgres_schema.rs), from Debian's
# packages where missing.
setup:
	@scripts/setup.sh
	@scripts/postgres.sh install

build: build/index.js $(APP)

build/index.js: $(SOURCES)
	@$(ENV) worker-build --release
	@$(MAKE) --no-print-directory size

# The web app (web/, with the client of clients/js) into the static assets; fails over its
# JavaScript budget (60 KiB gzip).
$(APP): $(APP_SOURCES)
	@node web/build.mjs

# Serves the API and the web app on 127.0.0.1:8787 with local D1/KV/R2/DO state in .wrangler/state (kept across restarts).
dev: setup build
	@$(ENV) wrangler d1 migrations apply DB --local
	@$(ENV) wrangler dev --ip 127.0.0.1 --port 8787 --var DEV_AUTH:on --var ENVIRONMENT:development

test: setup build lint deploy-check test-native test-postgres test-wasm test-client test-browser fuzz

# Also fails when clients/js/src/schema.d.ts is not what openapi.yaml generates, or the client
# or the web app does not type-check.
lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
	@node clients/js/scripts/check-types.mjs
	@$(ENV) tsc -p web/tsconfig.json

# What `wrangler deploy` would upload, checked without an account: a broken deploy configuration
# (bindings, migrations dir, main) fails here.
deploy-check:
	@$(ENV) wrangler deploy --dry-run --outdir target/deploy-dry-run > target/deploy-dry-run.log
	@echo "wrangler deploy --dry-run: ok"

# Unit and property tests of the pure code, then the end-to-end suites against workerd.
test-native:
	@$(ENV) cargo test

# The end-to-end suites again with Postgres as the SQL database (PASSION_STORE=postgres: one
# private cluster per test binary, a fresh database per worker), so both stores pass the same
# suite. Not here: the suites about D1 itself (its round trips, its migrations, the move from it)
# and those that hold both stores already (list_queries, postgres_schema, postgres_health).
POSTGRES_SUITES := account admin audio auth chosen_ids config content crash economy economy_restart \
  economy_reversals focus foundation goals guessing habits list_filters openapi_document \
  production_defaults quotas session_expiry settings sync tokens web_app
test-postgres: setup build
	@$(ENV) PASSION_STORE=postgres cargo test $(addprefix --test ,$(POSTGRES_SUITES))

# The same domain tests on wasm32, in Node through wasm-bindgen-test-runner.
test-wasm:
	@$(ENV) cargo test --target wasm32-unknown-unknown --lib

# The typed client's suite (clients/js/test) against a fresh local worker.
test-client: setup build
	@node --test --test-concurrency=1 --experimental-websocket clients/js/test/

# The web app in Debian's Chromium through playwright-core (tests/browser), installed by apt-get
# where missing; screenshots of every page go to target/screenshots/.
test-browser: setup build
	@scripts/setup-browser.sh
	@node --test --test-concurrency=1 --experimental-websocket tests/browser/

# Schemathesis over every operation of the OpenAPI document against a fresh local worker
# (tests/fuzz/run.mjs; EXAMPLES per operation, default 30). Fails on anything it finds.
EXAMPLES ?= 30
fuzz: setup build
	@node tests/fuzz/run.mjs $(EXAMPLES)

# Mutation testing of the economy, habit, calendar and focus modules against the native unit and
# property tests (.cargo/mutants.toml). Not part of `test`: it takes about 25 minutes. Fails when
# any viable mutant is missed (a mutant that hangs the tests until the timeout counts as caught;
# cargo-mutants exits 3 for timeouts even when some were missed, so missed.txt decides).
mutants:
	@$(ENV) command -v cargo-mutants > /dev/null || cargo install --locked cargo-mutants
	@$(ENV) rc=0; cargo mutants --no-shuffle -j 1 || rc=$$?; \
	  if [ "$$rc" != 0 ] && [ "$$rc" != 2 ] && [ "$$rc" != 3 ]; then exit "$$rc"; fi; \
	  if [ -s target/mutants/mutants.out/missed.txt ]; then \
	    echo "missed mutants:"; cat target/mutants/mutants.out/missed.txt; exit 2; fi

size:
	@raw=$$(stat -c %s $(WASM)); gz=$$(gzip -9c $(WASM) | wc -c); \
	  printf 'wasm size: %s bytes raw, %s bytes gzip (%s KiB)\n' "$$raw" "$$gz" "$$((gz / 1024))"

# The benchmark suite: every scenario against a fresh release worker, figures printed and written
# to target/bench/<commit>.json (compare two with node bench/compare.mjs A.json B.json). Asserts
# nothing about time.
bench: setup build
	@node --experimental-websocket bench/run.mjs

# The same with 40 ms added to every D1 call and 5 ms to every object call: a user far from the
# D1 primary (figures to target/bench/<commit>-far.json).
bench-far: setup build
	@node --experimental-websocket bench/run.mjs --far

# Where the CPU of a request without I/O goes: a sampled profile through workerd's inspector.
profile: setup build
	@node --experimental-websocket bench/profile.mjs

# Mixed load over many users for SOAK_MINUTES (30): the isolate's wasm memory and workerd's RSS
# over time, and whether they plateau.
soak: setup build
	@node --experimental-websocket bench/soak.mjs

# The Postgres content store's schema (migrations/postgres/) applied to DATABASE_URL (Neon, or any
# Postgres 15+): only the migrations it has not applied yet, each in one transaction, recorded in
# its table schema_migrations.
pg-migrate:
	@test -n "$(DATABASE_URL)" || { echo "usage: make pg-migrate DATABASE_URL=postgres://USER:PASS@HOST/DB" >&2; exit 2; }
	@scripts/postgres.sh migrate "$$DATABASE_URL"

deploy: setup build
	@$(ENV) wrangler d1 migrations apply DB --remote
	@$(ENV) wrangler deploy

clean:
	rm -rf build target/wasm32-unknown-unknown

# Copies D1's data into the Postgres database DATABASE_URL, resumably (docs/moving-to-postgres.md);
# ARGS holds the command's options: where D1 is (--remote, or --local [--persist-to DIR]), and
# --user ID, --dry-run, --restart, --page-size N (node scripts/move-to-postgres.mjs --help).
.PHONY: pg-move
pg-move:
	@test -n "$(DATABASE_URL)" || { echo "usage: make pg-move DATABASE_URL=postgres://USER:PASS@HOST/DB ARGS='--remote [--user ID] [--dry-run]'" >&2; exit 2; }
	@DATABASE_URL="$$DATABASE_URL" node scripts/move-to-postgres.mjs $(ARGS)
