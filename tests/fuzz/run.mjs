// Schemathesis against the local worker with the served OpenAPI document, every check (server
// errors, response schemas, status codes, content types, ...), signed in as admins with browser
// sessions (an API token reaches neither admin routes nor token management).
// Exits non-zero when it finds anything, so `make test` fails on it.
//
// The operations run in shards at once, each as an admin of its own: the per-user budget (600
// requests a minute) would otherwise throttle one fuzzer to a crawl. Sign-out, sign-out everywhere
// and token revocation end the credential they run with, and an admin revoking or disabling users
// would end the other shards' (their ids are in the admin list), so these run last, on their own.
// Usage: node tests/fuzz/run.mjs [max examples per operation, default 30]
import { spawn } from "node:child_process";
import { join } from "node:path";
import { signIn, startWorker } from "../../bench/lib.mjs";

const root = new URL("../..", import.meta.url).pathname;
const schemathesis = join(root, "target/fuzz-venv/bin/schemathesis");
const examples = process.argv[2] ?? "30";
const ENDING_CREDENTIALS = ["signOut", "signOutEverywhere", "revokeApiToken", "adminRevokeSessions", "updateUser"];
// Audio uploads are raw audio bytes, which schemathesis cannot produce; tests/audio.rs covers them.
const NOT_GENERATED = ["uploadAudio"];
const SHARDS = [
  ["auth", "operations", "settings", "sync", "app"],
  ["habits", "goals", "economy"],
  ["quests", "workouts", "books"],
  ["admin", "focus", "audio"],
];
const admins = SHARDS.map((_, n) => `fuzz-admin-${n}@example.org`);

const worker = await startWorker({ ADMIN_EMAILS: admins.join(","), ALLOWED_ORIGINS: "" });


/** Runs schemathesis on `selection` as `email`; resolves to its exit status. */
async function run(label, email, selection) {
  const session = await signIn(worker.base, email);
  const args = [
    "--config-file", join(root, "tests/fuzz/schemathesis.toml"),
    "run", `${worker.base}/api/openapi.json`, "--url", worker.base,
    "-H", `X-CSRF-Token: ${session.csrf}`,
    "--checks", "all",
    // The session rides along as the cookie scheme's value (schemathesis.toml [auth]); a case of
    // "invalid" auth of a route that also takes a token is still authenticated: the auth suite
    // holds each route to its guard.
    "--exclude-checks", "ignored_auth",
    "--max-examples", examples, "--seed", "20261125",
    "--rate-limit", "500/m",
    "--report", "junit", "--report-junit-path", join(root, `target/fuzz-${label}.xml`),
    ...NOT_GENERATED.flatMap((id) => ["--exclude-operation-id", id]),
    ...selection,
  ];
  const started = Date.now();
  const child = spawn(schemathesis, args, {
    env: {
      ...process.env,
      SCHEMATHESIS_HOOKS: "hooks",
      PYTHONPATH: join(root, "tests/fuzz"),
      FUZZ_SESSION: session.cookie.slice(session.cookie.indexOf("=") + 1),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const status = await new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n===== fuzz ${label}: exit ${status} in ${seconds} s =====\n${output}`);
  return status;
}

let failed = true;
try {
  const shards = await Promise.all(SHARDS.map((tags, n) => run(`shard-${n}`, admins[n], [
    ...tags.flatMap((tag) => ["--include-tag", tag]),
    ...ENDING_CREDENTIALS.flatMap((id) => ["--exclude-operation-id", id]),
  ])));
  const ending = await run("sign-out", admins[0], ENDING_CREDENTIALS.flatMap((id) => ["--include-operation-id", id]));
  failed = shards.some((status) => status !== 0) || ending !== 0;
} finally {
  worker.stop();
}
process.exit(failed ? 1 : 0);
