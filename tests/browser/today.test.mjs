// The Today page: a habit created, completed and undone with the progress bar following the
// ledger; two pages of one user kept current by the sync engine and signed out together; writes
// made offline queued ("Pending sync") and replayed exactly once when the page is back online.
import assert from "node:assert/strict";
import {
  apiOf,
  browserTest,
  eventually,
  heading,
  openApp,
  progressRegion,
  signIn,
  uniqueEmail,
  useStack,
} from "./harness.mjs";

const stack = useStack();

function habitItem(page, title) {
  return page.getByRole("listitem").filter({ has: page.getByRole("button", { name: `Complete ${title}`, exact: true }) })
    .or(page.getByRole("listitem").filter({ has: page.getByRole("button", { name: `Undo ${title}`, exact: true }) }));
}

async function addHabit(page, title) {
  await page.getByLabel("Habit title", { exact: true }).fill(title);
  await page.getByRole("button", { name: "Add habit", exact: true }).click();
  await page.getByRole("button", { name: `Complete ${title}`, exact: true }).waitFor();
}

/** Waits until `locator`'s text matches `pattern`. */
async function textMatches(locator, pattern, timeout = 5000) {
  return eventually(async () => pattern.test(await locator.innerText()), {
    timeout,
    message: async () => `text matching ${pattern} (now: ${JSON.stringify(await locator.innerText())})`,
  });
}

const coinsText = (coins) => new RegExp(`(^|\\D)${coins} coins?\\b`);

/** The progress bar shows the API's totals: level, coins and the XP bar's value. */
async function progressShown(page, progress) {
  const region = progressRegion(page);
  await textMatches(region, coinsText(progress.coins));
  await textMatches(region, new RegExp(`Level ${progress.level}\\b`));
  const bar = region.getByRole("progressbar", { name: "XP" });
  const barValue = () => bar.evaluate((element) => element.value);
  await eventually(async () => (await barValue()) === progress.xp_into_level, {
    message: async () => `the XP bar at ${progress.xp_into_level} (now ${await barValue()})`,
  });
}

async function habitCompletions(api) {
  return (await api.ledger("coins")).filter((entry) => entry.event_type === "habit_completed");
}

browserTest(stack, "a habit created and completed earns XP and coins shown in the progress bar, and undo takes them back", async (browsing) => {
  const context = await browsing.context();
  const { page } = await signIn(stack, context, uniqueEmail("habit"));
  const api = apiOf(stack, context);
  await progressShown(page, await api.get("/api/progress"));

  await addHabit(page, "Read");
  const habit = await eventually(async () => (await api.get("/api/habits")).items.find((h) => h.title === "Read"), { message: "the habit stored" });
  assert.equal(habit.completed_today, false);
  const before = await api.get("/api/progress");
  assert.equal(before.coins, 0);

  await page.getByRole("button", { name: "Complete Read", exact: true }).click();
  await page.getByRole("button", { name: "Undo Read", exact: true }).waitFor();
  const after = await eventually(async () => {
    const progress = await api.get("/api/progress");
    return progress.coins > before.coins && progress;
  }, { message: "the completion's award" });
  // 10 XP + 2 coins for the completion, plus what the first-habit achievement gives.
  assert.ok(after.xp >= before.xp + 10 && after.coins >= before.coins + 2, JSON.stringify({ before, after }));
  await progressShown(page, after);
  await textMatches(page.getByRole("status").filter({ hasText: "XP" }).first(), /\+10 XP, \+2 coins/);
  await textMatches(habitItem(page, "Read"), /1-day streak/);

  await page.getByRole("button", { name: "Undo Read", exact: true }).click();
  await page.getByRole("button", { name: "Complete Read", exact: true }).waitFor();
  const undone = await eventually(async () => {
    const progress = await api.get("/api/progress");
    return progress.coins < after.coins && progress;
  }, { message: "the undo's reversal" });
  assert.equal(undone.xp, after.xp - 10, "the completion's XP is taken back (the achievement stays)");
  assert.equal(undone.coins, after.coins - 2, "the completion's coins are taken back");
  await progressShown(page, undone);
  const [stored] = (await api.get("/api/habits")).items.filter((h) => h.title === "Read");
  assert.equal(stored.completed_today, false);
});

