// The app shell: who is signed in, the sync engine of a signed-in page, the header (progress,
// announcements, pending writes), the main navigation, and the page the fragment names under its
// heading (routes.ts). The session is checked only when this browser signed in before (see mark.ts).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { createClient, createSync, indexedDbStorage, type Entity, type PassionClient, type Schemas, type Sync } from "@passion-edge/client";
import { describeAward } from "./award";
import { markSignedIn, wasSignedIn } from "./mark";
import { applyTheme } from "./theme";
import { navigate, useRoute } from "./router";
import { pageOf, signedInPages, type Route, type SignedInPage } from "./routes";
import { isQueued, WorkspaceContext, type Workspace, type WriteTarget } from "./session";
import { Alert, errorText, Loading, PageHeading } from "./ui";
import { SignInPage } from "./pages/signin";

type User = Schemas["User"];

const channelName = "passion-edge";

/** What the tabs of this origin tell each other. A sign-in anywhere replaced the cookie every tab
 * uses, so a tab that showed another user (or nobody) checks again whom it now acts for. */
type TabMessage = { event: "signed-out" } | { event: "signed-in"; userId: string };

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(channelName) : null;

function tellOtherTabs(message: TabMessage) {
  channel?.postMessage(message);
}

type Phase =
  | { kind: "checking" }
  | { kind: "signed-out" }
  | { kind: "signed-in"; client: PassionClient; user: User };

export function App() {
  const [phase, setPhase] = useState<Phase>(() => (wasSignedIn() ? { kind: "checking" } : { kind: "signed-out" }));
  const route = useRoute();
  const shownUser = useRef<string | null>(null);
  shownUser.current = phase.kind === "signed-in" ? phase.user.id : null;

  const signedIn = (client: PassionClient, user: User) => {
    markSignedIn(true);
    // Every check that finds a session says so (after an OAuth return, a dev sign-in, a reload):
    // a tab showing the same user ignores it, so the messages end there.
    tellOtherTabs({ event: "signed-in", userId: user.id });
    setPhase({ kind: "signed-in", client, user });
  };

  const checkSession = async () => {
    const client = createClient({ baseUrl: "" });
    try {
      const session = await client.session();
      if (session) {
        signedIn(client, session.user);
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
    const follow = (event: MessageEvent<TabMessage>) => {
      if (event.data.event === "signed-out") signedOut();
      // Checking unmounts the signed-in page, whose engine closes: the old user's copy and queue
      // are not shown to, or sent as, the new one.
      else if (event.data.event === "signed-in" && event.data.userId !== shownUser.current) setPhase({ kind: "checking" });
    };
    channel.addEventListener("message", follow);
    return () => channel.removeEventListener("message", follow);
  }, []);

  useEffect(() => {
    if (phase.kind === "checking") void checkSession();
  }, [phase.kind]);

  useEffect(() => {
    if (phase.kind === "signed-out" && route !== "signin") navigate("signin", true);
    if (phase.kind === "signed-in" && (route === null || route === "signin" || (pageOf(route)?.adminOnly && phase.user.role !== "admin"))) {
      navigate("today", true);
    }
  }, [phase, route]);

  if (phase.kind === "checking") {
    return <main class="page"><p class="muted" aria-busy="true">Loading…</p></main>;
  }
  if (phase.kind === "signed-out") return <SignInPage onSignedIn={signedIn} />;
  return (
    <SignedIn
      key={phase.user.id}
      client={phase.client}
      user={phase.user}
      route={route}
      onSignedOut={() => {
        tellOtherTabs({ event: "signed-out" });
        signedOut();
      }}
    />
  );
}

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
  onSignedOut: () => void;
}) {
  const [, setRevision] = useState(0);
  const [announcement, setAnnouncement] = useState<{ lines: string[]; serial: number }>({ lines: [], serial: 0 });
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const [signingOut, setSigningOut] = useState(false);
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
      onSignedOutRef.current();
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

  /** Ends this page (once: the socket's 4001 may come before the sign-out's answer): the engine
   * stops, and every tab goes to the sign-in page. */
  const leave = () => {
    if (endedRef.current) return;
    endedRef.current = true;
    sync.close();
    onSignedOut();
  };

  const workspace: Workspace = {
    client,
    sync,
    user,
    progress: sync.state.progress,
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
    createWithId(entity, path, body, fields) {
      const id = client.newId();
      const now = new Date().toISOString();
      const sent = { ...body, id };
      return workspace.write("POST", path, sent, {
        entity,
        id,
        optimistic: { metadata: {}, is_active: true, deleted_at: null, created_at: now, updated_at: now, ...fields, ...sent },
      });
    },
    announce,
    async signOut() {
      if (signingOut) return;
      setSigningOut(true);
      setSignOutError(null);
      try {
        // Resolves once the API answered 2xx (or 401: already signed out); offline it throws,
        // and this page, its engine and its cookie stay as they were.
        await client.signOut();
      } catch (failure) {
        setSignOutError(`Could not sign out: ${errorText(failure)}`);
        setSigningOut(false);
        return;
      }
      leave();
    },
    leave,
  };

  const page = pageOf(route);
  const shown = page && (!page.adminOnly || user.role === "admin") ? page : undefined;
  // Until the first copy is in, a page would show empty lists as if they were the truth.
  const waiting = sync.state.cursor === null && sync.state.online;
  const firstRoute = useRef(route);
  useEffect(() => {
    if (route === firstRoute.current) return;
    firstRoute.current = null;
    document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: true });
    scrollTo(0, 0);
  }, [route]);

  return (
    <WorkspaceContext.Provider value={workspace}>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          // The fragment names routes: the link moves focus itself instead of going to `#main`.
          event.preventDefault();
          const main = document.querySelector<HTMLElement>("main");
          const target = main?.querySelector<HTMLElement>("h1") ?? main;
          if (!target) return;
          target.tabIndex = -1;
          target.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <div class="bar">
          <a class="brand" href="#/today">Passion OS</a>
          <ProgressBar progress={sync.state.progress} />
          {/* Always present, so a screen reader hears its text change. */}
          <p class="sync-state" role="status">
            {!sync.state.online && <span class="offline">Offline</span>}
            {sync.state.pending > 0 && <span class="pending">Pending sync</span>}
          </p>
          <button type="button" class="secondary" onClick={() => void workspace.signOut()}>Sign out</button>
          <Alert message={signOutError} />
        </div>
        <nav aria-label="Main">
          <ul>
            {signedInPages
              .filter((listed: SignedInPage) => !listed.adminOnly || user.role === "admin")
              .map(({ route: name, label }) => (
                <li key={name}><a href={`#/${name}`} aria-current={route === name ? "page" : undefined}>{label}</a></li>
              ))}
          </ul>
        </nav>
        <div class="announcements" role="status" aria-live="polite">
          {announcement.lines.map((line, index) => <p key={`${announcement.serial}-${index}`}>{line}</p>)}
        </div>
      </header>
      <main id="main" class="page">
        {shown && (
          <>
            <PageHeading>{shown.title ?? shown.label}</PageHeading>
            {waiting ? <Loading /> : <shown.Page key={shown.route} />}
          </>
        )}
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
