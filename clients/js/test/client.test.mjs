// The client against the real worker: cookie mode with its CSRF token, bearer mode, the D1
// bookmark, and errors typed from the envelope.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { browser, habit, loadClient, signedIn, startWorker } from "../harness.mjs";

let worker;
let client;

before(async () => {
  [worker, client] = await Promise.all([startWorker(), loadClient()]);
});
after(() => worker?.stop());

describe("cookie mode", () => {
  test("a dev sign-in from Node keeps the session cookie and its CSRF token for writes", async () => {
    const { api, network, session } = await signedIn(client, worker.base, "cookie@example.com");
    assert.equal(session.user.email, "cookie@example.com");
    assert.ok(network.jar.get("__Host-passion_session"), "the session cookie is in the jar");
    const created = await api.post("/api/habits", { body: habit("Stretch") });
    assert.equal(created.title, "Stretch");
    const write = network.sent.at(-1);
    assert.deepEqual([write.method, write.path, write.status], ["POST", "/api/habits", 201]);
    assert.equal(write.headers.get("x-csrf-token"), session.csrf_token);
    assert.ok(!network.sent.some((request) => request.path === "/api/auth/session"), "the sign-in's token was reused");
    const listed = await api.get("/api/habits");
    assert.deepEqual(listed.items.map((item) => item.id), [created.id]);
  });

  test("a client without a token fetches the session once, before its first write", async () => {
    const first = await signedIn(client, worker.base, "lazy@example.com");
    const later = client.createClient({ baseUrl: worker.base, fetch: first.network.fetch });
    const sentBefore = first.network.sent.length;
    await Promise.all([later.post("/api/goals", { body: { title: "One", category: "learning" } }),
      later.post("/api/goals", { body: { title: "Two", category: "learning" } })]);
    const sent = first.network.sent.slice(sentBefore).map((request) => `${request.method} ${request.path} ${request.status}`);
    assert.deepEqual(sent.sort(), ["GET /api/auth/session 200", "POST /api/goals 201", "POST /api/goals 201"]);
  });

  test("a write refused as csrf_failed (the session changed under the token) is sent again once with a fresh token", async () => {
    const { api, network } = await signedIn(client, worker.base, "stale@example.com");
    // Signing in again in the same browser (another tab) replaces the cookie, so the token the
    // first client holds belongs to a session this browser no longer sends.
    const otherTab = client.createClient({ baseUrl: worker.base, fetch: network.fetch });
    const fresh = await otherTab.devSignIn({ email: "stale@example.com" });
    const sentBefore = network.sent.length;
    const created = await api.post("/api/habits", { body: habit("Walk") });
    const sent = network.sent.slice(sentBefore);
    assert.deepEqual(sent.map((request) => `${request.method} ${request.path} ${request.status}`),
      ["POST /api/habits 403", "GET /api/auth/session 200", "POST /api/habits 201"]);
    assert.equal(sent[2].headers.get("x-csrf-token"), fresh.csrf_token);
    assert.deepEqual((await api.get("/api/habits")).items.map((item) => item.id), [created.id], "created once");
  });

  test("a write refused as csrf_failed because another user signed in in this browser is 401, and lands nowhere", async () => {
    const { api, network } = await signedIn(client, worker.base, "owner-tab@example.com");
    const otherTab = client.createClient({ baseUrl: worker.base, fetch: network.fetch });
    await otherTab.devSignIn({ email: "intruder-tab@example.com" });
    const sentBefore = network.sent.length;
    await assert.rejects(api.post("/api/habits", { body: habit("Mine") }), { name: "ApiError", status: 401, type: "unauthorized" });
    assert.deepEqual(network.sent.slice(sentBefore).map((request) => `${request.method} ${request.path} ${request.status}`),
      ["POST /api/habits 403", "GET /api/auth/session 200"], "not sent again with the other user's token");
    // Later writes do not take the other user's token either.
    await assert.rejects(api.post("/api/habits", { body: habit("Mine") }), { name: "ApiError", status: 401 });
    assert.deepEqual((await otherTab.get("/api/habits")).items, []);
    // Its own session()/devSignIn() answers who is signed in now, and the client follows it.
    assert.equal((await api.session()).user.email, "intruder-tab@example.com");
    assert.equal((await api.post("/api/habits", { body: habit("Theirs") })).title, "Theirs");
  });

  test("every request after the first sends back the last X-D1-Bookmark it was given", async () => {
    const { api, network } = await signedIn(client, worker.base, "bookmark@example.com");
    await api.post("/api/habits", { body: habit("Read") });
    await api.get("/api/habits");
    const [write, read] = network.sent.slice(-2);
    const bookmark = write.response.get("x-d1-bookmark");
    assert.ok(bookmark, "the worker answers with a bookmark");
    assert.equal(read.headers.get("x-d1-bookmark"), bookmark);
  });

  test("signed out, session() is null and a write is 401 unauthorized", async () => {
    const { api } = await signedIn(client, worker.base, "leaving@example.com");
    await api.signOut();
    assert.equal(await api.session(), null);
    await assert.rejects(api.post("/api/habits", { body: habit("Nap") }), (error) => {
      assert.ok(error instanceof client.ApiError);
      assert.deepEqual([error.type, error.status], ["unauthorized", 401]);
      return true;
    });
  });
});

