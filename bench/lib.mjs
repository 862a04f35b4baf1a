// Shared by the benchmark scripts: start the built worker in workerd (bench/serve.mjs) on a free
// loopback port with a fresh state directory, on D1 or (given a cluster of startPostgres) on a
// fresh Postgres database, sign users in, and measure request latencies.
// Benchmarks print figures; they assert nothing about time.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

const root = new URL("..", import.meta.url).pathname;
const wrangler = join(root, "node_modules/.bin/wrangler");

// Ctrl-C (and a plain kill) end the bench through process.exit, so the "exit" handlers below
// (a worker's state directory) run; the worker and the cluster also end by themselves once the
// bench's end of their stdin closes, however the bench ends.
let exitOnSignal = false;
function endOnSignals() {
  if (exitOnSignal) return;
  exitOnSignal = true;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
    process.once(signal, () => { console.error(`bench: ${signal}, stopping`); process.exit(code); });
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the worker (bench/serve.mjs), with `far` ({ d1, object } milliseconds) added to every
 * D1 and object call if given, workerd's inspector on `inspectPort` if given, and with a fresh
 * migrated database of `postgres` (a cluster of startPostgres) as its SQL store (the `CONTENT_DB`
 * Hyperdrive binding) if given; returns { base, driver (the object driver's URL), hello (a
 * JavaScript hello world's), lines, stop, pid, state, store ("d1" or "postgres"), databaseUrl
 * (Postgres only), coldStartMs (process start to the first 200) }. */
export async function startWorker(vars = {}, far = null, inspectPort = null, postgres = null) {
  if (far && postgres) throw new Error("`far` slows D1's binding only; it has no meaning on Postgres");
  endOnSignals();
  const state = mkdtempSync(join(tmpdir(), "passion-edge-bench-"));
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };
  const databaseUrl = postgres ? await postgres.database() : null;
  const served = {
    ...env,
    ...(far ? { FAR_D1_MS: String(far.d1), FAR_OBJECT_MS: String(far.object) } : {}),
    ...(inspectPort ? { INSPECT_PORT: String(inspectPort) } : {}),
    ...(databaseUrl ? { CONTENT_DB_URL: databaseUrl } : {}),
  };
  // D1's schema either way: with Postgres bound no statement reaches it, but the binding exists.
  spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: root, env, stdio: "ignore" });
  const port = await freePort();
  const args = [join(root, "bench/serve.mjs"), state, String(port), "DEV_AUTH=on", "ENVIRONMENT=development"];
  for (const [name, value] of Object.entries(vars)) args.push(`${name}=${value}`);
  const spawnedAt = performance.now();
  // stdin is a pipe serve.mjs watches: it ends workerd and itself when the bench is gone.
  const child = spawn(process.execPath, args, { cwd: root, env: served, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.on("data", (chunk) => {
      const text = rest + chunk;
      const parts = text.split("\n");
      rest = parts.pop();
      lines.push(...parts);
    });
  }
  const stop = () => {
    try { process.kill(-child.pid, "SIGKILL"); } catch {}
    rmSync(state, { recursive: true, force: true });
  };
  process.on("exit", stop);
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while (Date.now() - started < 120_000) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) {
        const url = (name) => lines.find((line) => line.startsWith(`${name} `))?.slice(name.length + 1).replace(/\/$/, "");
        return { base, driver: url("driver"), hello: url("hello"), direct: url("direct"), lines, stop, pid: child.pid, state,
          store: databaseUrl ? "postgres" : "d1", databaseUrl, coldStartMs: Math.round(performance.now() - spawnedAt) };
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error("the worker did not start");
}

/** Runs SQL on the worker's local D1 (the state the running worker uses); a busy database (the
 * worker finishing work after a response) is tried again. */
export function d1(state, sql) {
  for (let attempt = 0; ; attempt++) {
    const result = spawnSync(wrangler, ["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", sql],
      { cwd: root, env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" }, encoding: "utf8", maxBuffer: 64 << 20 });
    if (result.status === 0) return JSON.parse(result.stdout);
    if (attempt < 20 && /SQLITE_BUSY/.test(result.stderr)) { spawnSync("sleep", ["0.25"]); continue; }
    throw new Error(`d1: ${result.error ?? result.stderr}`);
  }
}

/** Runs SQL on a Postgres database (a worker's `databaseUrl`); the rows as D1's JSON gives them,
 * `[{ results }]`. */
export async function postgresQuery(url, sql) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql);
    return [{ results: result.rows ?? [] }];
  } finally {
    await client.end();
  }
}

/** A loopback port free now, below Linux's ephemeral range (32768..), as scripts/postgres.sh
 * asks. */
