// Sync: the cost of an empty poll on an account of 10,000 items against one of 10 items (their
// ratio should stay near 1: a poll reads the log from its cursor, not the account), the query
// plans that make it so, and the latency of live pushes over 200 writes.
// Prints figures; asserts nothing about time. Run with node --experimental-websocket (node 20).
import { d1, drive, signIn, startWorker } from "./lib.mjs";

const BIG = 10_000;
const POLLS = 200;

const worker = await startWorker();
const { base } = worker;
try {
  const small = await signIn(base, "bench-sync-small@example.org");
  const big = await signIn(base, "bench-sync-big@example.org");
  const headers = (user) => ({ cookie: user.cookie, "x-csrf-token": user.csrf, "content-type": "application/json" });
  for (const user of [small, big]) {
    for (let n = 0; n < 10; n++) {
      await fetch(`${base}/api/goals`, { method: "POST", headers: headers(user), body: JSON.stringify({ title: `goal ${n}`, category: "health" }) });
    }
  }
  // The rest of the big account straight into D1, as the API would have written it.
  const now = new Date().toISOString();
  d1(worker.state, `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${BIG - 10})
    insert into goals (id, user_id, title, category, created_at, updated_at)
    select printf('00000000-0000-7000-8000-%012d', i), '${big.id}', 'filler ' || i, 'health', '${now}', '${now}' from n`);
  d1(worker.state, `insert into change_log (user_id, entity, entity_id, op, created_at)
    select user_id, 'goal', id, 'upsert', created_at from goals where user_id = '${big.id}' and title like 'filler %'`);

  const poll = (user, cursor, limit) => fetch(`${base}/api/sync/poll`, { method: "POST", headers: headers(user), body: JSON.stringify({ cursor, limit }) });
  async function head(user) {
    let cursor = null, items = 0, polls = 0;
    for (;;) {
      const page = (await (await poll(user, cursor, 1000)).json()).data;
      items += page.changes.length; polls++;
      cursor = page.cursor;
      if (!page.has_more) return { cursor, items, polls };
    }
  }
  const smallHead = await head(small);
  const bigHead = await head(big);
  console.log(`first full copy: ${smallHead.items} changes in ${smallHead.polls} polls (small), ${bigHead.items} in ${bigHead.polls} polls (big)`);

  const figures = {};
  for (const [name, user, at] of [["10 items", small, smallHead.cursor], ["10,000 items", big, bigHead.cursor]]) {
    await drive(20, 1, () => poll(user, at, 100)); // warm up
    figures[name] = await drive(POLLS, 1, () => poll(user, at, 100));
    console.log(`empty poll, ${name}: ${JSON.stringify(figures[name])}`);
  }
  const ratio = (figures["10,000 items"].p50_ms / figures["10 items"].p50_ms).toFixed(2);
  console.log(`empty poll cost ratio (p50, 10,000 vs 10 items): ${ratio}`);

  for (const sql of [
    `select seq, entity, entity_id, op from change_log where user_id = '${big.id}' and seq > 5 order by seq limit 101`,
    `select coalesce(max(seq), 0) as head from change_log where user_id = '${big.id}'`,
  ]) {
    const plan = d1(worker.state, `explain query plan ${sql}`)[0].results.map((row) => row.detail).join("; ");
    console.log(`plan of ${sql.slice(0, 60)}…: ${plan}`);
  }

  // Push latency: a socket of the small user, 200 writes from another client of theirs.
  const socket = new WebSocket(`${base.replace("http", "ws")}/api/sync/ws`, { headers: { cookie: small.cookie } });
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  const notices = [];
  let waiting = null;
  socket.onmessage = (event) => {
    notices.push(performance.now());
    if (waiting) { waiting(); waiting = null; }
  };
  const sinceWrite = [], sinceResponse = [];
  for (let n = 0; n < 200; n++) {
    const seen = notices.length;
    const arrived = new Promise((resolve) => { waiting = resolve; });
    const started = performance.now();
    const response = await fetch(`${base}/api/workouts`, { method: "POST", headers: headers(small), body: JSON.stringify({ name: `w${n}`, duration_minutes: 10 }) });
    await response.arrayBuffer();
    const answered = performance.now();
    if (notices.length === seen) await arrived;
    sinceWrite.push(notices[seen] - started);
    sinceResponse.push(notices[seen] - answered);
  }
  socket.close();
  const stats = (values) => {
    values.sort((a, b) => a - b);
    const at = (q) => values[Math.min(values.length - 1, Math.floor(q * values.length))].toFixed(1);
    return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${values[values.length - 1].toFixed(1)} ms`;
  };
  console.log(`push latency over 200 writes, from the write's start: ${stats(sinceWrite)}`);
  console.log(`push latency over 200 writes, after the write's response: ${stats(sinceResponse)}`);
} finally {
  worker.stop();
}
