// `make bench`: the release worker in workerd on loopback with a fresh state directory, seeded,
// then driven by autocannon at fixed concurrency (a WebSocket client for push). For each scenario:
// requests/s, p50/p99/max latency, errors, and what a request cost (D1 round trips and rows read
// and written, Durable Object calls and SQLite rows written, from the worker's request log). Also
// wasm size, cold start, workerd's peak memory, and a cost model from those counts (prices.mjs).
// Every scenario runs twice: on D1, then on Postgres (a private cluster for this run,
// scripts/postgres.sh, installed first where missing; a fresh migrated database for the worker,
// bound as `CONTENT_DB` through Miniflare's local Hyperdrive, which does not pool). It prints the
// two side by side and writes them to target/bench/<commit>.json: D1's figures where they always
// were, Postgres's under `postgres`. What only D1 has is said so: rows read and written come from
// D1's result meta (on Postgres the log's `d1.round_trips` counts the batches sent, one
// transaction each, and its rows are 0), and the cost model prices D1's rows.
// It asserts nothing about time.
// With --far, every D1 call waits 40 ms and every object call 5 ms first (bench/serve.mjs): what a
// user far from the D1 primary feels; the figures go to target/bench/<commit>-far.json. That
// latency is injected into D1's binding, so --far runs D1 only; so does --d1-only.
//   node --experimental-websocket bench/run.mjs [--far] [--d1-only]
import autocannon from "autocannon";
import { execSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { d1, postgresQuery, requestLog, signIn, startPostgres, startWorker, workerdPeakBytes } from "./lib.mjs";
import { costOf } from "./prices.mjs";

const root = new URL("..", import.meta.url).pathname;
const MIB = 1024 * 1024;
const far = process.argv.includes("--far") ? { d1: 40, object: 5 } : null;
const withPostgres = !far && !process.argv.includes("--d1-only");
const commit = execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim();

const wasmPath = join(root, "build/index_bg.wasm");
const wasmBuiltAt = statSync(wasmPath).mtimeMs;
const wasm = readFileSync(wasmPath);
const wasmFigures = { raw_bytes: wasm.length, gzip_bytes: gzipSync(wasm, { level: 9 }).length };

const admins = Array.from({ length: 8 }, (_, i) => `bench-admin-${i}@example.org`);

/** Ids in UUID shape for seeded rows `i` of a group, in the store's SQL. */
const seededId = (store, hex, group) => store === "d1"
  ? `printf('00000000-0000-7000-${hex}%03d-%012d', ${group}, i)`
  : `'00000000-0000-7000-${hex}' || lpad('${group}', 3, '0') || '-' || lpad(i::text, 12, '0')`;

/** Runs every scenario against `worker` (on D1 or on Postgres); its figures. */
async function measure(worker) {
  const out = { scenarios: {}, cold_start_ms: worker.coldStartMs };
  const { base, store } = worker;
  const onD1 = store === "d1";
  const tag = onD1 ? "D1" : "Postgres";

  const headers = (user) => ({ cookie: user.cookie, "x-csrf-token": user.csrf, "content-type": "application/json" });
  const users = async (label, count) => {
    const all = [];
    for (let i = 0; i < count; i += 20) {
      all.push(...await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => signIn(base, `bench-${label}-${i + j}@example.org`))));
    }
    return all;
  };
  /** SQL on the worker's store (seeding and reading back), rows as `[{ results }]`. */
  const sql = async (text) => onD1 ? d1(worker.state, text) : postgresQuery(worker.databaseUrl, text);
  /** `fetch`, tried again after a dropped connection (local workerd sometimes drops one while an
   * external `wrangler d1 execute` holds the database). */
  async function call(url, init) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(url, init);
      } catch (error) {
        if (attempt === 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  /** What the logged requests of `path` (a prefix) and `method` cost, on average; D1 work a request
   * left for after its response (logged on a line of its own) counts to it. On Postgres the log's
   * `d1.round_trips` counts the batches sent and its rows are 0: the rows are null there. */
  function costs(path, method, since) {
    const lines = worker.lines.slice(since);
    const later = new Map();
    for (const line of lines) {
      if (!line.includes('"after_response"')) continue;
      try {
        const entry = JSON.parse(line.slice(line.indexOf("{"), line.lastIndexOf("}") + 1));
        later.set(entry.request_id, entry.after_response.d1);
      } catch {}
    }
    const entries = requestLog(lines, path).filter((e) => e.method === method && e.status < 400 && e.status !== undefined);
    for (const entry of entries) {
      const deferred = later.get(entry.request_id);
      if (deferred && entry.d1) {
        entry.d1 = {
          round_trips: entry.d1.round_trips,
          rows_read: entry.d1.rows_read + deferred.rows_read,
          rows_written: entry.d1.rows_written + deferred.rows_written,
        };
        entry.deferred_trips = deferred.round_trips;
      }
    }
    const mean = (pick) => entries.length ? +(entries.reduce((sum, e) => sum + pick(e), 0) / entries.length).toFixed(2) : null;
    return {
      logged: entries.length,
      d1_round_trips: mean((e) => e.d1?.round_trips ?? 0),
      d1_round_trips_after_response: mean((e) => e.deferred_trips ?? 0),
      d1_rows_read: onD1 ? mean((e) => e.d1?.rows_read ?? 0) : null,
      d1_rows_written: onD1 ? mean((e) => e.d1?.rows_written ?? 0) : null,
      object_calls: mean((e) => e.object_calls ?? 0),
      object_rows_written: mean((e) => e.object_rows_written ?? 0),
      kv_reads: mean((e) => e.kv_reads ?? 1),
      duration_ms_p50: entries.map((e) => e.duration_ms).sort((a, b) => a - b)[Math.floor(entries.length / 2)] ?? null,
    };
  }

  /**
   * Runs `amount` requests over `connections` connections; request i is sent as `clients[i % k]`
   * (keeping each user within their 600 requests a minute). `request(client, i)` gives the method,
   * path, body and extra headers.
   */
  /** Postgres's own counts for the worker's database (pg_stat_database): sessions established
   * (each unit of work opens one, local Hyperdrive pooling none), rollbacks, tuples written.
   * Reading them is a session of its own, counted in the next reading. */
  const postgresCounts = async () => {
    const [row] = (await postgresQuery(worker.databaseUrl, `select sessions, xact_rollback,
      tup_inserted + tup_updated + tup_deleted as written from pg_stat_database where datname = current_database()`))[0].results;
    return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)]));
  };

  async function load(name, { connections, amount, duration, clients = [null], request, costPath, costMethod = "GET", url = base }) {
    await settle();
    const counted = onD1 ? null : await postgresCounts();
    const since = worker.lines.length;
    let issued = 0;
    const result = await autocannon({
      url,
      connections,
      ...(duration ? { duration } : { amount }),
      requests: [{
        setupRequest: (req) => {
          const index = issued++;
          const client = clients[index % clients.length];
          const { method = "GET", path, body, extra = {} } = request(client, index);
          return { ...req, method, path, body: body && JSON.stringify(body), headers: { ...(client ? headers(client) : {}), ...extra } };
        },
      }],
    });
    await settle();
    const figures = {
      connections,
      requests: result.requests.total,
      per_second: Math.round(result.requests.total / (result.duration || 1)),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      max_ms: result.latency.max,
      errors: result.errors + result.non2xx,
      ...costs(costPath, costMethod, since),
    };
    if (counted) {
      const now = await postgresCounts();
      const per = (value) => +(value / figures.requests).toFixed(2);
      Object.assign(figures, {
        postgres_sessions: per(now.sessions - counted.sessions - 1),
        postgres_rollbacks: per(now.xact_rollback - counted.xact_rollback),
        postgres_tuples_written: per(now.written - counted.written),
      });
    }
    // What the failed requests answered (by status), and a few of the errors they logged.
    const failed = requestLog(worker.lines.slice(since), costPath).filter((e) => e.method === costMethod && e.status >= 400);
    if (failed.length) {
      figures.error_statuses = {};
      for (const entry of failed) figures.error_statuses[entry.status] = (figures.error_statuses[entry.status] ?? 0) + 1;
      figures.error_samples = [...new Set(failed.map((entry) => entry.error).filter(Boolean))].slice(0, 3);
    }
    out.scenarios[name] = figures;
    console.log(`${tag} ${name}: ${JSON.stringify(figures)}`);
    return figures;
  }

  // The no-I/O path against a JavaScript hello world served the same way (each on a socket of
  // its own, no Miniflare entry worker in front), alternating, three rounds of 4 s each: the
  // per-request time is 1 / throughput at the same concurrency. (Runs by amount end on
  // autocannon's one-second ticks, which rounds fast runs; runs by duration do not.)
  // Latency added to D1 and the object changes nothing here: skipped in the far mode.
  // On Postgres, health reads schema_migrations on every probe (D1's is cached): not no-I/O there.
  const rounds = { hello: [], health: [], unknown: [] };
  const noIo = (name, url, path) => load(name, { connections: 10, duration: 4, url, request: () => ({ path }), costPath: path });
  for (let round = 0; round < (far ? 0 : 3); round++) {
    rounds.hello.push(await noIo("js hello world, own socket", worker.hello, "/"));
    rounds.health.push(await noIo("health, own socket", worker.direct, "/api/health"));
    rounds.unknown.push(await noIo("unknown route, own socket", worker.direct, "/api/nowhere"));
  }
  const best = (figures) => Math.max(...figures.map((f) => f.per_second));
  if (!far) out.no_io_per_request_vs_js = {
    js_hello_world_per_second: best(rounds.hello),
    health_per_second: best(rounds.health),
    unknown_route_per_second: best(rounds.unknown),
    health_time_ratio: +(best(rounds.hello) / best(rounds.health)).toFixed(2),
    unknown_route_time_ratio: +(best(rounds.hello) / best(rounds.unknown)).toFixed(2),
  };
  if (!far) console.log(`${tag} no-I/O per-request time vs a JavaScript hello world: ${JSON.stringify(out.no_io_per_request_vs_js)}`);
  // Health as clients reach it, through Miniflare's entry worker like every scenario below.
  await load("health", { connections: 10, amount: 3000, request: () => ({ path: "/api/health" }), costPath: "/api/health" });

  // A 50-item list, read by 10 users at once.
  const readers = await users("reader", 10);
  for (const reader of readers) {
    await sql(`with recursive n(i) as (select 1 union all select i + 1 from n where i < 50)
      insert into goals (id, user_id, title, category, created_at, updated_at)
      select ${seededId(store, "8", readers.indexOf(reader))}, '${reader.id}', 'goal ' || i, 'health',
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from n`);
  }
  await load("list 50 goals", { connections: 10, amount: 2000, clients: readers,
    request: () => ({ path: "/api/goals?limit=50" }), costPath: "/api/goals" });

  // Goal creation by 10 users.
  await load("goal create", { connections: 10, amount: 2000, clients: readers, costPath: "/api/goals", costMethod: "POST",
    request: (_, i) => ({ method: "POST", path: "/api/goals", body: { title: `bench ${i}`, category: "learning" } }) });

  // Habit completions spread over 200 users, each completing each of their 5 habits once.
  const habitUsers = await users("habit", 200);
  // Ids in UUID shape: each user's id with its last digit replaced by the habit's number.
  await sql(`insert into habits (id, user_id, title, category, frequency, created_at, updated_at)
    select substr(u.id, 1, 35) || h.n, u.id, 'bench habit ' || h.n, 'health', 'daily',
           '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
      from users u, (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4) h
     where u.email like 'bench-habit-%'`);
  const owners = new Map(habitUsers.map((user) => [user.id, user]));
  const completions = (await sql(`select id, user_id from habits where title like 'bench habit %'`))[0].results
    .map((row) => ({ user: owners.get(row.user_id), habit: row.id }));
  await load("habit complete (200 users)", { connections: 20, amount: completions.length, costPath: "/api/habits/", costMethod: "POST",
    request: (_, i) => {
      const { user, habit } = completions[i % completions.length];
      return { method: "POST", path: `/api/habits/${habit}/complete`, extra: headers(user) };
    } });

  // 200 concurrent awards to one user: admin claims, shared by 8 admins.
  const signedAdmins = await Promise.all(admins.map((email) => signIn(base, email)));
  const target = await signIn(base, "bench-award-target@example.org");
  const awards = await load("200 concurrent awards to one user", { connections: 200, amount: 200, costPath: "/api/admin/users/", costMethod: "POST",
    request: (_, i) => ({ method: "POST", path: `/api/admin/users/${target.id}/claim`, body: { xp: 1, coins: 1, reason: "benchmark" },
      extra: { ...headers(signedAdmins[i % signedAdmins.length]), "idempotency-key": `bench-award-${i}` } }) });
  const ledger = await (await call(`${base}/api/ledger?currency=coins&limit=200`, { headers: { cookie: target.cookie } })).json();
  awards.landed = ledger.data.items.filter((row) => row.event_type === "admin_claim").length;
  console.log(`  awards landed: ${awards.landed} of 200`);

  // The same burst straight to the object (bench/serve.mjs's driver): what the object that
  // serializes a user's awards sustains without HTTP, authentication, D1 and the audit row in
  // front of it. Five bursts of 200 to a fresh user; the first also creates the object.
  const direct = await signIn(base, "bench-object-target@example.org");
  const bursts = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    const reply = await (await call(`${worker.driver}/?user=${direct.id}&count=200&run=${run}`)).json();
    bursts.push({ accepted: reply.accepted, ms: +(performance.now() - started).toFixed(1) });
  }
  let landed = 0;
  for (let cursor = ""; ;) {
    const page = (await (await call(`${base}/api/ledger?currency=coins&limit=200${cursor}`, { headers: { cookie: direct.cookie } })).json()).data;
    landed += page.items.filter((row) => row.reason === "benchmark").length;
    if (!page.next_cursor) break;
    cursor = `&cursor=${encodeURIComponent(page.next_cursor)}`;
  }
  const perSecond = bursts.map((burst) => Math.round(200 / (burst.ms / 1000)));
  out.scenarios["200 concurrent awards to one user, straight to its object"] = {
    bursts: bursts.length, accepted: bursts.reduce((sum, burst) => sum + burst.accepted, 0), landed,
    of: 200 * bursts.length, per_second_each: perSecond,
    per_second_median: [...perSecond].sort((a, b) => a - b)[Math.floor(perSecond.length / 2)],
  };
  console.log(`${tag} 200 concurrent awards straight to the object: ${JSON.stringify(out.scenarios["200 concurrent awards to one user, straight to its object"])}`);

  // Sync: empty polls on accounts of 10 and of 10,000 items, and a poll returning 100 changes.
  const [small, big, busy] = await users("sync", 3);
  for (const user of [small, big]) {
    await sql(`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${user === big ? 10_000 : 10})
      insert into goals (id, user_id, title, category, created_at, updated_at)
      select ${seededId(store, "a", user === big ? 1 : 0)}, '${user.id}', 'filler ' || i, 'health',
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from n`);
    await sql(`insert into change_log (user_id, entity, entity_id, op, created_at)
      select user_id, 'goal', id, 'upsert', created_at from goals where user_id = '${user.id}'`);
  }
  const poll = async (user, cursor, limit) => (await (await call(`${base}/api/sync/poll`, { method: "POST", headers: headers(user), body: JSON.stringify({ cursor, limit }) })).json()).data;
  async function headOf(user) {
    for (let cursor = null; ;) {
      const page = await poll(user, cursor, 1000);
      cursor = page.cursor;
      if (!page.has_more) return cursor;
    }
  }
  const emptyPoll = async (name, user) => {
    const cursor = await headOf(user);
    return load(name, { connections: 1, amount: 300, clients: [user], costPath: "/api/sync/poll", costMethod: "POST",
      request: () => ({ method: "POST", path: "/api/sync/poll", body: { cursor, limit: 100 } }) });
  };
  const pollSmall = await emptyPoll("empty sync poll, 10 items", small);
  const pollBig = await emptyPoll("empty sync poll, 10,000 items", big);
  out.empty_poll_ratio = +(pollBig.p50_ms / pollSmall.p50_ms).toFixed(2);
  out.empty_poll_rows_read_ratio = pollSmall.d1_rows_read ? +(pollBig.d1_rows_read / pollSmall.d1_rows_read).toFixed(2) : null;
  const before = await headOf(busy);
  for (let n = 0; n < 100; n++) {
    await call(`${base}/api/goals`, { method: "POST", headers: headers(busy), body: JSON.stringify({ title: `change ${n}`, category: "health" }) });
  }
  await load("sync poll returning 100 changes", { connections: 1, amount: 300, clients: [busy], costPath: "/api/sync/poll", costMethod: "POST",
    request: () => ({ method: "POST", path: "/api/sync/poll", body: { cursor: before, limit: 100 } }) });

  // Push latency: a socket of one user, 200 writes from another client of theirs.
  const pushed = await signIn(base, "bench-push@example.org");
  const socket = new WebSocket(`${base.replace("http", "ws")}/api/sync/ws`, { headers: { cookie: pushed.cookie } });
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  let notified = null;
  socket.onmessage = () => { notified?.(performance.now()); };
  const latencies = [];
  let missed = 0;
  for (let n = 0; n < 200; n++) {
    const arrived = new Promise((resolve) => { notified = resolve; setTimeout(() => resolve(null), 5000); });
    const started = performance.now();
    await (await call(`${base}/api/workouts`, { method: "POST", headers: headers(pushed), body: JSON.stringify({ name: `w${n}`, duration_minutes: 10 }) })).arrayBuffer();
    const at = await arrived;
    if (at === null) missed++; else latencies.push(at - started);
  }
  socket.close();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies.length ? +latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1) : null;
  out.scenarios["websocket push (write start to notice)"] = { writes: 200, missed, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) };
  console.log(`${tag} websocket push: ${JSON.stringify(out.scenarios["websocket push (write start to notice)"])}`);

  // Audio: a 50 MiB upload, its download, and a 1 MiB range (not in the far mode: bytes, not trips).
  if (!far) {
    const listener = await signIn(base, "bench-audio@example.org");
    const file = Buffer.concat([Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00", "latin1"), randomBytes(50 * MIB - 10)]);
    let started = performance.now();
    const uploaded = await call(`${base}/api/audio?title=bench`, { method: "POST", headers: { ...headers(listener), "content-type": "audio/mpeg" }, body: file });
    const uploadMs = performance.now() - started;
    const track = (await uploaded.json()).data;
    started = performance.now();
    const whole = Buffer.from(await (await call(`${base}/api/audio/${track.id}`, { headers: { cookie: listener.cookie } })).arrayBuffer());
    const downloadMs = performance.now() - started;
    started = performance.now();
    const part = await (await call(`${base}/api/audio/${track.id}`, { headers: { cookie: listener.cookie, range: "bytes=26214400-27262975" } })).arrayBuffer();
    const rangeMs = performance.now() - started;
    out.scenarios["audio 50 MiB"] = {
      upload_status: uploaded.status, upload_mib_per_s: +(50 / (uploadMs / 1000)).toFixed(1),
      download_intact: whole.equals(file), download_mib_per_s: +(50 / (downloadMs / 1000)).toFixed(1),
      range_1_mib_ms: +rangeMs.toFixed(1), range_bytes: part.byteLength,
    };
    console.log(`${tag} audio: ${JSON.stringify(out.scenarios["audio 50 MiB"])}`);
  }

  out.workerd_peak_mib = Math.round(workerdPeakBytes(worker.pid) / MIB);
  return out;
}

// D1 first, then Postgres, each on a worker of its own (so each has the isolate, the objects
// and the rate limits to itself); a Postgres that cannot start leaves D1's figures, and says why.
let d1Figures;
const startedAt = performance.now();
const minutes = () => ((performance.now() - startedAt) / 60_000).toFixed(1);
{
  const worker = await startWorker({ ADMIN_EMAILS: admins.join(",") }, far);
  try {
    d1Figures = await measure(worker);
  } finally {
    worker.stop();
  }
  console.log(`D1 done after ${minutes()} min`);
}
const results = {
  commit, far,
  scenarios: d1Figures.scenarios,
  wasm: wasmFigures,
  cold_start_ms: d1Figures.cold_start_ms,
  ...(d1Figures.no_io_per_request_vs_js ? { no_io_per_request_vs_js: d1Figures.no_io_per_request_vs_js } : {}),
  empty_poll_ratio: d1Figures.empty_poll_ratio,
  empty_poll_rows_read_ratio: d1Figures.empty_poll_rows_read_ratio,
  workerd_peak_mib: d1Figures.workerd_peak_mib,
  cost_model: costOf(d1Figures.scenarios["habit complete (200 users)"], d1Figures.scenarios["empty sync poll, 10 items"]),
};
const NOTES = {
  d1_rows_read: "D1's result meta; Postgres reports none (null here, 0 in the log line)",
  d1_round_trips: "on Postgres: the batches sent, each one transaction on a connection of its own",
  postgres_sessions: "Postgres only (pg_stat_database): connections opened per request; postgres_tuples_written, postgres_rollbacks likewise",
  empty_poll_rows_read_ratio: "D1's rows read",
  cost_model: "D1's prices of D1's rows: not computed for Postgres",
  far: "--far slows D1's binding: `make bench-far` runs D1 only",
};
if (!withPostgres) {
  results.postgres = { skipped: far ? "--far injects its latency into D1's binding only" : "--d1-only" };
  console.log(`Postgres: not run (${results.postgres.skipped})`);
} else {
  let cluster = null;
  try {
    cluster = await startPostgres();
    const worker = await startWorker({ ADMIN_EMAILS: admins.join(",") }, null, null, cluster);
    try {
      const figures = await measure(worker);
      results.postgres = {
        store: "local Postgres through Miniflare's local Hyperdrive (a connection per worker connection, no pooling)",
        server_version: (await postgresQuery(worker.databaseUrl, "show server_version"))[0].results[0].server_version,
        ...figures,
        notes: NOTES,
      };
    } finally {
      worker.stop();
    }
  } catch (error) {
    results.postgres = { skipped: `failed: ${error.message.split("\n")[0]}` };
    console.error(`Postgres: ${error.stack}`);
  } finally {
    await cluster?.stop();
  }
  console.log(`Postgres done after ${minutes()} min`);
}
// Someone rebuilding build/ meanwhile would make these the figures of two builds.
if (statSync(wasmPath).mtimeMs !== wasmBuiltAt) {
  results.build_changed_during_run = true;
  console.log("WARNING: build/index_bg.wasm changed during the run: these figures are of two builds; run again");
}

// Side by side: one row per scenario, each cell what that scenario measures.
const pg = results.postgres?.scenarios ? results.postgres : null;
const num = (value) => value === null || value === undefined ? "—" : value.toLocaleString("en-US");
const loadCell = (f, noIoBest, expected404 = false) => {
  if (!f) return "—";
  const parts = [`${num(noIoBest ?? f.per_second)} req/s`];
  if (noIoBest === undefined) parts.push(`p50 ${num(f.p50_ms)} / p99 ${num(f.p99_ms)} ms`);
  if (f.errors && !expected404) {
    const statuses = Object.entries(f.error_statuses ?? {}).map(([status, count]) => `${count}× ${status}`).join(", ");
    parts.push(`${f.errors} errors${statuses ? ` (${statuses})` : ""}`);
  }
  const plural = (count, word) => `${num(count)} ${word}${count === 1 ? "" : "s"}`;
  if (f.d1_round_trips) parts.push(`${plural(f.d1_round_trips, "trip")}${f.d1_round_trips_after_response ? ` (+${f.d1_round_trips_after_response} after)` : ""}`);
  if (f.d1_rows_read !== null && f.d1_rows_read !== undefined && (f.d1_rows_read || f.d1_rows_written)) parts.push(`rows ${num(f.d1_rows_read)} / ${num(f.d1_rows_written)}`);
  if (f.postgres_sessions) parts.push(plural(f.postgres_sessions, "connection"));
  if (f.postgres_tuples_written) parts.push(`${num(f.postgres_tuples_written)} tuples written`);
  if (f.postgres_rollbacks) parts.push(`${num(f.postgres_rollbacks)} rollbacks`);
  if (f.landed !== undefined) parts.push(`${f.landed}/200 landed`);
  return parts.join(", ");
};
const cells = {
  "js hello world, own socket": (r) => r.no_io_per_request_vs_js && loadCell(r.scenarios["js hello world, own socket"], r.no_io_per_request_vs_js.js_hello_world_per_second),
  "health, own socket": (r) => r.no_io_per_request_vs_js && `${loadCell(r.scenarios["health, own socket"], r.no_io_per_request_vs_js.health_per_second)} (${r.no_io_per_request_vs_js.health_time_ratio}× hello's time)`,
  "unknown route, own socket": (r) => r.no_io_per_request_vs_js && `${loadCell(r.scenarios["unknown route, own socket"], r.no_io_per_request_vs_js.unknown_route_per_second, true)} (${r.no_io_per_request_vs_js.unknown_route_time_ratio}× hello's time)`,
  "200 concurrent awards to one user, straight to its object": (r) => {
    const f = r.scenarios["200 concurrent awards to one user, straight to its object"];
    return f && `median ${num(f.per_second_median)}/s, ${f.landed}/${f.of} landed`;
  },
  "websocket push (write start to notice)": (r) => {
    const f = r.scenarios["websocket push (write start to notice)"];
    return f && `p50 ${f.p50_ms} / p99 ${f.p99_ms} ms${f.missed ? `, ${f.missed} missed` : ""}`;
  },
  "audio 50 MiB": (r) => {
    const f = r.scenarios["audio 50 MiB"];
    return f && `up ${f.upload_mib_per_s} MiB/s, down ${f.download_mib_per_s} MiB/s${f.download_intact ? "" : " (not intact)"}, 1 MiB range ${f.range_1_mib_ms} ms`;
  },
};
const rows = Object.keys(results.scenarios).map((name) => {
  const cell = cells[name] ?? ((r) => loadCell(r.scenarios[name]));
  return [name, cell(results) ?? "—", pg ? cell(pg) ?? "—" : "not run"];
});
rows.push(["empty poll p50, 10,000 vs 10 items", `${results.empty_poll_ratio}× (rows read ${results.empty_poll_rows_read_ratio}×)`, pg ? `${pg.empty_poll_ratio}×` : "not run"]);
rows.push(["cold start (process start to first 200)", `${num(results.cold_start_ms)} ms`, pg ? `${num(pg.cold_start_ms)} ms` : "not run"]);
rows.push(["workerd peak memory", `${results.workerd_peak_mib} MiB`, pg ? `${pg.workerd_peak_mib} MiB` : "not run"]);
console.log("");
console.log(`| scenario | D1${far ? " (far)" : ""} | Postgres |`);
console.log("|---|---|---|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
console.log("");
console.log("trips: D1 round trips (on Postgres: batches sent, one transaction each); rows read / written: D1's result meta, D1 only;");
console.log("connections, tuples written, rollbacks: Postgres's pg_stat_database per request, Postgres only.");
if (!pg) console.log(`Postgres: ${results.postgres.skipped}`);
console.log(`wasm: ${results.wasm.raw_bytes} bytes raw, ${results.wasm.gzip_bytes} bytes gzip (${Math.round(results.wasm.gzip_bytes / 1024)} KiB)`);
console.log("cost model (USD, D1's prices of D1's rows; not for Postgres):");
console.log(JSON.stringify(results.cost_model, null, 2));
mkdirSync(join(root, "target/bench"), { recursive: true });
const file = join(root, `target/bench/${results.commit}${far ? "-far" : ""}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`figures written to ${file} (compare two with: node bench/compare.mjs A.json B.json; one file's two stores: node bench/compare.mjs A.json)`);
