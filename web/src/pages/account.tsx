// Account: export everything, the live sessions, sign out everywhere, and erase the account.
import { useState } from "preact/hooks";
import { formatInstant } from "../dates";
import { useLoaded, useWorkspace } from "../session";
import { Alert, Field, FormCard, Loading, Section, useAction } from "../ui";

export function AccountPage() {
  const { client, user, leave } = useWorkspace();
  const loadSessions = async () => (await client.get("/api/me/sessions")).items;
  const sessions = useLoaded("sessions", loadSessions, []);
  const [confirm, setConfirm] = useState("");
  const [error, run, busy] = useAction();

  const reload = async () => sessions.set(await loadSessions());

  const endSession = (id: string) =>
    run(async () => {
      await client.del("/api/me/sessions/{id}", { params: { path: { id } } });
      await reload();
    });

  const signOutEverywhere = () =>
    run(async () => {
      await client.signOutEverywhere();
      leave();
    });

  const erase = () =>
    run(async () => {
      await client.del("/api/me", { body: { confirm: confirm.trim() } });
      leave();
    });

  if (sessions.value === undefined && !sessions.error) return <Loading />;

  return (
    <>
      <Section title="You">
        <p><strong>{user.name}</strong> · {user.email}{user.role === "admin" ? " · admin" : ""}</p>
        <p class="muted">Member since {formatInstant(user.created_at)}</p>
      </Section>
      <Section title="Your data">
        <p>Everything the app holds about you, as one JSON document.</p>
        <a class="button" href="/api/me/export" download>Export my data</a>
      </Section>
      <Section title="Sessions">
        <ul class="items compact">
          {(sessions.value ?? []).map((session) => (
            <li key={session.id} class="item">
              <span>{session.user_agent || "Unknown browser"}{session.current ? " (this one)" : ""}</span>
              <span class="muted">Last seen {formatInstant(session.last_seen_at)}</span>
              {!session.current && (
                <button type="button" class="secondary" disabled={busy} onClick={() => void endSession(session.id)}>End session</button>
              )}
            </li>
          ))}
        </ul>
        <button type="button" class="secondary" disabled={busy} onClick={() => void signOutEverywhere()}>Sign out everywhere</button>
      </Section>
      <FormCard title="Delete everything" onSubmit={() => void erase()}>
        <p>This erases your habits, goals, progress, rewards, audio and tokens for good. You need to have signed in within the last few minutes.</p>
        <Field label="Type your email to confirm" type="email" autocomplete="off" required value={confirm} onInput={setConfirm} />
        <button type="submit" class="danger" disabled={busy || confirm.trim().toLowerCase() !== user.email.toLowerCase()}>Delete account</button>
      </FormCard>
      <Alert message={error ?? sessions.error} />
    </>
  );
}
