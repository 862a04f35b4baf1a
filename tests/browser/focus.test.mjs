// The Focus page end to end: a session linked to a habit with a library track (uploaded by an
// admin) started, paused, resumed and ended; the track plays from the worker and seeks (a Range
// request answered 206); the award lands on the linked habit's skill.
import assert from "node:assert/strict";
import { d1 } from "../../bench/lib.mjs";
import {
  ADMIN_EMAIL,
  apiOf,
  browserTest,
  eventually,
  openApp,
  signIn,
  signInThroughApi,
  uniqueEmail,
  useStack,
  wavTone,
} from "./harness.mjs";

const stack = useStack();

const sqlText = (value) => `'${String(value).replaceAll("'", "''")}'`;

browserTest(stack, "a focus session with a library track: start, pause, resume, end, the track plays and seeks, the award lands", async (browsing) => {
  const adminContext = await browsing.context();
  await signInThroughApi(stack, adminContext, ADMIN_EMAIL, "Admin");
  const track = await apiOf(stack, adminContext).call("POST", "/api/audio?title=Rain&scope=library", {
    body: wavTone(4),
    headers: { "content-type": "audio/wav" },
    expect: 201,
  }).then((envelope) => envelope.data);

  const context = await browsing.context();
  const { page, user } = await signIn(stack, context, uniqueEmail("focus"));
  const api = apiOf(stack, context);
  const habit = await api.post("/api/habits", { title: "Practice piano", category: "creativity" });
  const audioResponses = [];
  page.on("response", (response) => {
    if (response.url().includes(`/api/audio/${track.id}`)) audioResponses.push(response.status());
  });
  await openApp(stack, page, "focus", "Focus");

  await page.getByLabel("Minutes", { exact: true }).fill("25");
  await page.getByLabel("Mode", { exact: true }).selectOption("focus");
  await page.getByLabel("Linked habit", { exact: true }).selectOption({ label: "Practice piano" });
  await page.getByLabel("Track", { exact: true }).selectOption({ label: "Rain (library)" });
  await page.getByRole("button", { name: "Start", exact: true }).click();
  const timer = page.getByRole("timer");
  await timer.waitFor();
  const activeIn = (status) => async () => {
    const active = await api.get("/api/focus/active");
    return active?.status === status && active;
  };
  const running = await eventually(activeIn("running"), { message: "the session running" });
  assert.equal(running.planned_minutes, 25);
  assert.equal(running.habit_id, habit.id, "linked to the habit");
  assert.equal(running.audio_id, track.id, "with the track");
  const shown = await timer.innerText();
  await eventually(async () => (await timer.innerText()) !== shown, { timeout: 3000, message: "the timer ticking" });

  const audio = page.getByLabel("Focus track", { exact: true });
  assert.equal(await audio.evaluate((element) => element.tagName), "AUDIO");
  assert.ok((await audio.evaluate((element) => element.currentSrc || element.src)).endsWith(`/api/audio/${track.id}`), "playing the chosen track");
  // Start plays the track itself (the browser runs with no autoplay gesture needed, as after a click).
  await eventually(() => audio.evaluate((element) => !element.paused && element.currentTime > 0), { message: "the track playing" });
  await audio.evaluate((element) => new Promise((resolve) => {
    element.addEventListener("seeked", resolve, { once: true });
    element.currentTime = 3;
  }));
  const position = await audio.evaluate((element) => element.currentTime);
  assert.ok(position >= 2.9, `the seek moved the track to ${position} s`);
  assert.ok(audioResponses.includes(206), `a Range request answered 206 (saw ${audioResponses})`);

  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await page.getByRole("button", { name: "Resume", exact: true }).waitFor();
  await eventually(activeIn("paused"), { message: "the session paused" });
  // A running timer changes every second, so two readings 1.2 s apart that agree mean it stands
  // still (the first may still move once, when the server's pause replaces the page's own).
  await eventually(async () => {
    const first = await timer.innerText();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    return first === (await timer.innerText());
  }, { timeout: 6000, message: "the paused timer standing still" });
  await page.getByRole("button", { name: "Resume", exact: true }).click();
  await page.getByRole("button", { name: "Pause", exact: true }).waitFor();
  await eventually(activeIn("running"), { message: "the session resumed" });

  // Nobody waits ten minutes in a test: the session is moved back ten and a half minutes in the
  // worker's database, so ending it now counts ten focused minutes (the pause took seconds).
  const [{ results: [row] }] = d1(stack.worker.state, `select id, started_at from focus_sessions where user_id = ${sqlText(user.id)} and status = 'running'`);
  const startedEarlier = new Date(Date.parse(row.started_at) - 10.5 * 60_000).toISOString();
  d1(stack.worker.state, `update focus_sessions set started_at = ${sqlText(startedEarlier)} where id = ${sqlText(row.id)}`);

  await page.getByRole("button", { name: "End", exact: true }).click();
  await page.getByRole("button", { name: "Start", exact: true }).waitFor();
  const awards = await eventually(async () => {
    const entries = (await api.ledger("xp")).filter((entry) => entry.event_type === "focus_completed");
    return entries.length > 0 && entries;
  }, { message: "the focus award" });
  assert.equal(awards.length, 1, "one award");
  assert.equal(awards[0].amount, 10, "1 XP per focused minute");
  const progress = await api.get("/api/progress");
  assert.equal(progress.skills.creativity.xp, 10, "the XP counts to the linked habit's skill");
  await eventually(async () => /\+10 XP/.test(await page.getByRole("status").allInnerTexts().then((texts) => texts.join(" "))), { message: "the award announced" });
  const [ended] = (await api.get("/api/focus")).items;
  assert.equal(ended.status, "completed");
  assert.equal(await api.get("/api/focus/active"), null, "no session left active");
});
