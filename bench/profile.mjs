// `make profile`: where the worker's CPU goes on a path without I/O. Starts the release worker with
// workerd's inspector (bench/serve.mjs with INSPECT_PORT), samples its isolate's CPU through the
// DevTools protocol while PROFILE_REQUESTS requests (5000) of PROFILE_PATH (/api/nowhere, a 404)
// run at concurrency 10, and prints the functions with the most self time. An attached inspector
// slows everything down, so read the shares, not the totals. Asserts nothing.
//   node --experimental-websocket bench/profile.mjs
import autocannon from "autocannon";
import { startWorker } from "./lib.mjs";

const path = process.env.PROFILE_PATH ?? "/api/nowhere";
const amount = Number(process.env.PROFILE_REQUESTS ?? 5000);
const inspectPort = 9300 + Math.floor(Math.random() * 500);
const worker = await startWorker({}, null, inspectPort);
try {
  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json`)).json();
  const target = targets.find((t) => t.title?.includes("passion-edge") || t.id?.includes("passion-edge")) ?? targets[0];
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  let id = 0;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  };
  const send = (method, params = {}) => new Promise((resolve) => {
    pending.set(++id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
  // Warm up: the routes table, the schema status, wasm tiering.
  await autocannon({ url: `${worker.base}${path}`, connections: 10, amount: 1000 });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  await autocannon({ url: `${worker.base}${path}`, connections: 10, amount });
  const { profile } = await send("Profiler.stop");
  socket.close();

  const self = new Map();
  const total = profile.samples.length;
  const hits = new Map();
  for (const sample of profile.samples) hits.set(sample, (hits.get(sample) ?? 0) + 1);
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const name = `${frame.functionName || "(anonymous)"} ${frame.url ? frame.url.split("/").pop() : ""}`.trim();
    self.set(name, (self.get(name) ?? 0) + (hits.get(node.id) ?? 0));
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
  console.log(`${total} samples over ${amount} requests of ${path}; self time by function:`);
  for (const [name, count] of top) console.log(`${((count / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
} finally {
  worker.stop();
}
