// The sync engine against the real worker: the first copy, changes seen through socket notices,
// a reset cursor, and every way a session ends reaching the engine.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { browser, d1, loadClient, signedIn, startWorker, until } from "../harness.mjs";

let worker;
let client;
const engines = [];

before(async () => {
  [worker, client] = await Promise.all([startWorker(), loadClient()]);
});
after(() => {
  for (const engine of engines) engine.close();
  worker?.stop();
});

/** A sync engine of `signedIn`'s session, its socket opened with that browser's cookie (or by
 * `open`); `engine.sockets` counts the sockets opened and the close codes seen. */
function engineOf({ api, network }, options = {}, open = network?.openSocket) {
  const sockets = { opened: 0, closes: [] };
  const engine = client.createSync(api, {
    openSocket: (url) => {
      const socket = open(url);
      socket.addEventListener("open", () => sockets.opened++);
      socket.addEventListener("close", (event) => sockets.closes.push(event.code));
      return socket;
    },
    ...options,
  });
  engines.push(engine);
  return Object.assign(engine, { sockets });
}

const habit = (title) => ({ title, category: "health", frequency: "daily" });

test("the first copy pages from a null cursor until has_more is false, and keeps the cursor", async () => {
  const person = await signedIn(client, worker.base, "copy@example.com");
  // 130 habits and a goal: more than one page (the poll's default limit is 100).
  const writes = Array.from({ length: 130 }, (_, i) => ({
    idempotency_key: `seed-${i}`, method: "POST", path: "/api/habits", body: habit(`Habit ${i}`),
  }));
  for (const operations of [writes.slice(0, 100), writes.slice(100)]) {
    const pushed = await person.api.post("/api/sync/push", { body: { operations } });
    assert.ok(pushed.results.every((result) => result.status === 201));
  }
  const goal = await person.api.post("/api/goals", { body: { title: "Run a marathon", category: "fitness" } });
  const engine = engineOf(person, { socket: false, pollIntervalMs: 60_000 });
  await engine.ready;
  assert.equal(engine.state.items.habit.size, 130);
  assert.equal(engine.state.items.goal.get(goal.id)?.title, "Run a marathon");
  assert.equal(engine.state.items.settings.size, 1, "the settings come with the copy");
  assert.equal(engine.state.progress?.level, 1);
  assert.ok(engine.state.cursor);
  const polls = person.network.sent.filter((request) => request.path === "/api/sync/poll");
  assert.ok(polls.length >= 2, `${polls.length} polls`);
  assert.equal(JSON.parse(polls[0].body).cursor, null);
  assert.ok(polls.slice(1).every((poll) => JSON.parse(poll.body).cursor), "each page asks from the last cursor");
  // The next poll starts from the kept cursor and finds nothing new.
  const cursor = engine.state.cursor;
  await engine.poll();
  const next = person.network.sent.filter((request) => request.path === "/api/sync/poll").at(-1);
  assert.equal(JSON.parse(next.body).cursor, cursor);
  assert.equal(engine.state.items.habit.size, 130);
});

test("a write in one engine reaches another engine of the same user through the socket notice", async () => {
  const first = await signedIn(client, worker.base, "tabs@example.com");
  const second = await signedIn(client, worker.base, "tabs@example.com");
  const changes = [];
  // No fallback polling within the test's time: only a notice makes the second engine poll.
  const writer = engineOf(first, { pollIntervalMs: 60_000 });
  const reader = engineOf(second, { pollIntervalMs: 60_000, onChange: (state) => changes.push(state.items.habit.size) });
  await Promise.all([writer.ready, reader.ready]);
  await until(() => reader.sockets.opened === 1, 5000, "the reader's socket to open");
  const created = await writer.write("POST", "/api/habits", habit("Meditate"));
  assert.equal(created.title, "Meditate");
  const seen = await until(() => reader.state.items.habit.get(created.id), 3000, "the habit in the other engine");
  assert.equal(seen.title, "Meditate");
  const completed = await writer.write("POST", `/api/habits/${created.id}/complete`);
  assert.equal(completed.award.xp, 10);
  // The first completion also unlocks the first-habit achievement, with rewards of its own.
  const total = (field) => completed.award[field] + completed.award.achievements.reduce((sum, unlocked) => sum + unlocked[field], 0);
  await until(() => reader.state.items.habit.get(created.id)?.completed_today && reader.state.progress?.xp === total("xp"), 3000,
    "the completion and its XP in the other engine");
  assert.equal(reader.state.progress.coins, total("coins"));
  assert.ok(changes.length > 0, "onChange was called");
});

