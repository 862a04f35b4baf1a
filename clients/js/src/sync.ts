// The sync engine: a local copy of the user's items kept current by `POST /api/sync/poll`
// (a first copy from a null cursor, then the changes after the kept cursor), polled on every
// WebSocket notice and on a timer while the socket is down; and the offline queue, through which
// every queueable write goes to `POST /api/sync/push` under its own idempotency key.
// Invariants: one poll and one flush run at a time; a queued write leaves the queue only once
// its result came back (a success or a refusal that sending again would not change); a failed
// poll or flush is tried again with backoff, except a 401, which ends the engine.
import type { PassionClient, Schemas } from "./client";
import { ApiError, NetworkError, apiErrorOf } from "./errors";
import { newId } from "./id";
import { type QueueStorage, type QueuedWrite, type WriteMethod, memoryStorage } from "./queue";

export type Entity = Schemas["SyncChange"]["entity"];
export type Progress = Schemas["Progress"];
export type Award = Schemas["Award"];

/** What each entity's `data` is: the item as its own GET shows it. */
export interface EntityData {
  settings: Schemas["Settings"];
  goal: Schemas["Goal"];
  habit: Schemas["Habit"];
  quest: Schemas["Quest"];
  workout: Schemas["Workout"];
  book: Schemas["Book"];
  focus_session: Schemas["FocusSession"];
  audio: Schemas["AudioTrack"];
}

export type SyncItems = { [E in Entity]: Map<string, EntityData[E]> };

export interface SyncState {
  items: SyncItems;
  progress: Progress | null;
  /** The poll cursor; null until the first copy is complete. */
  cursor: string | null;
  /** Whether the last request got an answer. */
  online: boolean;
  /** Writes in the queue, not yet answered by the server. */
  pending: number;
}

export interface SyncOptions {
  /** Where queued writes wait: `indexedDbStorage(name)` in a browser; memory by default. */
  storage?: QueueStorage;
  onChange?(state: SyncState): void;
  /** The session or token ended (socket close 4001, or a 401): show the sign-in. */
  onSignedOut?(): void;
  /** Every award of a write's result, whether answered at once or replayed later. */
  onAward?(award: Award): void;
  /** A queued write the server refused when it was replayed (its `write()` had resolved `{queued: true}`). */
  onRejected?(error: ApiError, write: QueuedWrite): void;
  /** Hold a WebSocket for change notices (default true; a bearer client needs `openSocket`);
   * without one, polls on the timer. */
  socket?: boolean;
  /** Opens the socket (default `new WebSocket(url)`); Node passes headers here (cookie or authorization). */
  openSocket?(url: string): WebSocket;
  /** How often to poll while the socket is down (default 5000 ms). */
  pollIntervalMs?: number;
}

export interface Sync {
  readonly state: SyncState;
  /** Resolves once the first copy is complete (a failed poll is retried until it is); rejects
   * with the `401` ApiError if the session ended first, or an `AbortError` if closed first. */
  readonly ready: Promise<void>;
  /** A queueable write (content, actions, focus, rewards, settings) through the offline queue:
   * resolves with the result's `data`, rejects with ApiError when refused, or resolves
   * `{queued: true}` when no answer came (it is sent again later under the same key). */
  write<T = unknown>(method: WriteMethod, path: string, body?: Record<string, unknown> | null): Promise<T | Queued>;
  /** Polls now (after the one running, if any); rejects with what failed. */
  poll(): Promise<void>;
  /** Sends the queued writes now. */
  flush(): Promise<void>;
  close(): void;
}

export interface Queued {
  queued: true;
}

const entityNames = {
  settings: true,
  goal: true,
  habit: true,
  quest: true,
  workout: true,
  book: true,
  focus_session: true,
  audio: true,
} satisfies Record<Entity, true>;

// Writes that must not wait in a queue: auth, tokens (a secret), erasure, admin, and sync itself.
const directOnly = /^\/api\/(auth|sync|tokens|me|admin)(\/|$)/;
const pushBatchSize = 100;

const emptyItems = () =>
  Object.fromEntries(Object.keys(entityNames).map((entity) => [entity, new Map()])) as SyncItems;

