// The focus timer: start (minutes, mode, a linked habit or goal, a track), pause, resume, end;
// the running session comes from the sync engine, so every tab shows the same timer. The track
// streams from `/api/audio/{id}`, which answers Range requests, so the player can seek.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { formatInstant } from "../dates";
import { isQueued, useLoaded, useWorkspace } from "../session";
import { Alert, Field, Loading, Section, Select, capitalize, useAction } from "../ui";

type FocusSession = Schemas["FocusSession"];
type AudioTrack = Schemas["AudioTrack"];

const modes = [["focus", "Focus"], ["break", "Break"]] as const;

function clock(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const minutes = Math.floor(seconds / 60);
  return `${String(minutes).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Seconds of focus so far: time since the start, less the pauses (the current one included). */
function focusedSeconds(session: FocusSession, now: number): number {
  const until = session.status === "paused" && session.paused_at ? Date.parse(session.paused_at) : now;
  return (until - Date.parse(session.started_at)) / 1000 - session.paused_seconds;
}

export function FocusPage() {
  const { items, write, client } = useWorkspace();
  const sessions = items<FocusSession>("focus_session");
  const active = sessions.find((session) => session.status === "running" || session.status === "paused") ?? null;
  const habits = items<Schemas["Habit"]>("habit");
  const goals = items<Schemas["Goal"]>("goal").filter((goal) => goal.status === "active");
  const [minutes, setMinutes] = useState("25");
  const [mode, setMode] = useState<FocusSession["mode"]>("focus");
  const [habitId, setHabitId] = useState("");
  const [goalId, setGoalId] = useState("");
  const [trackId, setTrackId] = useState("");
  const [now, setNow] = useState(Date.now());
  const [error, run, busy] = useAction();
  const player = useRef<HTMLAudioElement>(null);

  const tracks = useLoaded<AudioTrack[]>("tracks",
    async () => (await client.get("/api/audio", { params: { query: { limit: 200 } } })).items, []);

  // History and stats are not in the sync feed; a change to any session refreshes them.
  const sessionsKey = sessions.map((session) => `${session.id}:${session.status}:${session.updated_at}`).join();
  const record = useLoaded("focus-record", async () => {
    const [page, stats] = await Promise.all([
      client.get("/api/focus", { params: { query: { limit: 20 } } }),
      client.get("/api/focus/stats", { params: { query: { days: 7 } } }),
    ]);
    return { history: page.items, stats };
  }, [sessionsKey]);
  const history = record.value?.history ?? [];
  const stats = record.value?.stats ?? null;

  useEffect(() => {
    if (active?.status !== "running") return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active?.status]);

  const playingId = active?.audio_id ?? trackId;
  const target = active ? { entity: "focus_session" as const, id: active.id } : null;

  const playTrack = (play: boolean) => {
    const element = player.current;
    if (!element) return;
    if (play) element.play().catch(() => undefined);
    else element.pause();
  };

  const start = () =>
    run(async () => {
      const result = await write("POST", "/api/focus/start", {
        planned_minutes: Number(minutes),
        mode,
        ...(habitId ? { habit_id: habitId } : {}),
        ...(goalId ? { goal_id: goalId } : {}),
        ...(trackId ? { audio_id: trackId } : {}),
      }, { entity: "focus_session" });
      setNow(Date.now());
      if (!isQueued(result)) playTrack(true);
    });
  const pause = () =>
    run(async () => {
      if (!active || !target) return;
      await write("POST", "/api/focus/pause", undefined, { ...target, optimistic: { ...active, status: "paused", paused_at: new Date().toISOString() } });
      playTrack(false);
    });
  const resume = () =>
    run(async () => {
      if (!active || !target) return;
      const pausedFor = active.paused_at ? Math.round((Date.now() - Date.parse(active.paused_at)) / 1000) : 0;
      await write("POST", "/api/focus/resume", undefined, {
        ...target, optimistic: { ...active, status: "running", paused_at: null, paused_seconds: active.paused_seconds + pausedFor },
      });
      setNow(Date.now());
      playTrack(true);
    });
  const end = (abandon: boolean) =>
    run(async () => {
      if (!active || !target) return;
      await write("POST", "/api/focus/end", abandon ? { abandon: true } : undefined, {
        ...target, optimistic: { ...active, status: abandon ? "abandoned" : "completed", ended_at: new Date().toISOString() },
      });
      playTrack(false);
    });

  const focused = active ? focusedSeconds(active, now) : 0;
  const remaining = active ? active.planned_minutes * 60 - focused : Number(minutes) * 60;
  const trackTitle = (id: string | null) => tracks.value?.find((track) => track.id === id)?.title;

  if (tracks.value === undefined && !tracks.error) return <Loading />;

  return (
    <>
      <section class="card timer-card" aria-label="Timer">
        <p class="timer" role="timer" aria-label={active ? `${capitalize(active.mode)} time left` : "Time planned"}>
          {clock(remaining)}
        </p>
        <p class="muted">
          {active
            ? `${capitalize(active.status)} · ${capitalize(active.mode)} · focused ${clock(focused)} of ${active.planned_minutes}:00${remaining <= 0 ? " · time is up: end to collect" : ""}`
            : "No session running."}
        </p>
        <form class="form" onSubmit={(event) => { event.preventDefault(); void start(); }}>
          <div class="row">
            <Field label="Minutes" type="number" min={1} max={240} required disabled={!!active} value={minutes} onInput={setMinutes} />
            <Select label="Mode" value={mode} disabled={!!active} onChange={(value) => setMode(value as FocusSession["mode"])} options={modes} />
            <Select label="Linked habit" value={habitId} disabled={!!active} onChange={setHabitId}
              options={[["", "None"], ...habits.map((habit) => [habit.id, habit.title] as const)]} />
            <Select label="Linked goal" value={goalId} disabled={!!active} onChange={setGoalId}
              options={[["", "None"], ...goals.map((goal) => [goal.id, goal.title] as const)]} />
            <Select label="Track" value={trackId} disabled={!!active} onChange={setTrackId}
              options={[["", "No track"], ...(tracks.value ?? []).map((track) => [track.id, `${track.title}${track.scope === "library" ? " (library)" : ""}`] as const)]} />
          </div>
          <div class="actions">
            <button type="submit" disabled={busy || !!active}>Start</button>
            <button type="button" disabled={busy || active?.status !== "running"} onClick={() => void pause()}>Pause</button>
            <button type="button" disabled={busy || active?.status !== "paused"} onClick={() => void resume()}>Resume</button>
            <button type="button" disabled={busy || !active} onClick={() => void end(false)}>End</button>
            <button type="button" class="danger" disabled={busy || !active} onClick={() => void end(true)}>Abandon</button>
          </div>
        </form>
        {playingId && (
          <div class="player">
            <p class="muted">Track: {trackTitle(playingId) ?? "selected track"}</p>
            <audio ref={player} controls preload="metadata" aria-label="Focus track" src={`/api/audio/${playingId}`} />
          </div>
        )}
        <Alert message={error ?? tracks.error ?? record.error} />
      </section>
      {stats && (
        <Section title="Last 7 days">
          <p>{stats.total_focused_minutes} focused minutes in {stats.sessions} {stats.sessions === 1 ? "session" : "sessions"}.</p>
        </Section>
      )}
      <Section title="History">
        {history.length === 0 ? <p class="muted">No sessions yet.</p> : (
          <ul class="items compact">
            {history.map((session) => (
              <li key={session.id} class="item">
                <span>{formatInstant(session.started_at)}</span>
                <span>{capitalize(session.mode)} · {capitalize(session.status)} · {session.focused_minutes} of {session.planned_minutes} min</span>
                {trackTitle(session.audio_id) && <span>♪ {trackTitle(session.audio_id)}</span>}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
