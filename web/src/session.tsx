// The signed-in page's state: one sync engine (its entity maps and progress), the writes made
// through its offline queue, and what those writes announce. A write the queue holds offline is
// shown at once from a local overlay (so a habit created offline can be completed offline) and
// the overlay gives way to the server's copy once the queue is empty and the next poll is in.
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { errorText } from "./ui";
import type { PassionClient, Schemas, Sync } from "@passion-edge/client";

export type Entity = "settings" | "goal" | "habit" | "quest" | "workout" | "book" | "focus_session" | "audio";
export type Method = "POST" | "PUT" | "PATCH" | "DELETE";

/** Where a write's result (or, queued offline, its expected effect) lands in the entity maps. */
export interface WriteTarget {
  entity: Entity;
  /** The item's id; absent for a create whose id the server picks (then the result's). */
  id?: string;
  /** Shown while the write waits in the offline queue; `null` hides the item (a delete). */
  optimistic?: Record<string, unknown> | null;
}

export interface Queued {
  queued: true;
}

export interface Workspace {
  client: PassionClient;
  sync: Sync;
  user: Schemas["User"];
  progress: Schemas["Progress"] | null;
  pending: number;
  online: boolean;
  /** The active items of `entity`, newest first, with the overlay applied. */
  items<T extends { id: string }>(entity: Entity): T[];
  /** A queueable write; resolves with its result's `data` or `{queued: true}`, rejects on a 4xx.
   * Its award (now or when replayed) is announced by the engine's `onAward`. */
  write<T = unknown>(method: Method, path: string, body?: Record<string, unknown> | null, target?: WriteTarget): Promise<T | Queued>;
  announce(lines: string[]): void;
  /** Signs this browser out (the API call, then `leave`). */
  signOut(): Promise<void>;
  /** Ends the signed-in page without asking the API: for when the session is already gone
   * (signed out everywhere, account erased). Every tab goes to the sign-in page. */
  leave(): void;
  /** What pages loaded outside the sync feed, by key: a page shown again starts from it. */
  cache: Map<string, unknown>;
  /** The sync cursor: it moves whenever the server's copy does, so pages can refetch what the
   * sync feed does not carry (rewards, history, stats). */
  cursor: string | null;
}

export const WorkspaceContext = createContext<Workspace | null>(null);

export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error("useWorkspace outside a signed-in page");
  return workspace;
}

export function isQueued(result: unknown): result is Queued {
  return typeof result === "object" && result !== null && (result as Queued).queued === true;
}

export interface Loaded<T> {
  value: T | undefined;
  error: string | null;
  set(value: T): void;
}

/** Data outside the sync feed (rewards, tokens, the catalog, ...), loaded when `deps` change and
 * kept in the workspace's cache, so a page shown again starts from what it last saw. */
export function useLoaded<T>(key: string, load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const { cache } = useWorkspace();
  const [value, setValue] = useState<T | undefined>(() => cache.get(key) as T | undefined);
  const [error, setError] = useState<string | null>(null);
  const set = (next: T) => {
    cache.set(key, next);
    setValue(next);
  };
  useEffect(() => {
    let current = true;
    load()
      .then((loaded) => {
        if (!current) return;
        set(loaded);
        setError(null);
      })
      .catch((failure: unknown) => current && setError(errorText(failure)));
    return () => {
      current = false;
    };
  }, deps);
  return { value, error, set };
}
