// The app shell: who is signed in, the sync engine of a signed-in page, the header (progress,
// announcements, pending writes), the main navigation, and which page the fragment names.
// The session is checked only when this browser signed in before (see mark.ts).
import type { ComponentType } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { createClient, createSync, indexedDbStorage, type PassionClient, type Schemas, type Sync } from "@passion-edge/client";
import { describeAward } from "./award";
import { markSignedIn, wasSignedIn } from "./mark";
import { applyTheme } from "./theme";
import { navigate, useRoute, type Route } from "./router";
import { isQueued, WorkspaceContext, type Entity, type Workspace, type WriteTarget } from "./session";
import { Loading } from "./ui";
import { SignInPage } from "./pages/signin";
import { TodayPage } from "./pages/today";
import { GoalsPage } from "./pages/goals";
import { QuestsPage } from "./pages/quests";
import { WorkoutsPage } from "./pages/workouts";
import { BooksPage } from "./pages/books";
import { FocusPage } from "./pages/focus";
import { ShopPage } from "./pages/shop";
import { AchievementsPage } from "./pages/achievements";
import { SettingsPage } from "./pages/settings";
import { TokensPage } from "./pages/tokens";
import { AccountPage } from "./pages/account";
import { AdminPage } from "./pages/admin";

type User = Schemas["User"];

const channelName = "passion-edge";

/** Other tabs of this origin: "signed-out" sends them all to the sign-in page at once. */
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(channelName) : null;

type Phase =
  | { kind: "checking" }
  | { kind: "signed-out" }
  | { kind: "signed-in"; client: PassionClient; user: User };

export function App() {
  const [phase, setPhase] = useState<Phase>(() => (wasSignedIn() ? { kind: "checking" } : { kind: "signed-out" }));
  const route = useRoute();

  const checkSession = async () => {
    const client = createClient({ baseUrl: "" });
    try {
      const session = await client.session();
      if (session) {
        setPhase({ kind: "signed-in", client, user: session.user });
        return;
      }
      markSignedIn(false);
    } catch {
      // No answer (offline, the worker down): the cookie may still be good, so the mark stays
      // for the next load; the sign-in page says what it can reach.
    }
    setPhase({ kind: "signed-out" });
  };

  const signedOut = () => {
    markSignedIn(false);
    setPhase({ kind: "signed-out" });
  };

  useEffect(() => {
    if (!channel) return;
    // A sign-in in another tab replaced the cookie this tab uses too: whoever this tab showed,
    // it now acts as the new session's user, so it checks again.
    const follow = (event: MessageEvent) => {
      if (event.data === "signed-out") signedOut();
      if (event.data === "signed-in") setPhase({ kind: "checking" });
    };
    channel.addEventListener("message", follow);
    return () => channel.removeEventListener("message", follow);
  }, []);

  useEffect(() => {
    if (phase.kind === "checking") void checkSession();
  }, [phase.kind]);

  useEffect(() => {
    if (phase.kind === "signed-out" && route !== "signin") navigate("signin", true);
    if (phase.kind === "signed-in" && (route === null || route === "signin" || (route === "admin" && phase.user.role !== "admin"))) {
      navigate("today", true);
    }
  }, [phase, route]);

  if (phase.kind === "checking") {
    return <main class="page"><p class="muted">Loading…</p></main>;
  }
  if (phase.kind === "signed-out") {
    return (
      <SignInPage
        onSignedIn={(client, user) => {
          markSignedIn(true);
          channel?.postMessage("signed-in");
          setPhase({ kind: "signed-in", client, user });
        }}
      />
    );
  }
  return (
    <SignedIn
      key={phase.user.id}
      client={phase.client}
      user={phase.user}
      route={route}
      onSignedOut={(tellOtherTabs) => {
        if (tellOtherTabs) channel?.postMessage("signed-out");
        signedOut();
      }}
    />
  );
}

const pages: Record<Exclude<Route, "signin">, ComponentType> = {
  today: TodayPage,
  goals: GoalsPage,
  quests: QuestsPage,
  workouts: WorkoutsPage,
  books: BooksPage,
  focus: FocusPage,
  shop: ShopPage,
  achievements: AchievementsPage,
  settings: SettingsPage,
  tokens: TokensPage,
  account: AccountPage,
  admin: AdminPage,
};

