// `make soak`: mixed load over many users for SOAK_MINUTES (30 by default) against a fresh release
// worker, sampling every 30 s the isolate's wasm memory (health's `wasm_memory_bytes`, reported
// where DEV_AUTH is on) and workerd's resident memory. Prints the samples and whether each
// plateaued: the last third of the run grew less than 10 % over the middle third. Asserts nothing.
//   node --experimental-websocket bench/soak.mjs
import { readdirSync, readFileSync } from "node:fs";
import { signIn, startWorker } from "./lib.mjs";

const MIB = 1024 * 1024;
const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const users = Number(process.env.SOAK_USERS ?? 200);
const concurrency = 10;

/** Resident memory (VmRSS, bytes) of the workerd processes under `pid`. */
function workerdRss(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  let total = 0;
  for (const candidate of parents.keys()) {
    let under = false;
    for (let p = candidate; p > 1; p = parents.get(p) ?? 0) if (p === pid) { under = true; break; }
    if (!under) continue;
    try {
      const status = readFileSync(`/proc/${candidate}/status`, "utf8");
      if (!/^Name:\s*workerd/m.test(status)) continue;
      total += Number(/VmRSS:\s*(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {}
  }
  return total;
}

const worker = await startWorker();
const { base } = worker;
const signed = [];
for (let i = 0; i < users; i += 20) {
  signed.push(...await Promise.all(Array.from({ length: Math.min(20, users - i) }, (_, j) => signIn(base, `soak-${i + j}@example.org`))));
}
const headers = (user) => ({ cookie: user.cookie, "x-csrf-token": user.csrf, "content-type": "application/json" });
const habits = await Promise.all(signed.map(async (user) => {
  const reply = await fetch(`${base}/api/habits`, { method: "POST", headers: headers(user), body: JSON.stringify({ title: "soak", category: "health" }) });
  return (await reply.json()).data.id;
}));
const cursors = signed.map(() => null);

/** One request of the mix for request number `n`: list, create, complete or undo, poll. */
async function one(n) {
  const at = n % signed.length;
  const user = signed[at];
  const kind = n % 5;
  const call = (path, init = {}) => fetch(`${base}${path}`, { headers: headers(user), ...init });
  if (kind === 0) return call("/api/goals?limit=50");
  if (kind === 1) return call("/api/goals", { method: "POST", body: JSON.stringify({ title: `soak ${n}`, category: "learning" }) });
  if (kind === 2) return call(`/api/habits/${habits[at]}/complete`, { method: "POST" });
  if (kind === 3) return call(`/api/habits/${habits[at]}/complete`, { method: "DELETE" });
  const reply = await call("/api/sync/poll", { method: "POST", body: JSON.stringify({ cursor: cursors[at], limit: 100 }) });
  const body = await reply.json();
  if (body.data?.cursor) cursors[at] = body.data.cursor;
  return null;
}

const samples = [];
const sample = async (requests, failures) => {
  const health = await (await fetch(`${base}/api/health`)).json();
  const entry = {
    minute: +((performance.now() - started) / 60_000).toFixed(1),
    requests,
    failures,
    wasm_mib: +((health.data.wasm_memory_bytes ?? 0) / MIB).toFixed(1),
    workerd_rss_mib: Math.round(workerdRss(worker.pid) / MIB),
  };
  samples.push(entry);
  console.log(JSON.stringify(entry));
};

const started = performance.now();
const ends = started + minutes * 60_000;
let issued = 0;
let failures = 0;
let nextSample = started;
try {
  await sample(0, 0);
  nextSample += 30_000;
  const lane = async () => {
    while (performance.now() < ends) {
      try {
        const reply = await one(issued++);
        if (reply) {
          await reply.arrayBuffer();
          if (reply.status >= 500) failures++;
        }
      } catch {
        failures++;
      }
      if (performance.now() >= nextSample) {
        nextSample += 30_000;
        await sample(issued, failures);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await sample(issued, failures);
} finally {
  worker.stop();
}

const third = Math.max(1, Math.floor(samples.length / 3));
const middle = samples.slice(third, 2 * third);
const last = samples.slice(-third);
const peak = (rows, key) => Math.max(...rows.map((row) => row[key]));
for (const key of ["wasm_mib", "workerd_rss_mib"]) {
  const before = peak(middle.length ? middle : samples, key);
  const after = peak(last, key);
  const growth = before ? (after - before) / before : 0;
  console.log(`${key}: middle third peak ${before}, last third peak ${after}, growth ${(growth * 100).toFixed(1)} % -> ${growth < 0.1 ? "plateaued" : "still growing"}`);
}
console.log(`${issued} requests in ${minutes} minutes over ${users} users, ${failures} failures (5xx or dropped)`);
