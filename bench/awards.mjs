// Awards per second through workerd for ONE user under concurrency: every award is serialized
// by that user's Durable Object. Admin claims drive the awards (each a distinct ledger movement);
// several admins share the load so the per-user request budget does not throttle the run.
//   node bench/awards.mjs [awards=2000] [concurrency=50]
import { drive, requestLog, signIn, startWorker } from "./lib.mjs";

const awards = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 50);
const admins = Array.from({ length: 8 }, (_, i) => `bench-admin-${i}@example.org`);

const worker = await startWorker({ ADMIN_EMAILS: admins.join(",") });
try {
  const signedIn = await Promise.all(admins.map((email) => signIn(worker.base, email)));
  const user = await signIn(worker.base, "bench-user@example.org");
  const figures = await drive(awards, concurrency, (i) => {
    const admin = signedIn[i % signedIn.length];
    return fetch(`${worker.base}/api/admin/users/${user.id}/claim`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: admin.cookie,
        "x-csrf-token": admin.csrf,
        "idempotency-key": `bench-award-${i}`,
      },
      body: JSON.stringify({ xp: 1, coins: 1, reason: "benchmark" }),
    });
  });
  let landed = 0;
  for (let cursor = ""; ; ) {
    const page = await (await fetch(`${worker.base}/api/ledger?currency=coins&limit=200${cursor}`, {
      headers: { cookie: user.cookie },
    })).json();
    landed += page.data.items.filter((row) => row.event_type === "admin_claim").length;
    if (!page.data.next_cursor) break;
    cursor = `&cursor=${page.data.next_cursor}`;
  }
  await new Promise((r) => setTimeout(r, 500));
  const claims = requestLog(worker.lines, "/api/admin/users/").filter((e) => e.status === 200);
  const rows = claims.map((e) => e.object_rows_written ?? 0);
  const rowsPerAward = rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : null;
  console.log(JSON.stringify({
    scenario: "awards to one user (admin claims with Idempotency-Key)",
    ...figures,
    awards_landed: landed,
    all_landed: landed === awards,
    object_sqlite_rows_written_per_award: rowsPerAward && +rowsPerAward.toFixed(2),
  }, null, 2));
} finally {
  worker.stop();
}
