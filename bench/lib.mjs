// Shared by the benchmark scripts: start the built worker in workerd (bench/serve.mjs) on a free
// loopback port with a fresh state directory, sign users in, and measure request latencies.
// Benchmarks print figures; they assert nothing about time.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const wrangler = join(root, "node_modules/.bin/wrangler");

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the worker (bench/serve.mjs), with `far` ({ d1, object } milliseconds) added to every
 * D1 and object call if given, and workerd's inspector on `inspectPort` if given; returns { base, driver (the object driver's URL), hello (a
 * JavaScript hello world's), lines, stop, pid, state, coldStartMs (process start to the first 200) }. */
export async function startWorker(vars = {}, far = null, inspectPort = null) {
  const state = mkdtempSync(join(tmpdir(), "passion-edge-bench-"));
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" };
  const served = {
    ...env,
    ...(far ? { FAR_D1_MS: String(far.d1), FAR_OBJECT_MS: String(far.object) } : {}),
    ...(inspectPort ? { INSPECT_PORT: String(inspectPort) } : {}),
  };
  spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: root, env, stdio: "ignore" });
  const port = await freePort();
  const args = [join(root, "bench/serve.mjs"), state, String(port), "DEV_AUTH=on", "ENVIRONMENT=development"];
  for (const [name, value] of Object.entries(vars)) args.push(`${name}=${value}`);
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: served, detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
        return { base, driver: url("driver"), hello: url("hello"), direct: url("direct"), lines, stop, pid: child.pid, state, coldStartMs: Math.round(performance.now() - spawnedAt) };
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
