// A habit's last twelve weeks as a calendar heatmap: one column per week (Monday first), one
// cell per day, each cell named "YYYY-MM-DD: done" or "YYYY-MM-DD: not done".
import { useEffect, useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { addDays, weekday } from "../dates";
import { useWorkspace } from "../session";
import { errorText } from "../ui";

const weeks = 12;
const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function HabitHistory({ habit, today, known }: { habit: Schemas["Habit"]; today: string; known: boolean }) {
  const { client } = useWorkspace();
  const [done, setDone] = useState<Set<string> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const from = addDays(today, -weekday(today) - 7 * (weeks - 1));

  useEffect(() => {
    // A habit still waiting in the offline queue has no history on the server yet.
    if (!known) {
      setDone(new Set());
      return;
    }
    let current = true;
    client
      .get("/api/habits/{id}/history", { params: { path: { id: habit.id }, query: { from, to: today } } })
      .then((history) => current && setDone(new Set(history.days)))
      .catch((failure: unknown) => current && setError(errorText(failure)));
    return () => {
      current = false;
    };
  }, [habit.id, habit.updated_at, habit.last_completed_on, habit.completed_today, known, from, today]);

  if (error) return <p class="alert" role="alert">{error}</p>;
  if (!done) return <p class="muted">Loading history…</p>;

  return (
    <div class="heatmap-wrap">
      <table class="heatmap" aria-label={`History of ${habit.title}`}>
        <tbody>
          {weekdays.map((name, row) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              {Array.from({ length: weeks }, (_, column) => {
                const day = addDays(from, column * 7 + row);
                if (day > today) return <td key={day} class="day future" />;
                const isDone = done.has(day);
                const label = `${day}: ${isDone ? "done" : "not done"}`;
                return (
                  <td key={day} class={isDone ? "day done" : "day"} title={label}>
                    <span class="sr-only">{label}</span>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p class="legend muted">
        <span class="swatch done" /> done <span class="swatch" /> not done · {from} to {today}
      </p>
    </div>
  );
}
