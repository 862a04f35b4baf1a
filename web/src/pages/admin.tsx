// The admin area (role admin only; the API answers others 403): search users, a user's detail,
// disable or enable, role, a ledger claim, revoke sessions, and the audit log, stats and errors.
// Admin writes go straight to the API: they act on other users and never wait in a queue.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { formatInstant } from "../dates";
import { useWorkspace } from "../session";
import { Alert, Field, FormCard, Loading, Scroller, Section, Select, useAction } from "../ui";

type Listed = Schemas["AdminListedUser"];
type Detail = Schemas["AdminUserDetail"];

const roles = [["user", "User"], ["admin", "Admin"]] as const;

export function AdminPage() {
  const { client } = useWorkspace();
  const [query, setQuery] = useState("");
  const [users, setUsers] = useState<Listed[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [stats, setStats] = useState<Schemas["AdminStats"] | null>(null);
  const [audit, setAudit] = useState<Schemas["AuditEntry"][]>([]);
  const [errors, setErrors] = useState<Schemas["ErrorLogEntry"][]>([]);
  const [error, run] = useAction();
  const [searchError, runSearch] = useAction();

  const reloadLogs = () =>
    run(async () => {
      const [figures, entries, failures] = await Promise.all([
        client.get("/api/admin/stats"),
        client.get("/api/admin/audit", { params: { query: { limit: 20 } } }),
        client.get("/api/admin/errors", { params: { query: { limit: 20 } } }),
      ]);
      setStats(figures);
      setAudit(entries.items);
      setErrors(failures.items);
    });

  // Typing starts a search per pause: only the latest one's answer is shown, however the answers
  // come back.
  const latestSearch = useRef(0);
  const search = (q: string) => {
    const serial = ++latestSearch.current;
    return runSearch(async () => {
      const found = await client.get("/api/admin/users", { params: { query: { q, limit: 50 } } });
      if (serial === latestSearch.current) setUsers(found.items);
    });
  };

  useEffect(() => {
    void reloadLogs();
  }, []);

  // Typing searches after a pause; the first list comes at once.
  const firstSearch = useRef(true);
  useEffect(() => {
    const timer = setTimeout(() => void search(query.trim()), firstSearch.current ? 0 : 250);
    firstSearch.current = false;
    return () => clearTimeout(timer);
  }, [query]);

  if (users === null && !searchError) return <Loading />;

  return (
    <>
      <Alert message={error} />
      {stats && (
        <Section title={`Stats for ${stats.day} (UTC)`}>
          <dl class="figures">
            <div><dt>Users</dt><dd>{stats.users}</dd></div>
            <div><dt>Active today</dt><dd>{stats.active_today}</dd></div>
            <div><dt>Awards today</dt><dd>{stats.awards_today}</dd></div>
          </dl>
        </Section>
      )}
      <FormCard title="Users" onSubmit={() => void search(query.trim())}>
        <div class="row">
          <Field label="Search users" type="search" placeholder="E-mail or name starts with…" value={query} onInput={setQuery} />
        </div>
        <button type="submit" class="secondary">Search</button>
        <Alert message={searchError} />
        {users && (users.length === 0 ? <p class="muted">No users match.</p> : (
          <ul class="items compact">
            {users.map((listed) => (
              <li key={listed.id} class="item">
                <button type="button" class="link" aria-pressed={selected === listed.id} onClick={() => setSelected(listed.id)}>
                  {listed.name} ({listed.email})
                </button>
                <span class="muted">
                  {listed.role}{listed.disabled ? " · disabled" : ""}
                  {listed.progress ? ` · level ${listed.progress.level} · ${listed.progress.coins} coins` : ""}
                </span>
              </li>
            ))}
          </ul>
        ))}
      </FormCard>
      {selected && (
        <UserDetail
          key={selected}
          id={selected}
          onChanged={() => {
            void search(query.trim());
            void reloadLogs();
          }}
        />
      )}
      <Section title="Audit log">
        {audit.length === 0 ? <p class="muted">Nothing audited yet.</p> : (
          <Scroller label="Audit entries">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
              <tbody>
                {audit.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatInstant(entry.created_at)}</td>
                    <td>{entry.action}</td>
                    <td><code>{entry.actor_id ?? "—"}</code></td>
                    <td><code>{entry.target_id ?? "—"}</code></td>
                    <td><code>{JSON.stringify(entry.detail)}</code></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroller>
        )}
      </Section>
      <Section title="Errors">
        {errors.length === 0 ? <p class="muted">No server errors recorded.</p> : (
          <Scroller label="Server errors">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Message</th></tr></thead>
              <tbody>
                {errors.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatInstant(entry.created_at)}</td>
                    <td>{entry.method} {entry.path} <code>{entry.request_id}</code></td>
                    <td>{entry.status} {entry.error_type}</td>
                    <td>{entry.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroller>
        )}
      </Section>
    </>
  );
}

function UserDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { client } = useWorkspace();
  const [detail, setDetail] = useState<Detail | null>(null);
  const [xp, setXp] = useState("0");
  const [coins, setCoins] = useState("0");
  const [reason, setReason] = useState("");
  const [done, setDone] = useState("");
  const [role, setRole] = useState<Detail["role"]>("user");
  const [error, run, busy] = useAction();

  const reload = async () => {
    const loaded = await client.get("/api/admin/users/{id}", { params: { path: { id } } });
    setDetail(loaded);
    setRole(loaded.role);
  };
  useEffect(() => void run(reload), [id]);

  const update = (change: { role?: "user" | "admin"; disabled?: boolean }, message: string) =>
    run(async () => {
      setDone("");
      await client.patch("/api/admin/users/{id}", { params: { path: { id } }, body: change });
      await reload();
      setDone(message);
      onChanged();
    });

  const revokeSessions = () =>
    run(async () => {
      setDone("");
      await client.post("/api/admin/users/{id}/sessions/revoke", { params: { path: { id } } });
      await reload();
      setDone("Sessions and tokens revoked.");
      onChanged();
    });

  const claim = () =>
    run(async () => {
      setDone("");
      const claimed = await client.post("/api/admin/users/{id}/claim", {
        params: { path: { id } },
        body: { xp: Number(xp), coins: Number(coins), reason: reason.trim() },
      });
      await reload();
      setDone(`Claimed ${claimed.award.xp} XP and ${claimed.award.coins} coins: now level ${claimed.progress.level}, ${claimed.progress.coins} coins.`);
      setReason("");
      onChanged();
    });

  if (!detail) return <Section title="User"><Alert message={error} /><p class="muted">Loading…</p></Section>;

  return (
    <Section title={`User: ${detail.name}`}>
      <p>{detail.email} · joined {formatInstant(detail.created_at)} · {detail.disabled ? "disabled" : "active"}</p>
      <p>
        Level {detail.progress.level} · {detail.progress.xp} XP · {detail.progress.coins} coins ·{" "}
        {detail.content.habits} habits, {detail.content.goals} goals, {detail.content.quests} quests,{" "}
        {detail.content.workouts} workouts, {detail.content.books} books, {detail.content.focus_sessions} focus sessions,{" "}
        {detail.content.audio_tracks} tracks · {detail.content.live_sessions} live sessions
      </p>
      <div class="actions">
        {detail.disabled ? (
          <button type="button" disabled={busy} onClick={() => void update({ disabled: false }, "User enabled.")}>Enable user</button>
        ) : (
          <button type="button" class="danger" disabled={busy} onClick={() => void update({ disabled: true }, "User disabled.")}>Disable user</button>
        )}
        <button type="button" class="secondary" disabled={busy} onClick={() => void revokeSessions()}>Revoke sessions</button>
      </div>
      {/* The select only chooses: arrowing through a closed select fires a change per option. */}
      <form class="row role-form" onSubmit={(event) => {
        event.preventDefault();
        void update({ role }, `Role set to ${role}.`);
      }}>
        <Select label="Role" value={role} disabled={busy} onChange={(value) => setRole(value as Detail["role"])} options={roles} />
        <button type="submit" class="secondary" disabled={busy || role === detail.role}>Set role</button>
      </form>
      <FormCard title="Claim" onSubmit={() => void claim()}>
        <p class="muted">An adjustment through the user's ledger (negative to take back; never below 0), audited.</p>
        <div class="row">
          <Field label="XP" type="number" min={-1000000} max={1000000} required value={xp} onInput={setXp} />
          <Field label="Coins" type="number" min={-1000000} max={1000000} required value={coins} onInput={setCoins} />
          <Field label="Reason" required maxLength={500} value={reason} onInput={setReason} />
        </div>
        <button type="submit" disabled={busy}>Claim</button>
      </FormCard>
      <p role="status" class="saved">{done}</p>
      <Alert message={error} />
    </Section>
  );
}
