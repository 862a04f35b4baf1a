// Serves build/ in workerd through Miniflare, the library `wrangler dev` runs it with, with the
// bindings of wrangler.toml and state persisted where `wrangler --persist-to STATE` keeps it (so
// `wrangler d1 execute --persist-to STATE` reaches the same database). Unlike `wrangler dev` it
// attaches no inspector and puts no proxy worker in front: an attached inspector alone cut health
// from 200 to 87 req/s here, which measures the debugger, not the worker.
//   node bench/serve.mjs STATE PORT [NAME=VALUE ...]   (prints "ready URL", then the worker's log)
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
const miniflare = new Miniflare({
  ...workerOptions,
  bindings,
  modules: true,
  modulesRoot: `${root}build`,
  scriptPath: `${root}build/index.js`,
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  host: "127.0.0.1",
  port: Number(port),
  defaultPersistRoot: `${state}/v3`,
  log: new Log(LogLevel.WARN),
});
console.log(`ready ${await miniflare.ready}`);
process.on("SIGTERM", () => miniflare.dispose().finally(() => process.exit(0)));
