// Runs a command in a process group of its own and ends the whole group (wrangler, workerd,
// anything they started) when our stdin closes, which happens when the test process that
// started us exits in any way, even by a panic or a kill. Then removes the listed directories.
//
//   node supervise.mjs --log FILE [--remove DIR]... -- COMMAND ARGS...
import { spawn } from "node:child_process";
import { openSync, rmSync } from "node:fs";

const argv = process.argv.slice(2);
const split = argv.indexOf("--");
const options = argv.slice(0, split);
const [command, ...args] = argv.slice(split + 1);
const removals = [];
let logFile = "/dev/null";
for (let i = 0; i < options.length; i += 2) {
  if (options[i] === "--log") logFile = options[i + 1];
  else if (options[i] === "--remove") removals.push(options[i + 1]);
}

const log = openSync(logFile, "a");
const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });

function cleanUp() {
  for (const dir of removals) rmSync(dir, { recursive: true, force: true });
}

function finish(code) {
  try { process.kill(-child.pid, "SIGKILL"); } catch {}
  cleanUp();
  process.exit(code);
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  try { process.kill(-child.pid, "SIGTERM"); } catch {}
  setTimeout(() => finish(0), 2000);
}

process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, stop);
child.on("exit", (code) => finish(stopping ? 0 : code ?? 1));
