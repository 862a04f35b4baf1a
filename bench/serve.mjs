// Serves build/ in workerd through Miniflare, the library `wrangler dev` runs it with, with the
// bindings of wrangler.toml and state persisted where `wrangler --persist-to STATE` keeps it (so
// `wrangler d1 execute --persist-to STATE` reaches the same database). Unlike `wrangler dev` it
// attaches no inspector and puts no proxy worker in front: an attached inspector alone cut health
// from 200 to 87 req/s here, which measures the debugger, not the worker.
// Beside it runs a driver worker on a socket of its own, bound to the same UserProgress namespace:
// it sends award commands straight to one user's object, as the worker does, so the bench can
// measure the object that serializes a user's awards apart from HTTP, authentication and D1.
// With FAR_D1_MS and FAR_OBJECT_MS in the environment, the worker's DB and PROGRESS bindings are
// wrapped (Miniflare's wrapped bindings, evaluated in the worker's own isolate) so every D1 call
// and every object call waits that long first: what a user far from the D1 primary and near their
// object feels. The worker under test is the same build. With INSPECT_PORT, workerd's inspector
// listens there (bench/profile.mjs). With CONTENT_DB_URL (postgres://...), the worker gets the
// `CONTENT_DB` Hyperdrive binding to that database (Miniflare's local Hyperdrive, which opens a
// database connection per worker connection and does not pool), so its SQL goes to Postgres;
// scripts/local-hyperdrive.cjs keeps that proxy up through a reset connection and its Nagle off.
// It ends (workerd with it, and STATE removed) when its stdin, if a pipe, closes: the bench that
// started it is gone.
//   node bench/serve.mjs STATE PORT [NAME=VALUE ...]
// prints "ready URL", "driver URL" and "hello URL" (a JavaScript hello world), then the log.
import { Log, LogLevel, Miniflare } from "miniflare";
import { fstatSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import wrangler from "wrangler";

const root = new URL("..", import.meta.url).pathname;
const contentDb = process.env.CONTENT_DB_URL;
if (contentDb) {
  createRequire(import.meta.url)(`${root}scripts/local-hyperdrive.cjs`);
}
const [state, port, ...vars] = process.argv.slice(2);
const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(`${root}wrangler.toml`);
const bindings = { ...workerOptions.bindings };
for (const pair of vars) {
  const at = pair.indexOf("=");
  bindings[pair.slice(0, at)] = pair.slice(at + 1);
}
// GET /?user=ID&count=N&run=R: N award commands (1 XP, 1 coin, event `admin_claim`) to the
// user's object at once; answers how many it accepted.
const driver = `export default {
  async fetch(request, env) {
    const query = new URL(request.url).searchParams;
    const count = Number(query.get("count"));
    const stub = env.PROGRESS.get(env.PROGRESS.idFromName(query.get("user")));
    const award = (i) => stub.fetch("https://progress/command", {
      method: "POST",
      body: JSON.stringify({ award: { request: {
        key: "bench-object-" + query.get("run") + "-" + i, event_type: "admin_claim",
        reason: "benchmark", xp: 1, coins: 1 } } }),
    });
    const replies = await Promise.all(Array.from({ length: count }, (_, i) => award(i)));
    return Response.json({ count, accepted: replies.filter((reply) => reply.ok).length });
  },
};`;
const far = { d1: Number(process.env.FAR_D1_MS ?? 0), object: Number(process.env.FAR_OBJECT_MS ?? 0) };
// Each D1 call (a statement's all/run/first/raw, a batch) and each object fetch waits first.
const farD1 = `const wait = () => new Promise((resolve) => setTimeout(resolve, ${far.d1}));
const slowed = (statement) => {
  for (const name of ["all", "run", "first", "raw"]) {
    const call = statement[name].bind(statement);
    statement[name] = async (...args) => { await wait(); return call(...args); };
  }
  const bind = statement.bind.bind(statement);
  statement.bind = (...args) => slowed(bind(...args));
  return statement;
};
// The database and its sessions (the Sessions API) alike.
const slowedDatabase = (db) => new Proxy(db, {
  get(target, name) {
    if (name === "prepare") return (query) => slowed(target.prepare(query));
    if (name === "batch") return async (statements) => { await wait(); return target.batch(statements); };
    if (name === "withSession") return (...args) => slowedDatabase(target.withSession(...args));
    const value = Reflect.get(target, name);
    return typeof value === "function" && name !== "constructor" ? value.bind(target) : value;
  },
});
export default function (env) {
  return slowedDatabase(env.INNER);
}`;
const farObject = `const wait = () => new Promise((resolve) => setTimeout(resolve, ${far.object}));
const forward = (target, name) => {
  const value = Reflect.get(target, name);
  return typeof value === "function" && name !== "constructor" ? value.bind(target) : value;
};
export default function (env) {
  return new Proxy(env.INNER, {
    get(namespace, name) {
      if (name !== "get") return forward(namespace, name);
      return (...args) => new Proxy(namespace.get(...args), {
        get(stub, name) {
          if (name !== "fetch") return forward(stub, name);
          return async (...request) => { await wait(); return stub.fetch(...request); };
        },
      });
    },
  });
}`;
const farWorkers = far.d1 || far.object ? [
  { name: "far-d1", modules: true, script: farD1, d1Databases: { INNER: workerOptions.d1Databases.DB } },
  { name: "far-object", modules: true, script: farObject,
    durableObjects: { INNER: { className: "UserProgress", scriptName: "passion-edge", useSQLite: true } } },
] : [];
const farBindings = farWorkers.length ? {
  d1Databases: {},
  durableObjects: {},
  additionalUnboundDurableObjects: [{ className: "UserProgress", useSQLite: true }],
  wrappedBindings: { DB: "far-d1", PROGRESS: "far-object" },
} : {};
const miniflare = new Miniflare({
  ...(process.env.INSPECT_PORT ? { inspectorPort: Number(process.env.INSPECT_PORT) } : {}),
  host: "127.0.0.1",
  port: Number(port),
  defaultPersistRoot: `${state}/v3`,
  log: new Log(LogLevel.WARN),
  workers: [
    {
      ...workerOptions,
      name: "passion-edge",
      bindings,
      modules: true,
      modulesRoot: `${root}build`,
      scriptPath: `${root}build/index.js`,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      // The same worker on a socket of its own, as the hello world is served: no Miniflare entry
      // worker in front, so the two no-I/O paths are compared like for like.
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      ...farBindings,
      ...(contentDb ? { hyperdrives: { CONTENT_DB: contentDb } } : {}),
    },
    {
      name: "bench-driver",
      modules: true,
      script: driver,
      compatibilityDate: workerOptions.compatibilityDate,
      durableObjects: { PROGRESS: { className: "UserProgress", scriptName: "passion-edge", useSQLite: true } },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
    ...farWorkers,
    // The floor a Workers user starts from: a plain JavaScript hello world, served the same way.
    {
      name: "hello",
      modules: true,
      script: `export default { fetch() { return new Response("hello world"); } };`,
      compatibilityDate: workerOptions.compatibilityDate,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
  ],
});
console.log(`ready ${await miniflare.ready}`);
console.log(`driver ${await miniflare.unsafeGetDirectURL("bench-driver")}`);
console.log(`hello ${await miniflare.unsafeGetDirectURL("hello")}`);
console.log(`direct ${await miniflare.unsafeGetDirectURL("passion-edge")}`);
let ending = false;
const end = () => {
  if (ending) return;
  ending = true;
  // Disposing ends workerd; should it hang, this process group (workerd included) is killed.
  setTimeout(() => { try { process.kill(-process.pid, "SIGKILL"); } catch {} process.exit(1); }, 5000).unref();
  miniflare.dispose().finally(() => process.exit(0));
};
process.on("SIGTERM", end);
const input = fstatSync(0);
if (input.isFIFO() || input.isSocket()) {
  // The bench is gone (killed before its own clean-up could run): its state goes with it.
  const orphaned = () => {
    process.on("exit", () => rmSync(state, { recursive: true, force: true }));
    end();
  };
  process.stdin.on("end", orphaned);
  process.stdin.on("error", orphaned);
  process.stdin.resume();
}
