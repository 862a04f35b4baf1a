// The offline queue against the real worker: a write made offline or whose answer was lost is
// sent again under its key and lands once; a refused write leaves the queue; an item created
// offline can be acted on offline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { errorAnswer, habit, json, loadClient, sentTo, signedIn, startWorker, syncEngines, until } from "../harness.mjs";

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

/** A polling engine: its socket plays no part here. */
const engineOf = (person, options = {}) => engines.start(person, { socket: false, pollIntervalMs: 60_000, ...options });

/** The ledger's entries for `sourceId`, as `event_type currency amount`. */
async function ledgerOf(api, sourceId) {
  const { items } = await api.get("/api/ledger", { params: { query: { limit: 200 } } });
  return items.filter((entry) => entry.source_id === sourceId).map((entry) => `${entry.event_type} ${entry.currency} ${entry.amount}`).sort();
}
// A user's first completion: its award, and the first-habit achievement it unlocks.
const oneCompletion = ["achievement coins 5", "achievement xp 10", "habit_completed coins 2", "habit_completed xp 10"];

test("a write made offline is queued, then replayed once back online: one award", async () => {
  const person = await signedIn(client, worker.base, "offline@example.com");
  const { id } = await person.api.post("/api/habits", { body: habit("Floss") });
  const changes = [];
  const engine = engineOf(person, { onChange: (state) => changes.push({ pending: state.pending, online: state.online }) });
  await engine.ready;
  person.network.setOffline(true);
  const queued = await engine.write("POST", `/api/habits/${id}/complete`);
  assert.deepEqual(queued, { queued: true });
  assert.deepEqual([engine.state.pending, engine.state.online], [1, false]);
  assert.ok(changes.some((change) => change.pending === 1 && !change.online), "onChange told of it");
  const online = client.createClient({ baseUrl: worker.base, fetch: person.network.online });
  assert.deepEqual(await ledgerOf(online, id), [], "nothing landed while offline");
  person.network.setOffline(false);
  await engine.flush();
  assert.deepEqual([engine.state.pending, engine.state.online], [0, true]);
  assert.deepEqual(await ledgerOf(online, id), oneCompletion);
  assert.deepEqual(engine.awards.map((award) => award.xp), [10], "the replay's award reached onAward");
  await until(() => engine.state.items.habit.get(id)?.completed_today, 3000, "the completion in the engine's copy");
  // Flushing again (an `online` event, a reconnect) sends nothing: the queue is empty.
  const pushes = sentTo(person.network, "/api/sync/push").length;
  await engine.flush();
  assert.equal(sentTo(person.network, "/api/sync/push").length, pushes);
  assert.deepEqual(await ledgerOf(online, id), oneCompletion);
});

// A workout awards every time it is logged, so only its key keeps a second sending from
// logging (and awarding) it again.
const workout = { name: "Run", duration_minutes: 30, intensity: "moderate" };
/** The user's logged workouts and workout awards. */
async function workoutsOf(api) {
  const { items } = await api.get("/api/ledger", { params: { query: { limit: 200 } } });
  return {
    workouts: (await api.get("/api/workouts")).items.length,
    awards: items.filter((entry) => entry.event_type === "workout_logged").map((entry) => `${entry.currency} ${entry.amount}`).sort(),
  };
}
const oneWorkout = { workouts: 1, awards: ["coins 2", "xp 22"] };

test("a write whose answer was lost is sent again under its key and lands once", async () => {
  const person = await signedIn(client, worker.base, "lost@example.com");
  const engine = engineOf(person);
  await engine.ready;
  person.network.setLosingAnswers(true);
  assert.deepEqual(await engine.write("POST", "/api/workouts", workout), { queued: true });
  person.network.setLosingAnswers(false);
  assert.deepEqual(await workoutsOf(person.api), oneWorkout, "it landed, unknown to the engine");
  assert.equal(engine.state.pending, 1);
  await engine.flush();
  assert.equal(engine.state.pending, 0);
  assert.equal(sentTo(person.network, "/api/sync/push").length, 2, "sent twice");
  assert.deepEqual(await workoutsOf(person.api), oneWorkout, "landed once");
  assert.deepEqual(engine.awards.map((award) => award.xp), [22], "the replayed answer carries the first award");
});

test("the same push sent twice lands once; its key with another write is idempotency_conflict", async () => {
  const person = await signedIn(client, worker.base, "twice@example.com");
  const operations = [{ idempotency_key: person.api.newId(), method: "POST", path: "/api/workouts", body: workout }];
  const first = await person.api.post("/api/sync/push", { body: { operations } });
  const second = await person.api.post("/api/sync/push", { body: { operations } });
  assert.equal(first.results[0].status, 201);
  assert.deepEqual(second, first, "the replay answers the first result");
  assert.deepEqual(await workoutsOf(person.api), oneWorkout);
  const reused = await person.api.post("/api/sync/push", { body: { operations: [{ ...operations[0], body: { ...workout, duration_minutes: 60 } }] } });
  assert.deepEqual([reused.results[0].status, reused.results[0].body.error.type], [409, "idempotency_conflict"]);
  assert.deepEqual(await workoutsOf(person.api), oneWorkout);
});

