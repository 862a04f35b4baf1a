// The Shop: a reward created from the page, and a redeem the user cannot afford refused with the
// API's own message in an alert; nothing is spent.
import assert from "node:assert/strict";
import { apiOf, browserTest, openApp, progressRegion, signIn, uniqueEmail, useStack } from "./harness.mjs";

const stack = useStack();

browserTest(stack, "redeeming a reward with too few coins shows the API's error in an alert", async (browsing) => {
  const context = await browsing.context();
  const { page } = await signIn(stack, context, uniqueEmail("shop"));
  const api = apiOf(stack, context);
  await openApp(stack, page, "shop", "Shop");

  await page.getByLabel("Reward title", { exact: true }).fill("Movie night");
  await page.getByLabel("Cost", { exact: true }).fill("50");
  await page.getByRole("button", { name: "Add reward", exact: true }).click();
  const redeem = page.getByRole("button", { name: "Redeem Movie night", exact: true });
  await redeem.waitFor();
  const [reward] = (await api.get("/api/rewards")).items.filter((item) => item.title === "Movie night");
  assert.equal(reward.cost, 50);

  assert.equal(await page.getByRole("alert").filter({ hasText: /\S/ }).count(), 0, "no alert before the redeem");
  await redeem.click();
  const refusal = await api.call("POST", `/api/rewards/${reward.id}/redeem`, { body: {}, expect: 409 });
  assert.equal(refusal.error.type, "insufficient_coins");
  const alert = page.getByRole("alert").filter({ hasText: refusal.error.message });
  await alert.waitFor();
  assert.match(await progressRegion(page).innerText(), /(^|\D)0 coins?\b/, "nothing was spent");
  assert.equal((await api.get("/api/progress")).coins, 0, "coins still 0");
  assert.equal((await api.ledger("coins")).length, 0, "no ledger entry for a refused redeem");
});
