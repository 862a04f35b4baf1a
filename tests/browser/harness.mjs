// The browser suite's harness: one stack per test file (the two OpenID providers of
// tests/support/oidc.mjs, the built worker in workerd serving the web app at `/`, and Debian's
// Chromium driven by playwright-core), a fresh browser context per user in every test, and the
// checks every test ends with: no console error, no uncaught exception, no CSP violation and no
// 5xx from the worker, on any page the test opened.
//
// Run from the repository root: `node --test --test-concurrency=1 tests/browser/` (or
// `make test-browser`). The worker serves build/ and target/assets/ as they are: build both first
// (`make build`, or `node web/build.mjs` for the app alone). Screenshots: target/screenshots/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { startWorker } from "../../bench/lib.mjs";

const root = new URL("../..", import.meta.url).pathname;
const screenshotDir = join(root, "target/screenshots");
export const ADMIN_EMAIL = "admin@example.org";
// The client ids the worker expects of the local providers (tests/support/mod.rs has the same).
const GOOGLE_CLIENT_ID = "google-client-e2e";
const AZURE_CLIENT_ID = "azure-client-e2e";

const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Waits until `check()` returns something truthy (and returns it), or fails with `message` (a
 * function is asked at the end, to say what was there then). */
export async function eventually(check, { timeout = 5000, interval = 50, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const what = typeof message === "function" ? await Promise.resolve().then(message).catch((error) => String(error)) : message;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** The two local OpenID providers; `plan(state, identity)` says who signs in with that state. */
async function startOidc() {
  const [google, azure, control] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(root, "tests/support/oidc.mjs"), google, azure, control].map(String), {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = [];
  child.stdout.on("data", (chunk) => output.push(String(chunk)));
  child.stderr.on("data", (chunk) => output.push(String(chunk)));
  const stop = () => child.kill("SIGKILL");
  process.on("exit", stop);
  const controlUrl = `http://127.0.0.1:${control}`;
  await eventually(async () => (await fetch(`${controlUrl}/ready`)).ok, {
    timeout: 30_000,
    interval: 100,
    message: "the OpenID providers",
  }).catch((error) => {
    stop();
    throw new Error(`${error.message}\n${output.join("")}`);
  });
  const googleUrl = `http://127.0.0.1:${google}`;
  const azureUrl = `http://127.0.0.1:${azure}`;
  return {
    stop,
    workerVars: {
      GOOGLE_OAUTH_CLIENT_ID: GOOGLE_CLIENT_ID,
      GOOGLE_OAUTH_CLIENT_SECRET: "google-secret",
      GOOGLE_OAUTH_AUTHORIZE_URL: `${googleUrl}/authorize`,
      GOOGLE_OAUTH_TOKEN_URL: `${googleUrl}/token`,
      GOOGLE_OAUTH_ISSUER: googleUrl,
      AZURE_AD_CLIENT_ID: AZURE_CLIENT_ID,
      AZURE_AD_CLIENT_SECRET: "azure-secret",
      AZURE_AD_AUTHORIZE_URL: `${azureUrl}/authorize`,
      AZURE_AD_TOKEN_URL: `${azureUrl}/token`,
      AZURE_AD_ISSUER_TEMPLATE: `${azureUrl}/{tenantid}/v2.0`,
    },
    async plan(state, identity) {
      const response = await fetch(`${controlUrl}/plan`, {
        method: "POST",
        body: JSON.stringify({ ...identity, state }),
      });
      assert.equal(response.status, 204, "the provider took the plan");
    },
  };
}

/** Starts the providers, the worker and Chromium; fails at once, saying so, when the worker does
 * not serve the web app at `/`. */
async function startStack() {
  const oidc = await startOidc();
  let worker;
  let browser;
  try {
    // The callback URL is built from the request's own origin, so OAUTH_REDIRECT_ORIGIN (for a
    // worker behind a proxy) is not needed here. No extra allowed origins: the app is same-origin.
    worker = await startWorker({ ...oidc.workerVars, ADMIN_EMAILS: ADMIN_EMAIL, ALLOWED_ORIGINS: "" });
    const home = await fetch(`${worker.base}/`);
    const html = await home.text();
    if (!home.ok || !/text\/html/.test(home.headers.get("content-type") ?? "") || !/<script[^>]+src="\/app\.js"/.test(html)) {
      throw new Error(`the worker does not serve the web app at / (status ${home.status}, ${home.headers.get("content-type")}): ` +
        "build it with `node web/build.mjs` and the worker with `make build`");
    }
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      // The focus track starts when Start's write has answered, which may be after the click's
      // user activation has lapsed on a slow machine.
      args: ["--autoplay-policy=no-user-gesture-required"],
    });
  } catch (error) {
    worker?.stop();
    oidc.stop();
    throw error;
  }
  return {
    base: worker.base,
    worker,
    browser,
    oidc,
    async stop() {
      await browser.close().catch(() => {});
      worker.stop();
      oidc.stop();
    },
  };
}