test("a write the server refuses rejects with its ApiError and leaves the queue", async () => {
  const person = await signedIn(client, worker.base, "refused@example.com");
  const engine = engineOf(person);
  await engine.ready;
  const refusal = await engine.write("POST", "/api/habits", { title: "", category: "health" }).catch((error) => error);
  assert.ok(refusal instanceof client.ApiError, String(refusal));
  assert.deepEqual([refusal.type, refusal.status, Object.keys(refusal.fields ?? {})], ["bad_request", 400, ["title"]]);
  assert.ok(refusal.requestId);
  assert.equal(engine.state.pending, 0);
  await assert.rejects(engine.write("POST", "/api/tokens", { name: "x" }), TypeError, "a token is never queued");
});

test("a queue outlives its engine: the next engine on the same storage sends what was left", async () => {
  const person = await signedIn(client, worker.base, "reload@example.com");
  const { id } = await person.api.post("/api/habits", { body: habit("Stretch") });
  const storage = client.memoryStorage();
  const closed = engineOf(person, { storage });
  await closed.ready;
  person.network.setOffline(true);
  assert.deepEqual(await closed.write("POST", `/api/habits/${id}/complete`), { queued: true });
  closed.close();
  person.network.setOffline(false);
  const reopened = engineOf(person, { storage });
  await until(async () => (await storage.all()).length === 0, 5000, "the left write to be sent");
  assert.deepEqual(reopened.awards.map((award) => award.xp), [10]);
  assert.deepEqual(await ledgerOf(person.api, id), oneCompletion);
});

// Needs client-chosen ids on creates (`"id"` in the body).
test("a habit created offline and completed offline: replayed in order, one habit and one award", async () => {
  const person = await signedIn(client, worker.base, "create-offline@example.com");
  const engine = engineOf(person);
  await engine.ready;
  const id = person.api.newId();
  person.network.setOffline(true);
  assert.deepEqual(await engine.write("POST", "/api/habits", { id, ...habit("Plank") }), { queued: true });
  assert.deepEqual(await engine.write("POST", `/api/habits/${id}/complete`), { queued: true });
  assert.equal(engine.state.pending, 2);
  person.network.setOffline(false);
  await engine.flush();
  assert.equal(engine.state.pending, 0);
  const { items } = await person.api.get("/api/habits");
  assert.deepEqual(items.map((item) => [item.id, item.title, item.completed_today]), [[id, "Plank", true]]);
  assert.deepEqual(await ledgerOf(person.api, id), oneCompletion);
  // Both were answered in the one push, in order.
  assert.deepEqual(sentTo(person.network, "/api/sync/push").map((request) => request.status), [200]);
});

test("a write answered at once is never counted as pending", async () => {
  const person = await signedIn(client, worker.base, "not-pending@example.com");
  const seen = [];
  const engine = engineOf(person, { onChange: (state) => seen.push(state.pending) });
  await engine.ready;
  const created = await engine.write("POST", "/api/habits", habit("Read"));
  assert.equal(created.title, "Read");
  await engine.write("POST", `/api/habits/${created.id}/complete`);
  assert.ok(seen.length > 0);
  assert.deepEqual([...new Set(seen)], [0], "pending stayed 0");
});

test("a write whose result is a 5xx stays queued and lands once, later, on its own", async () => {
  const person = await signedIn(client, worker.base, "retry-result@example.com");
  const engine = engineOf(person);
  await engine.ready;
  person.network.answerInstead("/api/sync/push", () => json(200, { data: { results: [{ status: 503, body: { error: { type: "unavailable" } } }] } }));
  assert.deepEqual(await engine.write("POST", "/api/workouts", workout), { queued: true });
  assert.equal(engine.state.pending, 1);
  await until(() => engine.state.pending === 0, 5000, "the write sent again after its backoff");
  assert.deepEqual(await workoutsOf(person.api), oneWorkout);
  assert.deepEqual(sentTo(person.network, "/api/sync/push").map((push) => push.status), [200, 200]);
  assert.deepEqual(engine.awards.map((award) => award.xp), [22]);
});

test("a 429 to the push is waited out for its Retry-After, then the write lands", async () => {
  const person = await signedIn(client, worker.base, "retry-after@example.com");
  const engine = engineOf(person);
  await engine.ready;
  person.network.answerInstead("/api/sync/push", () => errorAnswer(429, "rate_limited", { "retry-after": "1" }));
  assert.deepEqual(await engine.write("POST", "/api/workouts", workout), { queued: true });
  await until(() => engine.state.pending === 0, 5000, "the write sent after Retry-After");
  const [refused, landed] = sentTo(person.network, "/api/sync/push");
  assert.deepEqual([refused.status, landed.status], [429, 200]);
  assert.deepEqual(await workoutsOf(person.api), oneWorkout);
});

