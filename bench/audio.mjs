// Audio throughput: uploads and downloads a 50 MiB track through the local worker (workerd,
// local R2), whole and in ranges, and prints MiB/s and workerd's peak resident memory.
// Prints figures; asserts nothing about time.
import { randomBytes } from "node:crypto";
import { signIn, startWorker, workerdPeakBytes } from "./lib.mjs";

const MIB = 1024 * 1024;
const SIZE = 50 * MIB;
const ROUNDS = 3;

const worker = await startWorker();
try {
  const user = await signIn(worker.base, "bench-audio@example.org");
  const file = Buffer.concat([Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00", "latin1"), randomBytes(SIZE - 10)]);
  const before = workerdPeakBytes(worker.pid);
  const rate = (bytes, ms) => (bytes / MIB / (ms / 1000)).toFixed(1);
  for (let round = 1; round <= ROUNDS; round++) {
    let started = performance.now();
    const uploaded = await fetch(`${worker.base}/api/audio?title=bench-${round}`, {
      method: "POST",
      headers: { cookie: user.cookie, "x-csrf-token": user.csrf, "content-type": "audio/mpeg" },
      body: file,
    });
    const uploadMs = performance.now() - started;
    const track = (await uploaded.json()).data;
    if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status} ${JSON.stringify(track)}`);
    started = performance.now();
    const whole = Buffer.from(await (await fetch(`${worker.base}/api/audio/${track.id}`, { headers: { cookie: user.cookie } })).arrayBuffer());
    const downloadMs = performance.now() - started;
    if (!whole.equals(file)) throw new Error("the download differs from the upload");
    started = performance.now();
    const range = await fetch(`${worker.base}/api/audio/${track.id}`, { headers: { cookie: user.cookie, range: "bytes=26214400-27262975" } });
    const part = Buffer.from(await range.arrayBuffer());
    const rangeMs = performance.now() - started;
    if (range.status !== 206 || part.length !== MIB) throw new Error(`range: ${range.status} ${part.length}`);
    console.log(`round ${round}: upload 50 MiB ${uploadMs.toFixed(0)} ms (${rate(SIZE, uploadMs)} MiB/s), ` +
      `download ${downloadMs.toFixed(0)} ms (${rate(SIZE, downloadMs)} MiB/s), 1 MiB range ${rangeMs.toFixed(0)} ms`);
    await fetch(`${worker.base}/api/audio/${track.id}`, { method: "DELETE", headers: { cookie: user.cookie, "x-csrf-token": user.csrf } });
  }
  const peak = workerdPeakBytes(worker.pid);
  console.log(`workerd peak resident memory: ${(peak / MIB).toFixed(0)} MiB (${(before / MIB).toFixed(0)} MiB before the uploads)`);
} finally {
  worker.stop();
}
