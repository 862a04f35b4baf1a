// Every page of the app, signed in as an admin with some of everything: reached through the main
// nav, shown with its heading, free of console errors and CSP violations (the harness), free of
// serious or critical axe-core issues in the light theme at desktop and phone width and in the dark
// theme, and photographed at both widths under target/screenshots/. Also: the app's CSP, and the
// keyboard reaching the nav with a visible focus outline.
import assert from "node:assert/strict";
import {
  ADMIN_EMAIL,
  apiOf,
  axe,
  browserTest,
  eventually,
  heading,
  screenshot,
  signIn,
  useStack,
  wavTone,
} from "./harness.mjs";

const stack = useStack();

// [nav link, page heading, screenshot name, the labelled controls the page must have (by the
// plan's names; `seed` below made the items they name)]
const field = (name) => ["label", name];
const button = (name) => ["button", name];
const pages = [
  ["Today", "Today", "today", [field("Habit title"), field("Frequency"), field("Category"), button("Add habit"),
    button("Undo Read"), button("Complete Run"), button("Check in yesterday for Run"), button("History of Read")]],
  ["Goals", "Goals", "goals", [field("Goal title"), button("Add goal"), button("Complete Learn Rust")]],
  ["Quests", "Quests", "quests", [field("Deadline"), field("Reward XP"), field("Reward coins"), button("Add quest"),
    button("Complete Ship the app")]],
  ["Workouts", "Workouts", "workouts", [field("Workout name"), field("Duration (minutes)"), field("Intensity"), button("Log workout")]],
  ["Books", "Books", "books", [field("Book title"), field("Author"), field("Status"), button("Add book"), button("Finish Dune")]],
  ["Focus", "Focus", "focus", [field("Minutes"), field("Mode"), field("Linked habit"), field("Linked goal"), field("Track"),
    button("Start"), button("Pause"), button("Resume"), button("End")]],
  ["Shop", "Shop", "shop", [field("Reward title"), field("Cost"), button("Add reward"), button("Redeem Coffee")]],
  ["Achievements", "Achievements", "achievements", []],
  ["Settings", "Settings", "settings", [field("Theme"), field("Time zone"), field("Day starts at"), button("Save")]],
  ["Tokens", "API tokens", "tokens", [field("Token name"), button("Create token"), button("Revoke Extension")]],
  ["Account", "Account", "account", [["link", "Export my data"], field("Type your email to confirm"), button("Delete account")]],
  ["Admin", "Admin", "admin", [field("Search users")]],
];

/** The plan's controls missing from the page now shown (in its main part: the header has an "XP"
 * of its own). */
async function missingControls(page, controls) {
  const main = page.getByRole("main");
  const missing = [];
  for (const [kind, name] of controls) {
    const locator = kind === "label" ? main.getByLabel(name, { exact: true }) : main.getByRole(kind, { name, exact: true });
    // Lists that are not in the sync feed (rewards, tokens) load after the page shows.
    await locator.first().waitFor({ timeout: 3000 }).catch(() => {});
    if ((await locator.count()) !== 1) missing.push(`${kind} "${name}" (${await locator.count()} found)`);
  }
  return missing;
}

const APP_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
  "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** What makes the page scroll sideways at `width` px (the widest element), or null. */
async function widerThan(page, width) {
  const before = page.viewportSize();
  await page.setViewportSize({ width, height: 740 });
  const overflow = await page.evaluate(() => {
    if (document.documentElement.scrollWidth <= innerWidth) return null;
    const widest = [...document.querySelectorAll("body *")].reduce((wide, element) =>
      element.getBoundingClientRect().right > (wide?.getBoundingClientRect().right ?? 0) ? element : wide, null);
    return `${document.documentElement.scrollWidth} px, ${widest?.tagName.toLowerCase()}.${widest?.className}`;
  });
  await page.setViewportSize(before);
  return overflow;
}

/** Some of everything, so no page is photographed empty. */
async function seed(api) {
  const read = await api.post("/api/habits", { title: "Read", category: "learning" });
  await api.post("/api/habits", { title: "Run", category: "fitness", frequency: "weekdays" });
  await api.post(`/api/habits/${read.id}/complete`, {});
  await api.post("/api/goals", { title: "Learn Rust", category: "learning" });
  const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  await api.post("/api/quests", { title: "Ship the app", category: "productivity", deadline, reward: { xp: 50, coins: 10 } });
  await api.post("/api/workouts", { name: "Morning run", duration_minutes: 30, intensity: "moderate" });
  await api.post("/api/books", { title: "Dune", author: "Frank Herbert", status: "reading" });
  await api.post("/api/rewards", { title: "Coffee", cost: 5 });
  await api.post("/api/tokens", { name: "Extension" });
  await api.call("POST", "/api/audio?title=Rain&scope=library", { body: wavTone(2), headers: { "content-type": "audio/wav" }, expect: 201 });
}

