// The client's test harness: the client bundled from its TypeScript source (Node 20 cannot
// import .ts), the real worker in workerd (bench/lib.mjs), and a "browser" for Node: a fetch
// with a cookie jar (Node's fetch keeps no cookies) and a switch that takes it offline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

export { d1, startWorker } from "../../bench/lib.mjs";

const clientDir = new URL(".", import.meta.url).pathname;

/** The client's module, bundled as the web app bundles it (neutral platform, ESM). */
export async function loadClient() {
  const scratch = mkdtempSync(join(tmpdir(), "passion-edge-client-"));
  try {
    const outfile = join(scratch, "client.mjs");
    await build({
      entryPoints: [join(clientDir, "src/index.ts")],
      bundle: true,
      platform: "neutral",
      format: "esm",
      target: "es2022",
      outfile,
      logLevel: "warning",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// workerd closes a connection just after answering a request whose body it did not read (an
// early 401 or 404 to a POST) without saying `Connection: close`; a request sent on that kept-
// alive connection meanwhile is reset before the server sees it. A browser sends such a request
// again on a new connection; Node's fetch does not, so this does, once.
async function fetchOnce(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    if (error?.cause?.code !== "ECONNRESET" && error?.cause?.code !== "UND_ERR_SOCKET") throw error;
    return fetch(copy);
  }
}

/** A browser's network stack for one person: a cookie jar, its own `cf-connecting-ip` (the
 * sign-in budget is per address), a log of what was sent (method, path, headers, body text,
 * status, response headers), offline switches and stand-in answers. `fetch` obeys the
 * switches and stand-ins; `online` shares the jar and never fails (for the test's own checks). */
export function browser(address) {
  const jar = new Map();
  const sent = [];
  const standIns = [];
  let offline = false;
  let losingAnswers = false;
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");

  async function send(input, init) {
    const request = new Request(input, init);
    const body = request.body ? await request.clone().text() : null;
    const headers = new Headers(request.headers);
    if (jar.size) headers.set("cookie", cookie());
    headers.set("cf-connecting-ip", address);
    const response = await fetchOnce(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (!value || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) jar.delete(name);
      else jar.set(name, value);
    }
    const path = new URL(request.url).pathname;
    sent.push({ method: request.method, path, headers, body, status: response.status, response: response.headers });
    return response;
  }

  return {
    address,
    jar,
    sent,
    cookie,
    online: send,
    async fetch(input, init) {
      if (offline) throw new TypeError("fetch failed: offline");
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      const standIn = standIns.find((rule) => rule.path === path && rule.times > 0);
      if (standIn) {
        standIn.times -= 1;
        const response = standIn.answer(request);
        const body = request.body ? await request.text() : null;
        sent.push({ method: request.method, path, headers: request.headers, body, status: response.status, response: response.headers, standIn: true });
        return response;
      }
      const response = await send(request);
      // The request reached the server, but its answer never reached us.
      if (losingAnswers) throw new TypeError("fetch failed: connection reset");
      return response;
    },
    setOffline(value) {
      offline = value;
    },
    setLosingAnswers(value) {
      losingAnswers = value;
    },
    /** The next `times` requests to `path` get `answer(request)` (a Response) instead of the
     * server's: a failing server, a short answer. They are logged with `standIn: true`. */
    answerInstead(path, answer, times = 1) {
      standIns.push({ path, answer, times });
    },
    /** Opens the sync socket with this browser's cookie (Node's WebSocket takes headers). */
    openSocket: (url) => new WebSocket(url, { headers: { cookie: cookie(), "cf-connecting-ip": address } }),
  };
}

/** A cookie-mode client of a fresh dev sign-in as `email`, with its browser. */
export async function signedIn(client, base, email) {
  const network = browser(`test-${email}`);
  const api = client.createClient({ baseUrl: base, fetch: network.fetch });
  const session = await api.devSignIn({ email });
  return { api, network, session };
}

/** A JSON Response, as the worker would send it. */
export const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** The API's error envelope answer for `status`. */
export const errorAnswer = (status, type, headers = {}) =>
  json(status, { error: { type, message: `stand-in ${type}`, status, request_id: "stand-in" } }, headers);

export const habit = (title) => ({ title, category: "health", frequency: "daily" });

/** The requests `network` sent to `path`. */
export const sentTo = (network, path) => network.sent.filter((request) => request.path === path);

/** The sync engines of one test file, all closed by `closeAll()` (in its `after`). */
export function syncEngines(client) {
  const started = [];
  return {
    /** An engine of `signedIn`'s session, its socket opened with that browser's cookie (or by
     * `open`). `engine.awards` holds the awards it was told of; `engine.sockets` counts the sockets
     * opened and the close codes seen. */
    start({ api, network }, options = {}, open = network?.openSocket) {
      const awards = [];
      const sockets = { opened: 0, closes: [] };
      const engine = client.createSync(api, {
        openSocket: (url) => {
          const socket = open(url);
          socket.addEventListener("open", () => sockets.opened++);
          socket.addEventListener("close", (event) => sockets.closes.push(event.code));
          return socket;
        },
        onAward: (award) => awards.push(award),
        ...options,
      });
      started.push(engine);
      return Object.assign(engine, { awards, sockets });
    },
    closeAll() {
      for (const engine of started) engine.close();
    },
  };
}

/** Waits until `check()` is truthy (checked every 25 ms), failing after `ms` with `what` (or
 * what `what()` says then). */
export async function until(check, ms = 5000, what = "the condition") {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