/** Exponential backoff with jitter: half of the step fixed, half random. */
function backoff(attempt: number, firstMs: number, maxMs = 30_000): number {
  const step = Math.min(maxMs, firstMs * 2 ** attempt);
  return step / 2 + Math.random() * (step / 2);
}

/** How long to wait before trying again: the server's `Retry-After` when it sent one, else backoff. */
function retryDelay(attempt: number, error: unknown): number {
  const seconds = error instanceof ApiError ? error.retryAfterSeconds : undefined;
  return seconds !== undefined ? seconds * 1000 : backoff(attempt, 1000);
}

/** A retry on a timer that waits longer after each failure in a row. */
function retrier(run: () => void) {
  let attempts = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    /** Runs `run` later (replacing a retry already scheduled), after what `error` asks for. */
    later(error?: unknown) {
      clearTimeout(timer);
      timer = setTimeout(run, retryDelay(attempts++, error));
    },
    /** It worked: no retry waits, and the next failure waits the least again. */
    succeeded() {
      attempts = 0;
      clearTimeout(timer);
    },
    cancel: () => clearTimeout(timer),
  };
}

/** Runs `pass` one at a time. A call during a run gets that run's promise and has it make one
 * more pass when the current one ends (what the caller wants seen may have come after the pass
 * began); a pass answering false (it stalled, or the engine closed) ends the run. */
function oneAtATime(pass: () => Promise<boolean>, stopped: () => boolean): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (stopped()) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
        } while ((await pass()) && again && !stopped());
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

const isSignOut = (error: unknown) => error instanceof ApiError && error.status === 401;