describe("bearer mode", () => {
  test("a token from POST /api/tokens authorizes a script: no cookie, no CSRF token", async () => {
    const { api } = await signedIn(client, worker.base, "script@example.com");
    const { token } = await api.post("/api/tokens", { body: { name: "script" } });
    assert.match(token, /^pat_/);
    const network = browser("test-script-bearer");
    const script = client.createClient({ baseUrl: worker.base, token, fetch: network.fetch });
    assert.equal(script.mode, "bearer");
    const created = await script.post("/api/habits", { body: habit("Journal") });
    const write = network.sent.at(-1);
    assert.equal(write.status, 201);
    assert.equal(write.headers.get("authorization"), `Bearer ${token}`);
    assert.equal(write.headers.get("x-csrf-token"), null);
    assert.equal(write.headers.get("cookie"), null);
    assert.ok(!network.sent.some((request) => request.path === "/api/auth/session"));
    assert.ok((await api.get("/api/habits")).items.some((item) => item.id === created.id), "the user's own habit");
  });

  test("sign-out everywhere ends the token too", async () => {
    const { api } = await signedIn(client, worker.base, "revoked@example.com");
    const { token } = await api.post("/api/tokens", { body: { name: "script" } });
    const script = client.createClient({ baseUrl: worker.base, token, fetch: browser("test-revoked-bearer").fetch });
    await script.get("/api/progress");
    await api.signOutEverywhere();
    await assert.rejects(script.get("/api/progress"), { name: "ApiError", status: 401, type: "unauthorized" });
  });
});

describe("errors", () => {
  test("a 400 names the bad field, with the request id of the response", async () => {
    const { api, network } = await signedIn(client, worker.base, "fields@example.com");
    const cases = [
      [{ title: "", category: "health" }, "title"],
      [{ title: "Run", category: "nope" }, "category"],
      [{ title: "Run", category: "health", frequency: "hourly" }, "frequency"],
      [{ ...habit("Run"), colour: "red" }, "colour"],
    ];
    for (const [body, field] of cases) {
      const error = await api.post("/api/habits", { body }).catch((error) => error);
      assert.ok(error instanceof client.ApiError, String(error));
      assert.deepEqual([error.type, error.status, Object.keys(error.fields ?? {})], ["bad_request", 400, [field]], JSON.stringify(body));
      assert.ok(error.message.length > 0);
      assert.equal(error.requestId, network.sent.at(-1).response.get("x-request-id"));
    }
  });

  test("another user's item is 404 not_found, like a missing one", async () => {
    const owner = await signedIn(client, worker.base, "owner@example.com");
    const other = await signedIn(client, worker.base, "other@example.com");
    const { id } = await owner.api.post("/api/habits", { body: habit("Mine") });
    for (const asked of [id, other.api.newId()]) {
      await assert.rejects(other.api.get("/api/habits/{id}", { params: { path: { id: asked } } }),
        { name: "ApiError", type: "not_found", status: 404 });
    }
  });

  test("a spent sign-in budget is 429 rate_limited with Retry-After in seconds", async () => {
    const network = browser("test-budget");
    const api = client.createClient({ baseUrl: worker.base, fetch: network.fetch });
    let refusal;
    for (let attempt = 0; attempt < 100 && !refusal; attempt++) {
      refusal = await api.devSignIn({ email: `budget${attempt}@example.com` }).then(() => null, (error) => error);
    }
    assert.ok(refusal instanceof client.ApiError, "the budget ran out");
    assert.deepEqual([refusal.type, refusal.status], ["rate_limited", 429]);
    assert.ok(refusal.retryAfterSeconds > 0, `Retry-After ${refusal.retryAfterSeconds}`);
  });

  test("a fetch that gets no answer is a NetworkError", async () => {
    const network = browser("test-offline");
    network.setOffline(true);
    const api = client.createClient({ baseUrl: worker.base, fetch: network.fetch });
    await assert.rejects(api.get("/api/health"), (error) => error instanceof client.NetworkError);
  });
});

test("newId makes lowercase UUIDv7s in the order they were made", () => {
  const ids = Array.from({ length: 5000 }, () => client.newId());
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  const ms = parseInt(ids[0].replace(/-/g, "").slice(0, 12), 16);
  assert.ok(Math.abs(ms - Date.now()) < 60_000, "its time is now");
});
