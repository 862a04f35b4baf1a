// The Postgres store's only JavaScript: a connected node-postgres client (npm `pg`) for
// client.rs, which runs every statement through the client's own `query` and closes it with its
// own `end`. The SQL, the transactions and the error mapping stay in Rust.
//
// `pg` is loaded by the first connection (esbuild inlines the import into the bundle), so a
// D1-only deployment carries its bytes but never runs its set-up. `pg` is a devDependency in
// package.json like every bundled tool: wasm-bindgen copies a crate's package.json
// `dependencies` into build/package.json, in a shape worker-build 0.8.7 fails to read.

const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

// pg hands int8 over as text (a JS number cannot hold every int8): a number where exact, else a
// BigInt. serde_wasm_bindgen decodes both into i64/u64, and the number into narrower integers.
const int8 = (text) => {
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : BigInt(text);
};
// Dates and timestamps stay Postgres's text: a JS Date cannot be decoded by serde and loses
// microseconds.
const asText = (text) => text;

export async function connect(connectionString, connectTimeoutMs, queryTimeoutMs) {
  // The client alone: the package's index adds its pool (Hyperdrive pools) and 4.5 KB gzip.
  const { default: Client } = await import("pg/lib/client.js");
  const client = new Client({
    connectionString,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: queryTimeoutMs,
  });
  // A connection that drops also emits `error` on the client, and an `error` event without a
  // listener is an uncaught exception. The statement in flight fails by itself, and Rust maps
  // that failure, so the event needs nothing more.
  client.on("error", () => {});
  client.setTypeParser(INT8, int8);
  for (const oid of [DATE, TIMESTAMP, TIMESTAMPTZ]) client.setTypeParser(oid, asText);
  await client.connect();
  return client;
}
