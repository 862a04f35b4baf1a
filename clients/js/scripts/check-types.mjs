// `make test`'s check of the client: src/schema.d.ts is what openapi-typescript makes of
// openapi.yaml today (regenerated into a temporary file and compared), and the client
// type-checks against it. Run from anywhere: node clients/js/scripts/check-types.mjs
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const clientDir = new URL("..", import.meta.url).pathname;
const bin = (name) => join(clientDir, "../../node_modules/.bin", name);
// The `generate` script's own command and flags, with the output sent elsewhere, so the two
// cannot drift apart.
const generate = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8")).scripts.generate.split(/\s+/);
const outputAt = generate.indexOf("-o") + 1;

/** Runs a tool in clients/js; false (its output shown) when it failed. */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: clientDir, encoding: "utf8" });
  if (result.status !== 0) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? result.error ?? ""}`);
  return result.status === 0;
}

function schemaIsCurrent() {
  const scratch = mkdtempSync(join(tmpdir(), "passion-edge-schema-"));
  try {
    const fresh = join(scratch, "schema.d.ts");
    if (!run(bin(generate[0]), generate.slice(1).map((arg, at) => (at + 1 === outputAt ? fresh : arg)))) return false;
    if (readFileSync(fresh, "utf8") === readFileSync(join(clientDir, "src/schema.d.ts"), "utf8")) return true;
    console.error("clients/js/src/schema.d.ts is stale against openapi.yaml: run npm run generate -w @passion-edge/client");
    return false;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (!schemaIsCurrent() || !run(bin("tsc"), ["--noEmit", "-p", clientDir])) process.exit(1);
console.log("clients/js: schema.d.ts is current and the client type-checks");
