// Signing in from the Sign in page: the real OAuth code flow against the local providers (Google
// and Microsoft) and the dev sign-in form; each lands on Today with the session of the planned
// identity and its cookie as API.md says.
import assert from "node:assert/strict";
import { apiOf, browserTest, devSignIn, heading, oauthSignIn, uniqueEmail, useStack } from "./harness.mjs";

const stack = useStack();

async function sessionCookie(context) {
  return (await context.cookies()).find((cookie) => cookie.name === "__Host-passion_session");
}

for (const [provider, button] of [["google", "Google"], ["azure", "Microsoft"]]) {
  browserTest(stack, `signing in with ${button} runs the OAuth code flow and lands on Today`, async (browsing) => {
    const context = await browsing.context();
    const page = await context.newPage();
    const email = uniqueEmail(`oauth-${provider}`);
    const name = `${button} User`;
    await oauthSignIn(stack, page, provider, { sub: `sub-${email}`, email, name });

    assert.equal(new URL(page.url()).origin, stack.base, "back on the app after the callback");
    const session = await apiOf(stack, context).get("/api/auth/session");
    assert.equal(session.user.email, email, "the session is the planned identity's");
    assert.equal(session.user.name, name);
    const cookie = await sessionCookie(context);
    assert.ok(cookie, "the session cookie is set");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, "Lax");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
  });
}

browserTest(stack, "the Sign in page offers exactly the providers the API lists", async (browsing) => {
  const page = await browsing.page();
  await page.goto(`${stack.base}/`);
  await heading(page, "Sign in").waitFor();
  for (const name of ["Sign in with Google", "Sign in with Microsoft", "Dev sign in"]) {
    assert.equal(await page.getByRole("button", { name, exact: true }).count(), 1, `one "${name}" button`);
  }
  assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0, "no main nav before signing in");
});

browserTest(stack, "the dev sign-in form signs in, and Sign out returns to the Sign in page", async (browsing) => {
  const context = await browsing.context();
  const page = await context.newPage();
  const email = uniqueEmail("dev-form");
  await devSignIn(stack, page, { email, name: "Dev Form" });
  const session = await apiOf(stack, context).get("/api/auth/session");
  assert.equal(session.user.email, email);
  assert.equal(session.user.name, "Dev Form");

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await heading(page, "Sign in").waitFor();
  assert.equal(await sessionCookie(context), undefined, "the cookie is cleared");
  await page.reload();
  await heading(page, "Sign in").waitFor();
});