async function freePortBelow32768() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    const free = await new Promise((resolve) => {
      const server = createServer().once("error", () => resolve(false)).listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free loopback port in 20000..32768");
}

/**
 * A private Postgres cluster for this bench run (`scripts/postgres.sh run`, PostgreSQL installed
 * first by `scripts/postgres.sh install` where missing), in a directory of its own that goes with
 * it. It runs under tests/support/supervise.mjs, which ends it and removes the directory when
 * `stop` is called or the bench's end of its stdin closes (the bench ended in any way: Ctrl-C, a
 * kill, a crash). Returns { url (the server, no database), database() (a fresh migrated
 * database's URL), stop() (resolves once the cluster and its directory are gone), pid }.
 */
export async function startPostgres() {
  endOnSignals();
  const install = spawnSync(join(root, "scripts/postgres.sh"), ["install"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (install.status !== 0) throw new Error("scripts/postgres.sh install failed (PostgreSQL 15+ is needed)");
  const dir = mkdtempSync(join(tmpdir(), "passion-edge-bench-postgres-"));
  // As root the cluster runs as the postgres user, who must enter the directory.
  chmodSync(dir, 0o755);
  const port = await freePortBelow32768();
  const log = join(dir, "run.log");
  const supervisor = spawn(process.execPath, [
    join(root, "tests/support/supervise.mjs"), "--log", log, "--remove", dir, "--",
    join(root, "scripts/postgres.sh"), "run", dir, String(port),
  ], { cwd: root, stdio: ["pipe", "ignore", "inherit"] });
  const exited = new Promise((resolve) => supervisor.once("exit", resolve));
  let gone = false;
  exited.then(() => { gone = true; });
  const stop = async () => {
    if (!gone) supervisor.stdin.end();
    await exited;
  };
  const started = Date.now();
  let server = null;
  while (!server) {
    if (gone) throw new Error(`Postgres exited:\n${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
    if (Date.now() - started > 60_000) {
      const text = existsSync(log) ? readFileSync(log, "utf8") : "";
      await stop();
      throw new Error(`Postgres did not start:\n${text}`);
    }
    try {
      const url = readFileSync(join(dir, "url"), "utf8").trim();
      await postgresQuery(url, "select 1");
      server = url.slice(0, url.lastIndexOf("/"));
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let databases = 0;
  const database = async () => {
    const name = `bench_${process.pid}_${++databases}`;
    await postgresQuery(`${server}/postgres`, `create database ${name}`);
    const url = `${server}/${name}`;
    const migrated = spawnSync(join(root, "scripts/postgres.sh"), ["migrate", url], { cwd: root, encoding: "utf8" });
    if (migrated.status !== 0) throw new Error(`migrate ${name}: ${migrated.stdout}${migrated.stderr}`);
    return url;
  };
  return { url: server, database, stop, pid: supervisor.pid, dir };
}

/** The peak resident memory (VmHWM, bytes) of the workerd processes under `pid`. */
export function workerdPeakBytes(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(Number(entry), parent);
    } catch {}
  }
  const under = (candidate) => {
    for (let p = candidate; p > 1; p = children.get(p) ?? 0) if (p === pid) return true;
    return false;
  };
  let peak = 0;
  for (const candidate of children.keys()) {
    if (!under(candidate)) continue;
    try {
      const status = readFileSync(`/proc/${candidate}/status`, "utf8");
      if (!/^Name:\s*workerd/m.test(status)) continue;
      const hwm = /VmHWM:\s*(\d+) kB/.exec(status);
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
    } catch {}
  }
  return peak;
}

/** Dev sign-in; returns { cookie, csrf, id }. */
export async function signIn(base, email) {
  const response = await fetch(`${base}/api/auth/dev/signin`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": `bench-${email}` },
    body: JSON.stringify({ email }),
  });
  const body = await response.json();
  const cookie = response.headers.get("set-cookie").split(";")[0];
  return { cookie, csrf: body.data.csrf_token, id: body.data.user.id };
}

/** Runs `count` calls of `request(i)` with `concurrency` in flight; returns latency figures. */
export async function drive(count, concurrency, request) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  async function lane() {
    while (next < count) {
      const index = next++;
      const begun = performance.now();
      try {
        const response = await request(index);
        await response.arrayBuffer();
        if (!response.ok) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - begun);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    requests: count,
    concurrency,
    seconds: +seconds.toFixed(2),
    per_second: +(count / seconds).toFixed(1),
    p50_ms: +at(0.5).toFixed(1),
    p99_ms: +at(0.99).toFixed(1),
    max_ms: +latencies[latencies.length - 1].toFixed(1),
    errors,
  };
}

/** The worker's JSON request-log lines for `path` prefix. */
export function requestLog(lines, pathPrefix) {
  return lines
    .filter((line) => line.includes('"request_id"'))
    .map((line) => {
      try { return JSON.parse(line.slice(line.indexOf("{"), line.lastIndexOf("}") + 1)); } catch { return null; }
    })
    .filter((entry) => entry && entry.path?.startsWith(pathPrefix));
}