browserTest(stack, "two pages of one user: a write in one shows in the other within a second, and signing out in one signs out both", async (browsing, t) => {
  const context = await browsing.context();
  const { page: writer } = await signIn(stack, context, uniqueEmail("two-pages"));
  const reader = await context.newPage();
  await openApp(stack, reader);
  // The user acts in the tab in front; the other one, behind it, is the one kept current. (A
  // page behind gets its animation frames throttled, which Playwright's clicks wait for.)
  await writer.bringToFront();

  const isWrite = (response) => response.request().method() !== "GET" && /\/api\/(sync\/push|habits)/.test(response.url());
  async function seenWithinASecond(act, locator, what) {
    const written = writer.waitForResponse(isWrite);
    await act();
    await written;
    const started = Date.now();
    await locator.waitFor({ timeout: 3000 });
    const elapsed = Date.now() - started;
    t.diagnostic(`${what}: in the other page ${elapsed} ms after the write's response`);
    assert.ok(elapsed <= 1000, `${what} showed in the other page ${elapsed} ms after the write`);
  }

  await seenWithinASecond(
    async () => {
      await writer.getByLabel("Habit title", { exact: true }).fill("Walk");
      await writer.getByRole("button", { name: "Add habit", exact: true }).click();
    },
    reader.getByRole("button", { name: "Complete Walk", exact: true }),
    "the new habit",
  );
  await seenWithinASecond(
    () => writer.getByRole("button", { name: "Complete Walk", exact: true }).click(),
    reader.getByRole("button", { name: "Undo Walk", exact: true }),
    "the completion",
  );
  const coins = (await apiOf(stack, context).get("/api/progress")).coins;
  await textMatches(progressRegion(reader), coinsText(coins), 1000);

  await writer.getByRole("button", { name: "Sign out", exact: true }).click();
  const signedOut = Date.now();
  await heading(writer, "Sign in").waitFor();
  await heading(reader, "Sign in").waitFor({ timeout: 1000 });
  t.diagnostic(`sign-out: the other page on Sign in ${Date.now() - signedOut} ms after the click`);
  assert.equal(await reader.getByRole("navigation", { name: "Main" }).count(), 0, "the other page shows no signed-in app");
});

function allowOfflineNoise(browsing) {
  browsing.allowConsoleError(/ERR_INTERNET_DISCONNECTED/, "requests made while the context is offline fail, by design");
  browsing.allowConsoleError(/WebSocket connection to .* failed/, "the sync socket reconnects while offline");
}

browserTest(stack, "a habit completed offline shows Pending sync and lands exactly once when back online", async (browsing) => {
  allowOfflineNoise(browsing);
  const context = await browsing.context();
  const { page } = await signIn(stack, context, uniqueEmail("offline-complete"));
  const api = apiOf(stack, context);
  await addHabit(page, "Meditate");
  await eventually(async () => (await api.get("/api/habits")).items.length === 1, { message: "the habit stored" });

  await context.setOffline(true);
  await page.getByRole("button", { name: "Complete Meditate", exact: true }).click();
  await page.getByText("Pending sync").first().waitFor();
  // The API (reached from Node, not through the offline browser) has not seen the completion.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal((await habitCompletions(api)).length, 0, "nothing reached the worker while offline");

  await context.setOffline(false);
  await page.getByText("Pending sync").first().waitFor({ state: "hidden", timeout: 15_000 });
  await eventually(async () => (await habitCompletions(api)).length === 1, { timeout: 10_000, message: "the replayed completion" });
  await page.getByRole("button", { name: "Undo Meditate", exact: true }).waitFor();
  // Reconnects and later flushes must not land it again.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const completions = await habitCompletions(api);
  assert.equal(completions.length, 1, "one award for one completion");
  assert.equal(completions[0].amount, 2);
  const [habit] = (await api.get("/api/habits")).items;
  assert.equal(habit.completed_today, true);
  await progressShown(page, await api.get("/api/progress"));
});

browserTest(stack, "a habit created and completed offline lands once, under the id the page chose", async (browsing) => {
  allowOfflineNoise(browsing);
  const context = await browsing.context();
  const { page } = await signIn(stack, context, uniqueEmail("offline-create"));
  const api = apiOf(stack, context);

  await context.setOffline(true);
  await addHabit(page, "Stretch");
  await page.getByRole("button", { name: "Complete Stretch", exact: true }).click();
  await page.getByRole("button", { name: "Undo Stretch", exact: true }).waitFor();
  await page.getByText("Pending sync").first().waitFor();
  assert.equal((await api.get("/api/habits")).items.length, 0, "nothing reached the worker while offline");

  await context.setOffline(false);
  await page.getByText("Pending sync").first().waitFor({ state: "hidden", timeout: 15_000 });
  await eventually(async () => (await habitCompletions(api)).length === 1, { timeout: 10_000, message: "the replayed completion" });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const habits = (await api.get("/api/habits")).items;
  assert.equal(habits.length, 1, "created once");
  assert.equal(habits[0].title, "Stretch");
  assert.equal(habits[0].completed_today, true, "completed under the id chosen offline");
  assert.match(habits[0].id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUIDv7");
  assert.equal((await habitCompletions(api)).length, 1, "one award");
  await page.getByRole("button", { name: "Undo Stretch", exact: true }).waitFor();
  await progressShown(page, await api.get("/api/progress"));
});