test("a cursor older than the change log keeps (410 sync_reset) starts over with a fresh copy", async () => {
  const person = await signedIn(client, worker.base, "reset@example.com");
  const kept = await person.api.post("/api/habits", { body: habit("Kept") });
  const gone = await person.api.post("/api/habits", { body: habit("Gone") });
  const engine = engineOf(person, { socket: false, pollIntervalMs: 60_000 });
  await engine.ready;
  assert.deepEqual([...engine.state.items.habit.keys()].sort(), [kept.id, gone.id].sort());
  await person.api.del("/api/habits/{id}", { params: { path: { id: gone.id } } });
  // What the Cron Trigger's compaction does: the log removed, the floor raised past the cursor.
  const { id } = person.session.user;
  d1(worker.state, `update users set sync_floor = (select max(seq) from change_log where user_id = '${id}') where id = '${id}';
    delete from change_log where user_id = '${id}'`);
  const before = engine.state.cursor;
  await engine.poll();
  const polls = person.network.sent.filter((request) => request.path === "/api/sync/poll").map((request) => request.status);
  assert.deepEqual(polls.slice(-2), [410, 200]);
  assert.deepEqual([...engine.state.items.habit.keys()], [kept.id], "the copy replaced the items: the deleted one is gone");
  assert.notEqual(engine.state.cursor, before);
});

test("signing out everywhere reaches every engine of the user, once each: sockets and polls alike", { timeout: 30_000 }, async () => {
  const person = await signedIn(client, worker.base, "everywhere@example.com");
  const otherTab = await signedIn(client, worker.base, "everywhere@example.com");
  const { token } = await person.api.post("/api/tokens", { body: { name: "extension" } });
  const extension = client.createClient({ baseUrl: worker.base, token, fetch: browser("test-extension").fetch });
  const signedOut = { tab: 0, extension: 0, polling: 0 };
  const tab = engineOf(otherTab, { pollIntervalMs: 60_000, onSignedOut: () => signedOut.tab++ });
  const script = engineOf({ api: extension }, { pollIntervalMs: 60_000, onSignedOut: () => signedOut.extension++ },
    (url) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }));
  const polling = engineOf(otherTab, { socket: false, pollIntervalMs: 200, onSignedOut: () => signedOut.polling++ });
  await Promise.all([tab.ready, script.ready, polling.ready]);
  await until(() => tab.sockets.opened === 1 && script.sockets.opened === 1, 5000, "both sockets to open");
  // The socket engines hear it first as a change notice (their poll is then 401) or as the
  // socket's close 4001, whichever comes first (Node reports the close about 10 s late: see the
  // next test); the polling one from its next poll.
  await person.api.signOutEverywhere();
  await until(() => signedOut.tab && signedOut.extension && signedOut.polling, 20_000, () => `every engine signed out: ${JSON.stringify(signedOut)}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(signedOut, { tab: 1, extension: 1, polling: 1 });
  const sentAfter = otherTab.network.sent.length;
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(otherTab.network.sent.length, sentAfter, "a signed-out engine stops polling");
});

test("signing out of one session closes its socket with 4001, and the engine holding it signs out", { timeout: 30_000 }, async () => {
  const person = await signedIn(client, worker.base, "one-session@example.com");
  let signedOut = 0;
  // Neither a notice (sign-out sends none) nor a poll (none within the test) tells it: only the close.
  const engine = engineOf(person, { pollIntervalMs: 60_000, onSignedOut: () => signedOut++ });
  await engine.ready;
  await until(() => engine.sockets.opened === 1, 5000, "the socket to open");
  const elsewhere = client.createClient({ baseUrl: worker.base, fetch: person.network.online });
  await elsewhere.signOut();
  // workerd ends the TCP connection about 10 s after the close handshake, and Node's WebSocket
  // reports the close only then.
  await until(() => signedOut === 1, 20_000, "onSignedOut");
  assert.deepEqual(engine.sockets.closes, [4001]);
});

test("while the socket is refused, the engine polls on its timer and keeps trying to reconnect, backing off", async () => {
  const person = await signedIn(client, worker.base, "no-socket@example.com");
  const attempts = [];
  // A socket without the cookie: the upgrade is refused (401), as when a proxy blocks sockets.
  const engine = engineOf(person, { pollIntervalMs: 300 }, (url) => {
    attempts.push(Date.now());
    return new WebSocket(url);
  });
  await engine.ready;
  const elsewhere = client.createClient({ baseUrl: worker.base, fetch: person.network.online });
  const created = await elsewhere.post("/api/habits", { body: habit("Polled") });
  await until(() => engine.state.items.habit.get(created.id), 3000, "the habit through a timed poll");
  await until(() => attempts.length >= 3, 5000, "three socket attempts");
  assert.equal(engine.sockets.opened, 0);
  const gaps = attempts.slice(1).map((at, i) => at - attempts[i]);
  // Each wait is drawn from [step/2, step] with the step doubling from 0.5 s.
  assert.ok(gaps[0] >= 250 && gaps[1] >= 500, `waits ${gaps}`);
});
