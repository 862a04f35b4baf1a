// Serves build/ in workerd through Miniflare, the library `wrangler dev` runs it with, with the
// bindings of wrangler.toml and state persisted where `wrangler --persist-to STATE` keeps it (so
// `wrangler d1 execute --persist-to STATE` reaches the same database). Unlike `wrangler dev` it
// attaches no inspector and puts no proxy worker in front: an attached inspector alone cut health
// from 200 to 87 req/s here, which measures the debugger, not the worker.
// Beside it runs a driver worker on a socket of its own, bound to the same UserProgress namespace:
// it sends award commands straight to one user's object, as the worker does, so the bench can
// measure the object that serializes a user's awards apart from HTTP, authentication and D1.
//   node bench/serve.mjs STATE PORT [NAME=VALUE ...]
// prints "ready URL" and "driver URL", then the worker's log.
import { Log, LogLevel, Miniflare } from "miniflare";
import wrangler from "wrangler";

const root = new URL("..", import.meta.url).pathname;
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
const miniflare = new Miniflare({
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
    },
    {
      name: "bench-driver",
      modules: true,
      script: driver,
      compatibilityDate: workerOptions.compatibilityDate,
      durableObjects: { PROGRESS: { className: "UserProgress", scriptName: "passion-edge", useSQLite: true } },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
  ],
});
console.log(`ready ${await miniflare.ready}`);
console.log(`driver ${await miniflare.unsafeGetDirectURL("bench-driver")}`);
process.on("SIGTERM", () => miniflare.dispose().finally(() => process.exit(0)));