export function createSync(client: PassionClient, options: SyncOptions = {}): Sync {
  const storage = options.storage ?? memoryStorage();
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const state: SyncState = { items: emptyItems(), progress: null, cursor: null, online: true, pending: 0 };
  let closed = false;
  const isClosed = () => closed;
  // Nothing is told after close(): a poll or flush still in flight ends quietly.
  const notify = () => {
    if (!closed) options.onChange?.(state);
  };

  const setOnline = (online: boolean) => {
    if (state.online === online) return;
    state.online = online;
    notify();
  };

  let markReady: () => void = () => {};
  let failReady: (error: unknown) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  // Nobody need wait on it: its rejection is not an unhandled one (a caller awaiting it sees it).
  ready.catch(() => {});

  function signedOut(reason: ApiError) {
    if (closed) return;
    failReady(reason);
    close();
    options.onSignedOut?.();
  }

  /** What a failed request means for the engine: offline, or signed out. */
  function failed(error: unknown) {
    if (error instanceof NetworkError) setOnline(false);
    else if (isSignOut(error)) signedOut(error as ApiError);
  }

  // ---- polling ----
  const pollRetry = retrier(() => void pollQuietly());

  /** Polls until no more changes wait; false when close() came first (nothing was applied). */
  async function pollUntilCurrent(): Promise<boolean> {
    // A copy from a null cursor replaces the items (anything absent from it is gone), so it is
    // built apart and shown once complete.
    let items = state.cursor === null ? emptyItems() : state.items;
    let cursor = state.cursor;
    for (;;) {
      const { data, error, response } = await client.api.POST("/api/sync/poll", { body: { cursor } });
      if (closed) return false;
      if (!data) {
        const refusal = apiErrorOf(response.status, error, response.headers);
        if (refusal.type !== "sync_reset") throw refusal;
        items = emptyItems();
        cursor = null;
        continue;
      }
      const page = data.data;
      for (const change of page.changes) {
        const map = items[change.entity] as Map<string, unknown>;
        if (change.op === "delete" || change.data === null) map.delete(change.id);
        else map.set(change.id, change.data);
      }
      cursor = page.cursor;
      state.progress = page.progress;
      if (!page.has_more) break;
    }
    state.items = items;
    state.cursor = cursor;
    markReady();
    return true;
  }

  // A failed poll (no answer, 429, 5xx) is tried again with backoff whatever else would poll
  // (a socket that stays up sends no notice until the next write, and `ready` waits on it).
  const poll = oneAtATime(async () => {
    try {
      if (!(await pollUntilCurrent())) return false;
    } catch (error) {
      failed(error);
      if (!isSignOut(error)) pollRetry.later(error);
      throw error;
    }
    pollRetry.succeeded();
    setOnline(true);
    notify();
    return true;
  }, isClosed);

  const pollQuietly = () => poll().catch(() => {});

  // ---- the socket, and polling while it is down ----
  let socket: WebSocket | null = null;
  let socketAttempts = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let fallbackTimer: ReturnType<typeof setInterval> | undefined;
  let keepaliveTimer: ReturnType<typeof setInterval> | undefined;

  const startFallback = () => {
    fallbackTimer ??= setInterval(pollQuietly, pollIntervalMs);
  };
  const stopFallback = () => {
    clearInterval(fallbackTimer);
    fallbackTimer = undefined;
  };

  function socketUrl(): string {
    const url = new URL("/api/sync/ws", client.baseUrl || globalThis.location?.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  // A browser's WebSocket sends cookies but no Authorization header: a bearer client gets a
  // socket only from `openSocket`, and polls on the timer otherwise.
  const canOpenSocket =
    options.socket !== false &&
    (Boolean(options.openSocket) || (client.mode === "cookie" && typeof WebSocket !== "undefined"));

  function connect() {
    if (closed || socket) return;
    let opened: WebSocket;
    try {
      opened = options.openSocket ? options.openSocket(socketUrl()) : new WebSocket(socketUrl());
    } catch {
      startFallback();
      reconnectLater();
      return;
    }
    socket = opened;
    opened.onopen = () => {
      socketAttempts = 0;
      stopFallback();
      setOnline(true);
      // Notices sent while the socket was down are lost: catch up, and send what waited.
      void pollQuietly();
      void flush();
      // Idle connections are cut by proxies; the runtime answers `ping` without waking the object.
      keepaliveTimer = setInterval(() => opened.readyState === 1 && opened.send("ping"), 30_000);
    };
    opened.onmessage = (event) => {
      let notice: { type?: string; cursor?: string } | null = null;
      try {
        notice = JSON.parse(String(event.data));
      } catch {
        return; // `pong`
      }
      if (notice?.type === "changed" && notice.cursor !== state.cursor) void pollQuietly();
    };
    let ended = false;
    const down = (code: number) => {
      if (ended) return;
      ended = true;
      clearInterval(keepaliveTimer);
      if (socket === opened) socket = null;
      if (closed) return;
      if (code === 4001) {
        signedOut(new ApiError({ type: "unauthorized", message: "The session ended.", status: 401, requestId: null }));
        return;
      }
      startFallback();
      reconnectLater();
    };
    opened.onclose = (event) => down(event.code);
    // Node's WebSocket reports a refused upgrade with `error` alone, no `close` after it. An
    // error once open or closing is followed by the close, which carries the code.
    opened.onerror = () => {
      if (opened.readyState === 0 || opened.readyState === 3) down(1006);
    };
  }

  function reconnectLater() {
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, backoff(socketAttempts++, 500));
  }

  // ---- the offline queue ----
  type Waiter = { resolve(value: unknown): void; reject(error: ApiError): void };
  const waiters = new Map<string, Waiter>();
  const flushRetry = retrier(() => void flush());

  async function countPending() {
    const pending = (await storage.all()).length;
    if (pending === state.pending) return;
    state.pending = pending;
    notify();
  }

  function settle(write: QueuedWrite, status: number, body: unknown) {
    const waiter = waiters.get(write.idempotency_key);
    waiters.delete(write.idempotency_key);
    if (status >= 200 && status < 300) {
      const data = (body as { data?: unknown } | null)?.data;
      const award = (data as { award?: Award | null } | undefined)?.award;
      if (award) options.onAward?.(award);
      waiter?.resolve(data);
      return;
    }
    const refusal = apiErrorOf(status, body);
    if (waiter) waiter.reject(refusal);
    else options.onRejected?.(refusal, write);
  }

  /** The queue waits: a 401 ends the engine, anything else is sent again with backoff. */
  function stalled(error?: unknown): false {
    failed(error);
    if (!isSignOut(error)) flushRetry.later(error);
    return false;
  }

  /** Sends the queue in batches; false when it stalled (a retry is scheduled) or the engine closed. */
  async function drain(): Promise<boolean> {
    // After a push refused whole (one malformed write), writes go one by one to find it.
    let batchSize = pushBatchSize;
    for (;;) {
      const batch = (await storage.all()).slice(0, batchSize);
      if (closed) return false;
      if (batch.length === 0) return true;
      let answer;
      try {
        answer = await client.api.POST("/api/sync/push", { body: { operations: batch } });
      } catch (error) {
        // No answer, or the CSRF token read before the first write failed (429, 5xx, 401).
        return stalled(error);
      }
      setOnline(true);
      const { data, error, response } = answer;
      if (!data) {
        const refusal = apiErrorOf(response.status, error, response.headers);
        // A body the server could not take (400, 413) is one write's fault; anything else
        // (a rate limit, a failure, a refused credential) is the moment's, and waits.
        if (refusal.status !== 400 && refusal.status !== 413) return stalled(refusal);
        if (batch.length > 1) {
          batchSize = 1;
          continue;
        }
        await storage.remove([batch[0]!.idempotency_key]);
        settle(batch[0]!, refusal.status, error);
        continue;
      }
      const results = data.data.results.slice(0, batch.length);
      // A rate limit or server failure keeps this write and every later one (a later one may
      // depend on it: a create, then its complete) to be sent again in order.
      const firstRetryable = results.findIndex((result) => result.status === 429 || result.status >= 500);
      const answered = results.slice(0, firstRetryable === -1 ? undefined : firstRetryable);
      await storage.remove(answered.map((_, index) => batch[index]!.idempotency_key));
      answered.forEach((result, index) => settle(batch[index]!, result.status, result.body));
      if (answered.length > 0) void pollQuietly();
      // Fewer answered than sent: a write to retry, or a short answer (the contract is one result
      // per operation) that sending the same batch at once would only repeat.
      if (answered.length < batch.length) return stalled();
    }
  }

  // The tabs of one origin share an IndexedDB queue: one flush at a time across them, so the
  // same write is never in flight twice (a second copy would run before the first is recorded).
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const drainExclusively = () => (locks ? locks.request("passion-edge-queue", drain) : drain());

  const flush = oneAtATime(async () => {
    let drained = false;
    try {
      drained = await drainExclusively();
    } catch (error) {
      // The storage failed: the writes stay where they are, to be sent later.
      stalled(error);
    }
    if (drained) flushRetry.succeeded();
    await countPending().catch(() => {});
    return drained;
  }, isClosed);

  async function write<T>(method: WriteMethod, path: string, body: Record<string, unknown> | null = null): Promise<T | Queued> {
    if (directOnly.test(path)) throw new TypeError(`${path} is not a queueable write: call it directly`);
    const queued: QueuedWrite = { idempotency_key: newId(), method, path, body };
    await storage.add(queued);
    const result = new Promise<unknown>((resolve, reject) =>
      waiters.set(queued.idempotency_key, { resolve, reject }),
    );
    // A refusal may settle `result` during the flush below, before the caller holds it: marked
    // handled here so it is not reported as unhandled; the caller still sees the rejection.
    result.catch(() => {});
    // Pending means waiting: counted once a flush has left the write in the queue, so a write
    // answered at once never shows as pending; offline, at once.
    if (!state.online) await countPending();
    await flush();
    const waiter = waiters.get(queued.idempotency_key);
    if (waiter) {
      waiters.delete(queued.idempotency_key);
      waiter.resolve({ queued: true });
    }
    return result as Promise<T | Queued>;
  }

  // ---- lifecycle ----
  const onOnline = () => {
    void flush();
    void pollQuietly();
    if (canOpenSocket && !socket) {
      clearTimeout(reconnectTimer);
      socketAttempts = 0;
      connect();
    }
  };
  const onOffline = () => setOnline(false);
  const events = typeof globalThis.addEventListener === "function" ? globalThis : null;
  events?.addEventListener("online", onOnline);
  events?.addEventListener("offline", onOffline);

  function close() {
    if (closed) return;
    closed = true;
    failReady(new DOMException("The sync engine was closed before its first copy.", "AbortError"));
    clearTimeout(reconnectTimer);
    pollRetry.cancel();
    flushRetry.cancel();
    clearInterval(keepaliveTimer);
    stopFallback();
    events?.removeEventListener("online", onOnline);
    events?.removeEventListener("offline", onOffline);
    socket?.close(1000);
    socket = null;
  }

  void countPending().then(flush, () => {});
  void pollQuietly();
  if (canOpenSocket) connect();
  else startFallback();

  return { state, ready, write, poll, flush, close };
}
