// Compares two `make bench` result files: node bench/compare.mjs before.json after.json
// D1's figures (the top level, as every result file has them), then Postgres's (the `postgres`
// section, in files written since the bench ran both stores; "—" where a file has none).
// Given one file, compares its two stores: D1 → Postgres.
import { readFileSync } from "node:fs";

const files = process.argv.slice(2);
if (files.length < 1 || files.length > 2) {
  console.error("usage: node bench/compare.mjs BEFORE.json AFTER.json | node bench/compare.mjs ONE.json");
  process.exit(2);
}
const [before, after] = files.map((path) => JSON.parse(readFileSync(path, "utf8")));
const flat = (value, prefix = "", out = {}) => {
  for (const [key, inner] of Object.entries(value ?? {})) {
    const name = prefix ? `${prefix} / ${key}` : key;
    if (inner && typeof inner === "object") flat(inner, name, out);
    else if (typeof inner === "number") out[name] = inner;
  }
  return out;
};
/** D1's figures: the file without its `postgres` section. */
const d1 = (results) => {
  const { postgres, ...rest } = results;
  return rest;
};
/** Postgres's figures, or null where the file has none (older files, --far, a skipped run). */
const postgres = (results) => results.postgres?.scenarios ? results.postgres : null;
function print(a, b) {
  for (const name of Object.keys({ ...a, ...b })) {
    if (name.startsWith("cost_model / prices")) continue;
    const change = a[name] ? `${(((b[name] ?? 0) - a[name]) / a[name] * 100).toFixed(1)} %` : "";
    console.log(`${name}: ${a[name] ?? "—"} → ${b[name] ?? "—"} ${change}`);
  }
}

if (!after) {
  const pg = postgres(before);
  console.log(`${before.commit}: D1 → Postgres`);
  if (!pg) {
    console.log(`no Postgres figures in this file${before.postgres?.skipped ? ` (${before.postgres.skipped})` : ""}`);
    process.exit(0);
  }
  const a = flat(d1(before)), b = flat(pg);
  // Only what both stores measure: wasm, the cost model and D1's rows are D1's alone.
  for (const name of Object.keys(a)) if (!(name in b)) delete a[name];
  print(a, b);
} else {
  console.log(`${before.commit} → ${after.commit}`);
  console.log("D1:");
  print(flat(d1(before)), flat(d1(after)));
  if (postgres(before) || postgres(after)) {
    console.log("Postgres:");
    print(flat(postgres(before)), flat(postgres(after)));
  }
}