test("when the CSRF token cannot be read before a push (5xx), the queue tries again", { timeout: 10_000 }, async () => {
  const person = await signedIn(client, worker.base, "lazy-csrf@example.com");
  // A page reloaded with a write left in its queue, and a client holding no token yet: its first
  // request (the poll, the push) reads the session first, and that read fails once.
  const storage = client.memoryStorage();
  await storage.add({ idempotency_key: client.newId(), method: "POST", path: "/api/workouts", body: workout });
  const api = client.createClient({ baseUrl: worker.base, fetch: person.network.fetch });
  person.network.answerInstead("/api/auth/session", () => errorAnswer(503, "unavailable"));
  const engine = engineOf({ api, network: person.network }, { storage });
  await engine.ready;
  await until(() => engine.state.pending === 0 && engine.awards.length === 1, 5000, "the left write sent once the session could be read");
  assert.deepEqual(sentTo(person.network, "/api/auth/session").map((read) => read.status), [503, 200]);
  assert.deepEqual(await workoutsOf(person.api), oneWorkout);
});

test("a push answered with fewer results than writes is not sent again at once", async () => {
  const person = await signedIn(client, worker.base, "short-answer@example.com");
  const engine = engineOf(person);
  await engine.ready;
  person.network.answerInstead("/api/sync/push", () => json(200, { data: { results: [] } }), 50);
  assert.deepEqual(await engine.write("POST", "/api/workouts", workout), { queued: true });
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The first retry waits at least 0.5 s.
  assert.equal(sentTo(person.network, "/api/sync/push").length, 1);
  assert.equal(engine.state.pending, 1);
});

test("a push refused as 401 (the session ended) signs the engine out, once", async () => {
  const person = await signedIn(client, worker.base, "push-401@example.com");
  let signedOut = 0;
  const engine = engineOf(person, { onSignedOut: () => signedOut++ });
  await engine.ready;
  await client.createClient({ baseUrl: worker.base, fetch: person.network.online }).signOut();
  assert.deepEqual(await engine.write("POST", "/api/workouts", workout), { queued: true });
  assert.equal(signedOut, 1);
  await engine.flush();
  assert.equal(signedOut, 1);
});

test("a write refused when it is replayed goes to onRejected with its ApiError", async () => {
  const person = await signedIn(client, worker.base, "replay-refused@example.com");
  const rejected = [];
  const engine = engineOf(person, { onRejected: (error, write) => rejected.push({ error, write }) });
  await engine.ready;
  person.network.setOffline(true);
  assert.deepEqual(await engine.write("POST", "/api/habits", { title: "", category: "health" }), { queued: true });
  person.network.setOffline(false);
  await engine.flush();
  assert.equal(engine.state.pending, 0, "a refusal leaves the queue");
  assert.equal(rejected.length, 1);
  const [{ error, write }] = rejected;
  assert.ok(error instanceof client.ApiError);
  assert.deepEqual([error.status, error.type, Object.keys(error.fields ?? {})], [400, "bad_request", ["title"]]);
  assert.deepEqual([write.method, write.path, write.body], ["POST", "/api/habits", { title: "", category: "health" }]);
});

test("after another user signs in in the same browser, a queued write never lands in their account", async () => {
  const first = await signedIn(client, worker.base, "first-user@example.com");
  let signedOut = 0;
  const engine = engineOf(first, { onSignedOut: () => signedOut++ });
  await engine.ready;
  // Another tab of the same browser signs in as someone else: the cookie is now theirs.
  const otherTab = client.createClient({ baseUrl: worker.base, fetch: first.network.fetch });
  await otherTab.devSignIn({ email: "second-user@example.com" });
  assert.deepEqual(await engine.write("POST", "/api/workouts", workout), { queued: true });
  assert.equal(signedOut, 1, "the engine signed out");
  assert.deepEqual(await workoutsOf(otherTab), { workouts: 0, awards: [] }, "nothing landed for the other user");
  await assert.rejects(first.api.post("/api/workouts", { body: workout }), { name: "ApiError", status: 401, type: "unauthorized" });
  assert.deepEqual(await workoutsOf(otherTab), { workouts: 0, awards: [] });
});

test("where IndexedDB cannot be opened, the queue keeps its writes in memory and tries to open again", async () => {
  let opens = 0;
  globalThis.indexedDB = {
    open() {
      opens++;
      const request = {};
      setTimeout(() => {
        request.error = new Error("refused in a private window");
        request.onerror?.();
      });
      return request;
    },
  };
  try {
    const storage = client.indexedDbStorage("private-window");
    const [older, newer] = [client.newId(), client.newId()].map((key) => ({ idempotency_key: key, method: "POST", path: "/api/workouts", body: workout }));
    await storage.add(newer);
    await storage.add(older);
    assert.deepEqual(await storage.all(), [older, newer]);
    await storage.remove([older.idempotency_key]);
    assert.deepEqual(await storage.all(), [newer]);
    assert.equal(opens, 5, "every use tried to open it again");
  } finally {
    delete globalThis.indexedDB;
  }
});