browserTest(stack, "the app is served at / with its strict CSP, and the API keeps its own", async () => {
  const home = await fetch(`${stack.base}/`);
  assert.equal(home.status, 200);
  const csp = home.headers.get("content-security-policy");
  const directives = (policy) => new Set(policy.split(";").map((part) => part.trim()).filter(Boolean));
  assert.deepEqual(directives(csp ?? ""), directives(APP_CSP), "the app's CSP");
  const html = await home.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline script");
  assert.doesNotMatch(html, /\sstyle=/i, "no inline style attribute");
  const api = await fetch(`${stack.base}/api/health`);
  assert.deepEqual(
    directives(api.headers.get("content-security-policy") ?? ""),
    directives("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    "the API's CSP is its own",
  );
});

browserTest(stack, "the Sign in page: no console error, no CSP violation, no serious axe issue, screenshots", async (browsing) => {
  const page = await browsing.page();
  await page.goto(`${stack.base}/`);
  await heading(page, "Sign in").waitFor();
  await screenshot(page, "signin");
});

browserTest(stack, "every signed-in page: reached from the nav, no console error, no CSP violation, no serious axe issue, screenshots", async (browsing) => {
  const context = await browsing.context();
  const { page } = await signIn(stack, context, ADMIN_EMAIL, "Ada Admin");
  const api = apiOf(stack, context);
  await seed(api);
  await page.reload();
  await heading(page, "Today").waitFor();
  const nav = page.getByRole("navigation", { name: "Main" });

  // Every page is checked before the test fails, so one run lists every page's issues.
  const issues = [];
  const checked = async (check) => {
    try {
      await check();
    } catch (error) {
      if (!(error instanceof assert.AssertionError)) throw error;
      issues.push(error.message);
    }
  };

  for (const [link, title, name, controls] of pages) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await heading(page, title).waitFor();
    assert.equal(await page.getByRole("heading", { level: 1 }).count(), 1, `one h1 on ${title}`);
    await page.waitForLoadState("networkidle");
    for (const missing of await missingControls(page, controls)) issues.push(`${title}: no ${missing}`);
    await checked(() => screenshot(page, name));
    const overflow = await widerThan(page, 360);
    if (overflow) issues.push(`${title}: wider than a 360 px screen (${overflow})`);
  }

  await nav.getByRole("link", { name: "Today", exact: true }).click();
  await page.getByRole("button", { name: "History of Read", exact: true }).or(page.getByRole("link", { name: "History of Read", exact: true })).click();
  const history = page.getByRole("grid", { name: "History of Read" }).or(page.getByRole("table", { name: "History of Read" }));
  await history.waitFor();
  await checked(() => screenshot(page, "today-history"));

  await nav.getByRole("link", { name: "Admin", exact: true }).click();
  await page.getByLabel("Search users", { exact: true }).fill("admin@");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("main").getByRole("button", { name: /admin@example\.org/ }).click();
  await page.getByRole("button", { name: "Disable user", exact: true }).waitFor();
  for (const missing of await missingControls(page, [field("Role"), field("XP"), field("Coins"), field("Reason"), button("Claim")])) {
    issues.push(`Admin user detail: no ${missing}`);
  }
  await checked(() => screenshot(page, "admin-user"));

  await nav.getByRole("link", { name: "Today", exact: true }).click();
  await api.patch("/api/settings", { theme: "dark" });
  await page.reload();
  await heading(page, "Today").waitFor();
  await eventually(() => page.evaluate(() => document.documentElement.dataset.theme === "dark"), { message: "the dark theme" });
  await checked(() => screenshot(page, "today-dark"));
  for (const [link, title] of pages) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await heading(page, title).waitFor();
    await page.waitForLoadState("networkidle");
    await checked(() => axe(page, `${title} in the dark theme`));
  }
  assert.deepEqual(issues, [], "every page has the plan's controls and no serious or critical axe-core issue");
}, { timeout: 150_000 });

browserTest(stack, "the keyboard reaches the main nav with a visible focus outline and follows a link", async (browsing) => {
  const context = await browsing.context();
  const { page } = await signIn(stack, context, ADMIN_EMAIL, "Ada Admin");
  const goals = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Goals", exact: true });
  let reached = false;
  for (let step = 0; step < 40 && !reached; step++) {
    await page.keyboard.press("Tab");
    reached = await goals.evaluate((element) => element === document.activeElement);
  }
  assert.ok(reached, "Tab reaches the Goals link");
  const outline = await goals.evaluate((element) => {
    const style = getComputedStyle(element);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth), visible: element.matches(":focus-visible") };
  });
  assert.ok(outline.visible && outline.style !== "none" && outline.width > 0, `a visible focus outline: ${JSON.stringify(outline)}`);
  await page.keyboard.press("Enter");
  await heading(page, "Goals").waitFor();
});
