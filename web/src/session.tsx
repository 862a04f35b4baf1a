// The signed-in page's state: one sync engine (its entity maps and progress), the writes made
// through its offline queue, and what those writes announce. A write the queue holds offline is
// shown at once from a local overlay (so a habit created offline can be completed offline) and
// the overlay gives way to the server's copy once the queue is empty and the next poll is in.
import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { errorText, useAction } from "./ui";
import type { Entity, EntityData, PassionClient, Queued, Schemas, Sync, WriteMethod } from "@passion-edge/client";

/** Where a write's result (or, queued offline, its expected effect) lands in the entity maps. */
export interface WriteTarget {
  entity: Entity;
  /** The item's id; absent for a create whose id the server picks (then the result's). */
  id?: string;
  /** Shown while the write waits in the offline queue; `null` hides the item (a delete). */
  optimistic?: Record<string, unknown> | null;
}

/** The kinds a page creates under an id it chose (so it can act on them before the server answers). */
export type CreatedEntity = "goal" | "habit" | "quest" | "workout" | "book";

/** What every created item starts with: the page supplies the rest of its fields. */
type StartingFields = "id" | "metadata" | "is_active" | "deleted_at" | "created_at" | "updated_at";

export interface Workspace {
  client: PassionClient;
  sync: Sync;
  user: Schemas["User"];
  progress: Schemas["Progress"] | null;
  /** The active items of `entity` with the overlay applied, in no particular order (pages sort). */
  items<T extends { id: string }>(entity: Entity): T[];
  /** A queueable write; resolves with its result's `data` or `{queued: true}`, rejects on a 4xx.
   * Its award (now or when replayed) is announced by the engine's `onAward`. */
  write<T = unknown>(method: WriteMethod, path: string, body?: Record<string, unknown> | null, target?: WriteTarget): Promise<T | Queued>;
  /** Creates an item under a fresh id: `body` is what is sent, `fields` the rest of the item as
   * the server would make it, shown while the create waits in the offline queue. */
  createWithId<E extends CreatedEntity, B extends Partial<EntityData[E]>>(
    entity: E,
    path: string,
    body: B,
    fields: Omit<EntityData[E], StartingFields | keyof B> & Partial<EntityData[E]>,
  ): Promise<unknown>;
  announce(lines: string[]): void;
  /** Signs this browser out: the API call first; once it answered, every tab goes to the sign-in
   * page. Offline it says why it could not, and the page stays. */
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

/** Whether a write resolved `{queued: true}`: it waits in the offline queue. */
export function isQueued(result: unknown): result is Queued {
  return typeof result === "object" && result !== null && (result as Queued).queued === true;
}

/** What a list of synced items says when it has none: after a reload while offline there is no
 * copy yet, and "none" would not be true. */
export function EmptyList({ children }: { children: ComponentChildren }) {
  const { sync } = useWorkspace();
  const unknown = sync.state.cursor === null && !sync.state.online;
  return <p class="muted">{unknown ? "Offline: not loaded yet." : children}</p>;
}

/** Where focus goes when `item` leaves its list: the next item's first button, or else the
 * list's heading, so a keyboard user is not dropped back at the top of the page. Found before the
 * write, since the item may be gone from the page by the time the write resolves. */
function focusAfterRemoving(item: Element | null): () => void {
  const next = item?.nextElementSibling?.querySelector<HTMLElement>("button, a[href]");
  const heading = item?.closest("section")?.querySelector<HTMLElement>("h2");
  return () => {
    if (next?.isConnected) {
      next.focus();
    } else if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  };
}

/** The actions of one synced item's card (complete, edit, delete), each a queued write that
 * shows its expected effect at once; `error` is the last failure, for the card's `<Alert>`. */
export function useItemActions<T extends { id: string }>(entity: Entity, collection: string, item: T) {
  const { write } = useWorkspace();
  const [error, run, busy] = useAction();
  const path = `${collection}/${item.id}`;
  const act = (method: WriteMethod, suffix = "", body?: Record<string, unknown>, optimistic?: Partial<T>) =>
    run(() => write(method, `${path}${suffix}`, body, {
      entity,
      id: item.id,
      ...(optimistic ? { optimistic: { ...item, ...optimistic } } : {}),
    }));
  return {
    error,
    busy,
    act,
    /** `POST …/complete`, shown as `change` until the server's copy arrives. */
    complete: (change: Partial<T>) => act("POST", "/complete", undefined, change),
    /** Deletes the item; `button` (the one pressed) hands focus on before the card goes. */
    remove: (button: HTMLElement) =>
      run(async () => {
        const moveFocus = focusAfterRemoving(button.closest("li"));
        await write("DELETE", path, undefined, { entity, id: item.id, optimistic: null });
        moveFocus();
      }),
  };
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