/** The stack of this test file, started before its first test and stopped after its last. */
export function useStack() {
  const stack = {};
  before(async () => Object.assign(stack, await startStack()), { timeout: 180_000 });
  after(async () => stack.stop?.());
  return stack;
}

let uniqueCounter = 0;
/** A fresh e-mail address, unique within this run. */
export function uniqueEmail(label) {
  uniqueCounter += 1;
  return `${label}-${process.pid}-${uniqueCounter}@example.org`;
}

// Chromium logs what it refuses by CSP as console errors too; the event catches what it does not
// log (and says which directive). The binding outlives navigations, unlike a global on window.
function reportCspViolations() {
  document.addEventListener("securitypolicyviolation", (event) => {
    globalThis.__reportCspViolation?.({
      directive: event.violatedDirective,
      blocked: event.blockedURI,
      source: `${event.sourceFile}:${event.lineNumber}`,
      sample: event.sample,
    });
  });
}

let addressCounter = 0;

/** One test's browsing: the contexts and pages it opens, and what went wrong on any of them. */
class Browsing {
  constructor(stack) {
    this.stack = stack;
    this.contexts = [];
    this.problems = [];
    this.allowed = [];
  }

  /** Console errors matching `pattern` are expected in this test (`why` says why). */
  allowConsoleError(pattern, why) {
    assert.ok(why, "say why a console error is expected");
    this.allowed.push(pattern);
  }

  /** A fresh browser context (its own cookies and storage) with its own client address, so the
   * per-address sign-in budget of one user never spends another's. */
  async context() {
    addressCounter += 1;
    const context = await this.stack.browser.newContext({
      viewport: viewports.desktop,
      extraHTTPHeaders: { "cf-connecting-ip": `2001:db8::${(process.pid & 0xffff).toString(16)}:${addressCounter.toString(16)}` },
    });
    await context.exposeBinding("__reportCspViolation", ({ page }, violation) => {
      this.problems.push(`CSP violation on ${page?.url()}: ${JSON.stringify(violation)}`);
    });
    await context.addInitScript(reportCspViolations);
    // A missing control fails in seconds, not after Playwright's 30.
    context.setDefaultTimeout(10_000);
    context.on("page", (page) => this.watch(page));
    this.contexts.push(context);
    return context;
  }

  watch(page) {
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const text = message.text();
      if (this.allowed.some((pattern) => pattern.test(text))) return;
      const { url, lineNumber } = message.location();
      this.problems.push(`console error on ${page.url()}: ${text} (at ${url}:${lineNumber})`);
    });
    page.on("pageerror", (error) => this.problems.push(`uncaught exception on ${page.url()}: ${error.stack ?? error}`));
    page.on("response", (response) => {
      if (response.status() >= 500) this.problems.push(`${response.status()} from ${response.request().method()} ${response.url()}`);
    });
  }

  /** A page in a fresh context. */
  async page() {
    return (await this.context()).newPage();
  }

  assertClean() {
    assert.deepEqual(this.problems, [], "no console error, uncaught exception, CSP violation or 5xx");
  }

  async close() {
    await Promise.all(this.contexts.map((context) => context.close().catch(() => {})));
  }
}

