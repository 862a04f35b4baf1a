// Settings: the theme applies at once to <html data-theme>, is saved, and is shown again after a
// reload (from localStorage before the API answers) and on a fresh device (from the API).
import assert from "node:assert/strict";
import { apiOf, browserTest, eventually, heading, openApp, signIn, uniqueEmail, useStack } from "./harness.mjs";

const stack = useStack();

const theme = (page) => page.evaluate(() => document.documentElement.dataset.theme);

browserTest(stack, "the dark theme applies at once and is kept across a reload and on another device", async (browsing) => {
  const email = uniqueEmail("theme");
  const context = await browsing.context();
  const { page } = await signIn(stack, context, email);
  const api = apiOf(stack, context);
  await openApp(stack, page, "settings", "Settings");
  const select = page.getByLabel("Theme", { exact: true });
  assert.notEqual(await theme(page), "dark", "not dark before choosing it");

  await select.selectOption("dark");
  assert.equal(await theme(page), "dark", "applied at once");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await eventually(async () => (await api.get("/api/settings")).theme === "dark", { message: "the theme saved" });

  // Module scripts run before DOMContentLoaded: the theme is there before any API answer.
  await page.route("**/api/**", (route) => new Promise((resolve) => setTimeout(() => resolve(route.continue()), 1500)));
  await page.reload({ waitUntil: "domcontentloaded" });
  assert.equal(await theme(page), "dark", "dark straight after the reload");
  // Unrouted only once the delayed answers are in: unrouting while they were held raced them.
  await heading(page, "Settings").waitFor({ timeout: 30_000 });
  await page.unrouteAll({ behavior: "wait" });
  assert.equal(await theme(page), "dark");
  assert.equal(await select.inputValue(), "dark", "the select shows the saved theme");

  const elsewhere = await browsing.context();
  const { page: other } = await signIn(stack, elsewhere, email);
  await eventually(async () => (await theme(other)) === "dark", { message: "the saved theme on another device" });
});
