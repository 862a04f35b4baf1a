// The sync engine against the real worker: the first copy, changes seen through socket notices,
// a reset cursor, and every way a session ends reaching the engine.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { browser, d1, errorAnswer, habit, loadClient, sentTo, signedIn, startWorker, syncEngines, until } from "../harness.mjs";

let worker;
let client;
let engines;

before(async () => {
  [worker, client] = await Promise.all([startWorker(), loadClient()]);
  engines = syncEngines(client);
});
after(() => {
  engines?.closeAll();
  worker?.stop();
});

const engineOf = (...args) => engines.start(...args);

/** Gives `person` `count` habits in pushes of 100 (more than 100: the first copy is two pages). */
async function seedHabits(person, count) {
  const writes = Array.from({ length: count }, (_, i) => ({
    idempotency_key: person.api.newId(), method: "POST", path: "/api/habits", body: habit(`Habit ${i}`),
  }));
  for (let at = 0; at < writes.length; at += 100) {
    const pushed = await person.api.post("/api/sync/push", { body: { operations: writes.slice(at, at + 100) } });
    assert.ok(pushed.results.every((result) => result.status === 201));
  }
}

test("the first copy pages from a null cursor until has_more is false, and keeps the cursor", async () => {
  const person = await signedIn(client, worker.base, "copy@example.com");
  // 130 habits and a goal: more than one page (the poll's default limit is 100).
  await seedHabits(person, 130);
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
  const reader = engineOf(second, { pollIntervalMs: 60_000, onChange: (state) =>
    changes.push({ copied: state.cursor !== null, settings: state.items.settings.size, habits: state.items.habit.size }) });
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
  // Told first of the complete first copy (the user's settings, no habit yet), last of the habit.
  assert.deepEqual(changes[0], { copied: true, settings: 1, habits: 0 });
  assert.deepEqual(changes.at(-1), { copied: true, settings: 1, habits: 1 });
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
  await until(() => attempts.length >= 4, 6000, "four socket attempts");
  assert.equal(engine.sockets.opened, 0);
  const gaps = attempts.slice(1, 4).map((at, i) => at - attempts[i]);
  // Each wait is drawn from [step/2, step] with the step doubling from 0.5 s (plus the time a
  // refusal takes): 0.25–0.5 s, 0.5–1 s, 1–2 s, so the third is longer than the first.
  const slack = 250;
  assert.ok(gaps[0] >= 250 && gaps[0] <= 500 + slack, `first wait ${gaps}`);
  assert.ok(gaps[1] >= 500 && gaps[1] <= 1000 + slack, `second wait ${gaps}`);
  assert.ok(gaps[2] >= 1000 && gaps[2] <= 2000 + slack, `third wait ${gaps}`);
  assert.ok(gaps[2] > gaps[0], `the waits grow: ${gaps}`);
});

test("a first poll that fails (5xx) is tried again with backoff, and ready resolves", { timeout: 10_000 }, async () => {
  const person = await signedIn(client, worker.base, "first-poll@example.com");
  await person.api.post("/api/habits", { body: habit("Retried") });
  person.network.answerInstead("/api/sync/poll", () => errorAnswer(503, "unavailable"));
  // No timer would poll within the test: only the retry can.
  const engine = engineOf(person, { socket: false, pollIntervalMs: 60_000 });
  await engine.ready;
  assert.equal(engine.state.items.habit.size, 1);
  assert.deepEqual(sentTo(person.network, "/api/sync/poll").map((poll) => poll.status), [503, 200]);
});

test("a first poll refused as 429 waits its Retry-After before trying again", { timeout: 10_000 }, async () => {
  const person = await signedIn(client, worker.base, "poll-429@example.com");
  person.network.answerInstead("/api/sync/poll", () => errorAnswer(429, "rate_limited", { "retry-after": "1" }));
  const startedAt = Date.now();
  const engine = engineOf(person, { socket: false, pollIntervalMs: 60_000 });
  await engine.ready;
  assert.ok(Date.now() - startedAt >= 1000, "waited the second it was told to");
});

test("signed out before the first copy, ready rejects with the 401 and the engine signs out", { timeout: 10_000 }, async () => {
  const person = await signedIn(client, worker.base, "never-ready@example.com");
  await client.createClient({ baseUrl: worker.base, fetch: person.network.online }).signOut();
  let signedOut = 0;
  const engine = engineOf(person, { socket: false, pollIntervalMs: 60_000, onSignedOut: () => signedOut++ });
  await assert.rejects(engine.ready, { name: "ApiError", status: 401 });
  assert.equal(signedOut, 1);
});

test("close() during a poll drops its answer: no more pages, no onChange after it", { timeout: 15_000 }, async () => {
  const person = await signedIn(client, worker.base, "closed-mid-poll@example.com");
  await seedHabits(person, 101);
  let releaseAnswer;
  const answerHeld = new Promise((resolve) => (releaseAnswer = resolve));
  let polled;
  const pollSent = new Promise((resolve) => (polled = resolve));
  // The poll reaches the server, and its answer is held until the engine is closed.
  const slowFetch = async (input, init) => {
    const response = await person.network.fetch(input, init);
    if (new URL(input.url ?? input).pathname === "/api/sync/poll") {
      polled();
      await answerHeld;
    }
    return response;
  };
  const api = client.createClient({ baseUrl: worker.base, fetch: slowFetch });
  let told = 0;
  const engine = engineOf({ api }, { socket: false, pollIntervalMs: 60_000, onChange: () => told++ });
  await pollSent;
  engine.close();
  releaseAnswer();
  await assert.rejects(engine.ready, { name: "AbortError" });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(sentTo(person.network, "/api/sync/poll").length, 1, "the second page was not asked for");
  assert.equal(told, 0);
  assert.equal(engine.state.items.habit.size, 0);
});