/** A node:test test with a Browsing of its own, failed by any problem seen on its pages. */
export function browserTest(stack, name, body, { timeout = 60_000 } = {}) {
  test(name, { timeout }, async (t) => {
    const browsing = new Browsing(stack);
    try {
      await body(browsing, t);
      browsing.assertClean();
    } finally {
      await browsing.close();
    }
  });
}

/** The API as the signed-in user of `context` (its cookies and address), for setting up and
 * checking what a test did through the page. Returns `data` (fails on a status other than 2xx), or
 * with `expect: status`, the whole envelope of a response that must have that status. */
export function apiOf(stack, context) {
  let csrf = null;
  async function call(method, path, { body, headers = {}, expect } = {}) {
    if (method !== "GET" && !csrf) {
      const session = await context.request.get(`${stack.base}/api/auth/session`);
      assert.equal(session.status(), 200, "signed in");
      csrf = (await session.json()).data.csrf_token;
    }
    const response = await context.request.fetch(`${stack.base}${path}`, {
      method,
      headers: { ...(method === "GET" ? {} : { "x-csrf-token": csrf }), ...headers },
      // An object goes as JSON, a Buffer as it is (with the caller's content-type).
      ...(body === undefined ? {} : { data: body }),
    });
    const text = await response.text();
    const envelope = text ? JSON.parse(text) : null;
    if (expect !== undefined) {
      assert.equal(response.status(), expect, `${method} ${path}: ${text}`);
      return envelope;
    }
    assert.ok(response.ok(), `${method} ${path} answered ${response.status()}: ${text}`);
    return envelope?.data;
  }
  return {
    get: (path, options) => call("GET", path, options),
    post: (path, body, options) => call("POST", path, { ...options, body }),
    patch: (path, body, options) => call("PATCH", path, { ...options, body }),
    call,
    /** Every ledger entry of `currency`, newest first. */
    async ledger(currency) {
      const entries = [];
      let cursor = null;
      do {
        const page = await call("GET", `/api/ledger?currency=${currency}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        entries.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return entries;
    },
  };
}

/** Signs `email` in on `context` through the API only (the cookie lands in the context's jar, the
 * app does not know): for a user who only sets something up through the API. */
export async function signInThroughApi(stack, context, email, name) {
  const response = await context.request.post(`${stack.base}/api/auth/dev/signin`, {
    data: name ? { email, name } : { email },
  });
  assert.equal(response.status(), 200, `dev sign-in of ${email}: ${await response.text()}`);
  return (await response.json()).data.user;
}

/** Signs `email` in on a new page of `context` with the dev sign-in form; the context's later
 * pages are signed in too. Returns the page (on Today) and the user. */
export async function signIn(stack, context, email, name) {
  const page = await context.newPage();
  await devSignIn(stack, page, { email, name });
  const session = await apiOf(stack, context).get("/api/auth/session");
  assert.equal(session.user.email, email);
  return { page, user: session.user };
}

/** The heading of the page now shown. */
export function heading(page, name) {
  return page.getByRole("heading", { level: 1, name, exact: true });
}

/** Opens the app (signed in by the context's cookie) and waits for the Today page. */
export async function openApp(stack, page, route = "today", title = "Today") {
  await page.goto(`${stack.base}/#/${route}`);
  await heading(page, title).waitFor();
}

/** Signs in with the page's dev sign-in form, from the Sign in page. */
export async function devSignIn(stack, page, { email, name }) {
  await page.goto(`${stack.base}/`);
  await heading(page, "Sign in").waitFor();
  await page.getByLabel("Email", { exact: true }).fill(email);
  if (name) await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Dev sign in", exact: true }).click();
  await heading(page, "Today").waitFor();
}

const providerButtons = { google: "Sign in with Google", azure: "Sign in with Microsoft" };

/** Signs in through the real OAuth code flow: the page's button, the worker's 302 to the local
 * provider, its redirect back to the callback, the session cookie, the app. The provider is told
 * who signs in (keyed by the flow's `state`), read from the worker's 302 on its way to the page:
 * page.route does not see the requests that follow a redirect, but it does see this one, which
 * the page starts. */
export async function oauthSignIn(stack, page, provider, identity) {
  const signInPath = `${stack.base}/api/auth/signin/${provider}?**`;
  let state = null;
  await page.route(signInPath, async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    assert.equal(response.status(), 302, "the worker sends the browser to the provider");
    const location = new URL(response.headers().location);
    state = location.searchParams.get("state");
    assert.ok(state, "the authorize URL carries a state");
    assert.equal(location.searchParams.get("code_challenge_method"), "S256", "PKCE");
    await stack.oidc.plan(state, identity);
    await route.fulfill({ response });
  });
  await page.goto(`${stack.base}/`);
  await heading(page, "Sign in").waitFor();
  await page.getByRole("button", { name: providerButtons[provider], exact: true }).click();
  await heading(page, "Today").waitFor({ timeout: 15_000 });
  await page.unroute(signInPath);
  assert.ok(state, "the sign-in went through the worker's /api/auth/signin");
  return state;
}

/** The region of the progress bar in the header. */
export function progressRegion(page) {
  return page.getByRole("region", { name: "Progress", exact: true });
}

/** Injects axe-core and fails on any serious or critical violation. axe's source is evaluated
 * through the DevTools protocol, which the page's CSP does not govern (an injected <script> would
 * be inline and refused by `script-src 'self'`), so the app is checked under its real CSP rather
 * than in a context that bypasses it. */
const axeSource = readFileSync(join(root, "node_modules/axe-core/axe.min.js"), "utf8");
export async function axe(page, label = page.url()) {
  const present = await page.evaluate(() => typeof globalThis.axe === "object");
  if (!present) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    globalThis.axe.run(document, { resultTypes: ["violations"] }).then((run) =>
      run.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.slice(0, 5).map((node) => `${node.target.join(" ")}: ${node.failureSummary}`),
      }))));
  const serious = results.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  assert.deepEqual(serious, [], `axe-core: serious or critical issues on ${label}`);
  return results;
}

