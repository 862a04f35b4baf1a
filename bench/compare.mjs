// Compares two `make bench` result files: node bench/compare.mjs before.json after.json
import { readFileSync } from "node:fs";

const [before, after] = process.argv.slice(2).map((path) => JSON.parse(readFileSync(path, "utf8")));
const flat = (value, prefix = "", out = {}) => {
  for (const [key, inner] of Object.entries(value ?? {})) {
    const name = prefix ? `${prefix} / ${key}` : key;
    if (inner && typeof inner === "object") flat(inner, name, out);
    else if (typeof inner === "number") out[name] = inner;
  }
  return out;
};
const a = flat(before), b = flat(after);
console.log(`${before.commit} → ${after.commit}`);
for (const name of Object.keys({ ...a, ...b })) {
  if (name.startsWith("cost_model / prices")) continue;
  const change = a[name] ? `${(((b[name] ?? 0) - a[name]) / a[name] * 100).toFixed(1)} %` : "";
  console.log(`${name}: ${a[name] ?? "—"} → ${b[name] ?? "—"} ${change}`);
}