const navigation: ReadonlyArray<readonly [Exclude<Route, "signin">, string]> = [
  ["today", "Today"], ["goals", "Goals"], ["quests", "Quests"], ["workouts", "Workouts"], ["books", "Books"],
  ["focus", "Focus"], ["shop", "Shop"], ["achievements", "Achievements"], ["settings", "Settings"],
  ["tokens", "Tokens"], ["account", "Account"], ["admin", "Admin"],
];

/** How long a written item's local copy outlives an empty queue: the socket notice and the poll
 * it starts bring the server's copy well within it. */
const overlaySettleMs = 3000;

interface OverlayEntry {
  entity: Entity;
  id: string;
  item: Record<string, unknown> | null;
  at: number;
}

const achievementNames = new Map<string, string>();

function SignedIn({ client, user, route, onSignedOut }: {
  client: PassionClient;
  user: User;
  route: Route | null;
  onSignedOut: (tellOtherTabs: boolean) => void;
}) {
  const [, setRevision] = useState(0);
  const [announcement, setAnnouncement] = useState<{ lines: string[]; serial: number }>({ lines: [], serial: 0 });
  const overlay = useRef(new Map<string, OverlayEntry>());
  const cache = useRef(new Map<string, unknown>());
  const wasPending = useRef(false);
  const endedRef = useRef(false);
  const onSignedOutRef = useRef(onSignedOut);
  onSignedOutRef.current = onSignedOut;

  const sync = useMemo<Sync>(() => createSync(client, {
    storage: indexedDbStorage(`passion-edge-${user.id}`),
    onChange: (state) => {
      if (state.pending === 0 && wasPending.current) {
        const now = Date.now();
        for (const entry of overlay.current.values()) entry.at = now;
        setTimeout(() => setRevision((value) => value + 1), overlaySettleMs + 50);
      }
      wasPending.current = state.pending > 0;
      setRevision((value) => value + 1);
    },
    onAward: (award) => void announceAward(award),
    onRejected: (error) => announce([`A change made offline was refused: ${error.message}`]),
    onSignedOut: () => {
      if (endedRef.current) return;
      endedRef.current = true;
      sync.close();
      onSignedOutRef.current(true);
    },
  }), []);

  useEffect(() => () => sync.close(), []);

  // The server's theme wins whenever it changes (another tab or device set it); a stale poll that
  // repeats the old value does not undo the choice this tab just made.
  const serverTheme = useRef<string | null>(null);
  const settings = [...(sync.state.items.settings?.values() ?? [])][0] as Schemas["Settings"] | undefined;
  useEffect(() => {
    if (settings && settings.theme !== serverTheme.current) {
      applyTheme(settings.theme);
      serverTheme.current = settings.theme;
    }
  }, [settings?.theme]);

  const announce = (lines: string[]) => {
    if (!lines.length) return;
    setAnnouncement((current) => ({ lines, serial: current.serial + 1 }));
  };

  useEffect(() => {
    if (!announcement.lines.length) return;
    const timer = setTimeout(() => setAnnouncement((current) => ({ ...current, lines: [] })), 10_000);
    return () => clearTimeout(timer);
  }, [announcement.serial]);

  const announceAward = async (award: Schemas["Award"]) => {
    if (award.achievements.some((unlocked) => !achievementNames.has(unlocked.id))) {
      try {
        const catalog = await client.get("/api/achievements");
        for (const achievement of catalog.items) achievementNames.set(achievement.id, achievement.name);
      } catch {
        // The ids stand in for the names.
      }
    }
    announce(describeAward(award, achievementNames));
  };

  const pruneOverlay = () => {
    if (sync.state.pending > 0) return;
    const now = Date.now();
    for (const [key, entry] of overlay.current) if (now - entry.at > overlaySettleMs) overlay.current.delete(key);
  };

  const workspace: Workspace = {
    client,
    sync,
    user,
    progress: sync.state.progress,
    pending: sync.state.pending,
    online: sync.state.online,
    cache: cache.current,
    cursor: sync.state.cursor,
    items<T extends { id: string }>(entity: Entity): T[] {
      pruneOverlay();
      const merged = new Map<string, Record<string, unknown>>(sync.state.items[entity] as Map<string, Record<string, unknown>> | undefined);
      for (const entry of overlay.current.values()) {
        if (entry.entity !== entity) continue;
        if (entry.item === null) merged.delete(entry.id);
        else merged.set(entry.id, { ...merged.get(entry.id), ...entry.item });
      }
      return [...merged.values()].filter((item) => item.is_active !== false && !item.deleted_at) as unknown as T[];
    },
    async write(method, path, body, target?: WriteTarget) {
      const result = await sync.write(method, path, body);
      const remember = (id: string | undefined, item: Record<string, unknown> | null) => {
        if (target && id) overlay.current.set(`${target.entity}:${id}`, { entity: target.entity, id, item, at: Date.now() });
      };
      if (isQueued(result)) {
        if (target?.optimistic !== undefined) remember(target.id, target.optimistic && { ...target.optimistic, id: target.id });
      } else {
        const data = result as { id?: string } | null | undefined;
        if (data && typeof data === "object" && typeof data.id === "string") remember(data.id, data as Record<string, unknown>);
        else if (target?.optimistic === null) remember(target.id, null);
      }
      setRevision((value) => value + 1);
      return result as never;
    },
    announce,
    async signOut() {
      endedRef.current = true;
      sync.close();
      // The other tabs close their engines before the session ends, so none of them polls with
      // a dead cookie (a 401 the browser would log).
      channel?.postMessage("signed-out");
      try {
        await client.signOut();
      } finally {
        onSignedOut(false);
      }
    },
    leave() {
      endedRef.current = true;
      sync.close();
      onSignedOut(true);
    },
  };

  const Page = route && route !== "signin" ? pages[route] : null;
  const firstRoute = useRef(route);
  useEffect(() => {
    if (route === firstRoute.current) return;
    firstRoute.current = null;
    document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: true });
    scrollTo(0, 0);
  }, [route]);

  return (
    <WorkspaceContext.Provider value={workspace}>
      <header class="top">
        <div class="bar">
          <a class="brand" href="#/today">Passion OS</a>
          <ProgressBar progress={sync.state.progress} />
          <div class="sync-state">
            {sync.state.pending > 0 && <p role="status" class="pending">Pending sync</p>}
            {!sync.state.online && <p class="offline">Offline</p>}
          </div>
          <button type="button" class="secondary" onClick={() => void workspace.signOut()}>Sign out</button>
        </div>
        <nav aria-label="Main">
          <ul>
            {navigation
              .filter(([name]) => name !== "admin" || user.role === "admin")
              .map(([name, text]) => (
                <li key={name}><a href={`#/${name}`} aria-current={route === name ? "page" : undefined}>{text}</a></li>
              ))}
          </ul>
        </nav>
        <div class="announcements" role="status" aria-live="polite">
          {announcement.lines.map((line, index) => <p key={`${announcement.serial}-${index}`}>{line}</p>)}
        </div>
      </header>
      <main class="page">
        {/* Until the first copy is in, a page would show empty lists as if they were the truth. */}
        {sync.state.cursor === null && sync.state.online ? <Loading /> :
          Page && (route !== "admin" || user.role === "admin") ? <Page key={route} /> : null}
      </main>
    </WorkspaceContext.Provider>
  );
}

function ProgressBar({ progress }: { progress: Schemas["Progress"] | null }) {
  if (!progress) return <section class="progress" aria-label="Progress"><span class="muted">Loading progress…</span></section>;
  const levelSize = progress.xp_into_level + progress.xp_to_next_level;
  return (
    <section class="progress" aria-label="Progress">
      <span class="level">Level {progress.level}</span>
      <label for="xp-progress" class="xp-label">XP</label>
      <progress id="xp-progress" max={levelSize} value={progress.xp_into_level} />
      <span class="xp-text">{progress.xp_into_level} / {levelSize}</span>
      <span class="coins">{progress.coins} {progress.coins === 1 ? "coin" : "coins"}</span>
    </section>
  );
}