/** Writes target/screenshots/{name}-desktop.png (1280×800) and {name}-phone.png (390×844), and
 * checks the page with axe at both widths; the viewport is restored afterwards. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const before = page.viewportSize();
  for (const [width, size] of Object.entries(viewports)) {
    await page.setViewportSize(size);
    // Layout settles on the next frames; two rAFs cover a reflow and a paint.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await page.screenshot({ path: join(screenshotDir, `${name}-${width}.png`) });
    await axe(page, `${name} at ${width} width`);
  }
  if (before) await page.setViewportSize(before);
}

/** A small valid WAV file (8 kHz, 8-bit mono, a 440 Hz tone of `seconds`): the worker checks the
 * bytes look like the declared type, and Chromium must be able to play and seek it. */
export function wavTone(seconds = 4) {
  const rate = 8000;
  const samples = rate * seconds;
  const file = Buffer.alloc(44 + samples);
  file.write("RIFF", 0, "ascii");
  file.writeUInt32LE(36 + samples, 4);
  file.write("WAVEfmt ", 8, "ascii");
  file.writeUInt32LE(16, 16);
  file.writeUInt16LE(1, 20); // PCM
  file.writeUInt16LE(1, 22); // mono
  file.writeUInt32LE(rate, 24);
  file.writeUInt32LE(rate, 28); // bytes per second
  file.writeUInt16LE(1, 32); // block align
  file.writeUInt16LE(8, 34); // bits per sample
  file.write("data", 36, "ascii");
  file.writeUInt32LE(samples, 40);
  for (let i = 0; i < samples; i++) file[44 + i] = 128 + Math.round(60 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return file;
}
