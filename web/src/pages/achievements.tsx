// Achievements and skills: the catalog with the unlocked ones marked, each skill's level, and
// the latest ledger entries that earned or spent them.
import { formatInstant } from "../dates";
import { useLoaded, useWorkspace } from "../session";
import { Alert, Loading, Section, capitalize, skills } from "../ui";

export function AchievementsPage() {
  const { client, progress } = useWorkspace();
  const loaded = useLoaded("achievements", async () => {
    const [achievements, entries] = await Promise.all([
      client.get("/api/achievements"),
      client.get("/api/ledger", { params: { query: { limit: 20 } } }),
    ]);
    return { catalog: achievements.items, ledger: entries.items };
  }, [progress?.xp, progress?.coins, progress?.achievements_unlocked]);

  if (loaded.value === undefined && !loaded.error) return <Loading />;
  const catalog = loaded.value?.catalog ?? null;
  const ledger = loaded.value?.ledger ?? [];
  const unlocked = catalog?.filter((achievement) => achievement.unlocked_at).length ?? 0;

  return (
    <>
      <Alert message={loaded.error} />
      <Section title="Skills">
        {progress ? (
          <ul class="skills">
            {skills.map((skill) => (
              <li key={skill}>
                <span class="skill-name">{capitalize(skill)}</span>
                <span>Level {progress.skills[skill].level}</span>
                <span class="muted">{progress.skills[skill].xp} XP</span>
              </li>
            ))}
          </ul>
        ) : <p class="muted">Loading…</p>}
        {progress && <p class="muted">Best streak: {progress.best_streak} {progress.best_streak === 1 ? "day" : "days"} · total {progress.xp} XP</p>}
      </Section>
      <Section title={catalog ? `Badges (${unlocked} of ${catalog.length} unlocked)` : "Badges"}>
        {catalog === null ? <p class="muted">Loading…</p> : (
          <ul class="badges">
            {catalog.map((achievement) => (
              <li key={achievement.id} class={achievement.unlocked_at ? `badge unlocked ${achievement.tier}` : "badge"}>
                <h3>{achievement.name}</h3>
                <p>{achievement.description}</p>
                <p class="meta">
                  <span class="tier">{capitalize(achievement.tier)}</span>
                  <span>+{achievement.xp} XP, +{achievement.coins} coins</span>
                </p>
                <p class="state">{achievement.unlocked_at ? `Unlocked ${formatInstant(achievement.unlocked_at)}` : "Locked"}</p>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Ledger">
        {ledger.length === 0 ? <p class="muted">Nothing earned yet.</p> : (
          <table class="ledger">
            <thead>
              <tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Amount</th><th scope="col">Balance</th></tr>
            </thead>
            <tbody>
              {ledger.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatInstant(entry.created_at)}</td>
                  <td>{entry.reason || capitalize(entry.event_type)}</td>
                  <td>{entry.amount > 0 ? "+" : ""}{entry.amount} {entry.currency === "xp" ? "XP" : "coins"}</td>
                  <td>{entry.balance_after}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}
