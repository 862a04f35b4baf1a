// Where the offline queue keeps its writes until the server has answered them. A write is
// stored before it is first sent and removed only after its result came back, so a reload or a
// crash in between sends it again under the same idempotency key, and it lands once.

export type WriteMethod = "POST" | "PUT" | "PATCH" | "DELETE";

/** One queued write: a `SyncPushOperation` as `POST /api/sync/push` takes it. */
export interface QueuedWrite {
  /** A UUIDv7: unique, and sorting the queue in the order the writes were made. */
  idempotency_key: string;
  method: WriteMethod;
  path: string;
  body: Record<string, unknown> | null;
}

export interface QueueStorage {
  /** Every queued write, oldest first. */
  all(): Promise<QueuedWrite[]>;
  add(write: QueuedWrite): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

/** A queue that lives as long as the page or process (Node scripts and tests). */
export function memoryStorage(): QueueStorage {
  const writes = new Map<string, QueuedWrite>();
  return {
    async all() {
      return [...writes.values()].sort((a, b) => (a.idempotency_key < b.idempotency_key ? -1 : 1));
    },
    async add(write) {
      writes.set(write.idempotency_key, write);
    },
    async remove(keys) {
      for (const key of keys) writes.delete(key);
    },
  };
}

/** A queue in the browser's IndexedDB database `name` (shared by the origin's tabs, kept across
 * reloads). Name it per user, so a write queued by one account is never sent for another.
 * Where IndexedDB cannot be opened (a private window of some browsers, storage turned off) the
 * writes wait in memory instead, as long as the page lives; opening is tried again each time,
 * and the writes of both places are one queue. */
export function indexedDbStorage(name = "passion-edge-queue"): QueueStorage {
  const storeName = "writes";
  const fallback = memoryStorage();
  // Only a database that opened is kept: a failed open is not cached.
  let opened: Promise<IDBDatabase> | null = null;
  const open = (): Promise<IDBDatabase | null> => {
    if (typeof indexedDB === "undefined") return Promise.resolve(null);
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(storeName, { keyPath: "idempotency_key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opened.catch(() => {
      opened = null;
      return null;
    });
  };
  // Resolves when the transaction commits, not when its request succeeds: only then is it durable.
  function transact<T>(database: IDBDatabase, mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T> | void) {
    const transaction = database.transaction(storeName, mode);
    const request = act(transaction.objectStore(storeName));
    return new Promise<T | undefined>((resolve, reject) => {
      transaction.oncomplete = () => resolve(request?.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  }
  return {
    async all() {
      const database = await open();
      const kept = database ? ((await transact<QueuedWrite[]>(database, "readonly", (store) => store.getAll())) ?? []) : [];
      const inMemory = await fallback.all();
      if (inMemory.length === 0) return kept;
      // Keys are UUIDv7s, so key order is the order the writes were made.
      return [...kept, ...inMemory].sort((a, b) => (a.idempotency_key < b.idempotency_key ? -1 : 1));
    },
    async add(write) {
      const database = await open();
      if (!database) return fallback.add(write);
      await transact(database, "readwrite", (store) => {
        store.put(write);
      });
    },
    async remove(keys) {
      await fallback.remove(keys);
      const database = await open();
      if (!database) return;
      await transact(database, "readwrite", (store) => {
        for (const key of keys) store.delete(key);
      });
    },
  };
}
