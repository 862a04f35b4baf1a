// Builds the web app into target/assets/ (served by the worker at `/`): app.js, app.css,
// index.html and icon.svg. It writes only those four files; build.rs owns the rest of the
// directory (openapi.json). The app's JavaScript budget is 60 KiB gzip: over it, the build fails.
// Run from the repository root: `node web/build.mjs`.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const web = new URL(".", import.meta.url).pathname;
const out = join(web, "../target/assets");
const budgetBytes = 60 * 1024;

mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(web, "src/main.tsx")],
  outfile: join(out, "app.js"),
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});

await build({
  entryPoints: [join(web, "src/app.css")],
  outfile: join(out, "app.css"),
  bundle: true,
  minify: true,
  // light-dark() colours: Chrome 123, Firefox 120, Safari 17.5.
  target: ["chrome123", "firefox120", "safari17.5"],
  logLevel: "warning",
});

for (const file of ["index.html", "icon.svg"]) copyFileSync(join(web, file), join(out, file));

const script = readFileSync(join(out, "app.js"));
const gzipped = gzipSync(script, { level: 9 }).length;
console.log(`app js: ${script.length} bytes, ${gzipped} bytes gzip (${(gzipped / 1024).toFixed(1)} KiB)`);
if (gzipped > budgetBytes) {
  console.error(`app js is over its budget of ${budgetBytes} bytes gzip`);
  process.exit(1);
}
