// The offline queue against the real worker: a write made offline or whose answer was lost is
// sent again under its key and lands once; a refused write leaves the queue; an item created
// offline can be acted on offline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { loadClient, signedIn, startWorker, until } from "../harness.mjs";

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

/** A polling engine (its socket plays no part here) that records the awards it was told of. */
function engineOf({ api }, options = {}) {
  const awards = [];
  const engine = client.createSync(api, { socket: false, pollIntervalMs: 60_000, onAward: (award) => awards.push(award), ...options });
  engines.push(engine);
  return Object.assign(engine, { awards });
}

const habit = (title) => ({ title, category: "health", frequency: "daily" });

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
  const pushes = person.network.sent.filter((request) => request.path === "/api/sync/push").length;
  await engine.flush();
  assert.equal(person.network.sent.filter((request) => request.path === "/api/sync/push").length, pushes);
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
  const pushes = person.network.sent.filter((request) => request.path === "/api/sync/push");
  assert.equal(pushes.length, 2, "sent twice");
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
  const pushes = person.network.sent.filter((request) => request.path === "/api/sync/push");
  assert.deepEqual(pushes.map((request) => request.status), [200]);
});
