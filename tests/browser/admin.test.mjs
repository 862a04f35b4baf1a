// Admin: an admin finds a user, disables them, and the user's open page is signed out at once
// (the worker closes their sync socket with 4001); the Admin page is for admins only.
import assert from "node:assert/strict";
import { ADMIN_EMAIL, apiOf, browserTest, heading, signIn, uniqueEmail, useStack } from "./harness.mjs";

const stack = useStack();

browserTest(stack, "an admin disabling a user signs out that user's open page", async (browsing) => {
  const userContext = await browsing.context();
  const email = uniqueEmail("disabled");
  const { page: userPage, user } = await signIn(stack, userContext, email, "Soon Disabled");
  const nav = userPage.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Today", exact: true }).waitFor();
  assert.equal(await nav.getByRole("link", { name: "Admin", exact: true }).count(), 0, "no Admin link for a user");

  const adminContext = await browsing.context();
  const { page: adminPage } = await signIn(stack, adminContext, ADMIN_EMAIL, "Admin");
  await adminPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin", exact: true }).click();
  await heading(adminPage, "Admin").waitFor();
  await adminPage.getByLabel("Search users", { exact: true }).fill(email);
  await adminPage.getByLabel("Search users", { exact: true }).press("Enter");
  await adminPage.getByRole("main").getByText(email).first().click();
  await adminPage.getByRole("button", { name: "Disable user", exact: true }).click();
  await adminPage.getByRole("button", { name: "Enable user", exact: true }).waitFor();

  await heading(userPage, "Sign in").waitFor({ timeout: 5000 });
  assert.equal(await userPage.getByRole("navigation", { name: "Main" }).count(), 0, "the user's page left the app");
  const session = await userContext.request.get(`${stack.base}/api/auth/session`);
  assert.equal(session.status(), 401, "the user's session is over");
  const detail = await apiOf(stack, adminContext).get(`/api/admin/users/${user.id}`);
  assert.equal(detail.disabled, true);
  const again = await userContext.request.post(`${stack.base}/api/auth/dev/signin`, { data: { email } });
  assert.equal(again.status(), 401, "a disabled user cannot sign in again");
});
