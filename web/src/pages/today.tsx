// Today: the habits with their streak and strength, complete / undo, yesterday's late check-in,
// and each habit's history as a calendar heatmap.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { addDays, localDay } from "../dates";
import { EmptyList, useItemActions, useWorkspace } from "../session";
import { Alert, Field, FormCard, Section, Select, skillOptions, useAction } from "../ui";
import { HabitHistory } from "./heatmap";

type Habit = Schemas["Habit"];

const frequencies = [["daily", "Daily"], ["weekdays", "Weekdays"], ["weekly", "Weekly"]] as const;

/** The user's calendar day and the one before, as the API counts them. */
export function useToday(): { today: string; yesterday: string } {
  const { items } = useWorkspace();
  const settings = items<Schemas["Settings"] & { id: string }>("settings")[0];
  const today = localDay(settings?.timezone ?? "UTC", settings?.day_start_hour ?? 0);
  return { today, yesterday: addDays(today, -1) };
}

export function TodayPage() {
  const { items, createWithId } = useWorkspace();
  const { today, yesterday } = useToday();
  const habits = items<Habit>("habit").sort((a, b) => a.created_at.localeCompare(b.created_at));
  const [title, setTitle] = useState("");
  const [frequency, setFrequency] = useState<Habit["frequency"]>("daily");
  const [category, setCategory] = useState<Habit["category"]>("health");
  const [perWeek, setPerWeek] = useState("1");
  const [error, run, busy] = useAction();

  const add = () =>
    run(async () => {
      const body = {
        title: title.trim(),
        frequency,
        category,
        ...(frequency === "weekly" ? { target_per_week: Number(perWeek) } : {}),
      };
      await createWithId("habit", "/api/habits", body, {
        description: "", target_per_week: null, current_streak: 0, best_streak: 0, last_completed_on: null,
        completed_today: false, strength: 0,
      });
      setTitle("");
    });

  return (
    <>
      <FormCard title="New habit" onSubmit={() => void add()}>
        <div class="row">
          <Field label="Habit title" required maxLength={200} value={title} onInput={setTitle} />
          <Select label="Frequency" value={frequency} onChange={(value) => setFrequency(value as Habit["frequency"])} options={frequencies} />
          <Select label="Category" value={category} onChange={(value) => setCategory(value as Habit["category"])} options={skillOptions} />
          {frequency === "weekly" && (
            <Field label="Times per week" type="number" min={1} max={7} required value={perWeek} onInput={setPerWeek} />
          )}
        </div>
        <button type="submit" disabled={busy}>Add habit</button>
      </FormCard>
      <Alert message={error} />
      <Section title={`Habits for ${today}`}>
        {habits.length === 0 ? (
          <EmptyList>No habits yet: add one above.</EmptyList>
        ) : (
          <ul class="items">
            {habits.map((habit) => <HabitItem key={habit.id} habit={habit} today={today} yesterday={yesterday} />)}
          </ul>
        )}
      </Section>
    </>
  );
}

function HabitItem({ habit, today, yesterday }: { habit: Habit; today: string; yesterday: string }) {
  const { sync } = useWorkspace();
  const { error, busy, act, complete, remove } = useItemActions("habit", "/api/habits", habit);
  const [showHistory, setShowHistory] = useState(false);
  const [checkedInYesterday, setCheckedInYesterday] = useState(false);
  const unit = habit.frequency === "weekly" ? "week" : "day";
  // A daily habit done today with a streak of two or more was done yesterday too; otherwise the
  // last completed day says it.
  const yesterdayDone = checkedInYesterday || habit.last_completed_on === yesterday
    || (habit.completed_today && habit.frequency === "daily" && habit.current_streak >= 2);

  const completeToday = () =>
    complete({ completed_today: true, last_completed_on: today, current_streak: habit.current_streak + 1 });
  const undo = () =>
    act("DELETE", "/complete", undefined, { completed_today: false, current_streak: Math.max(0, habit.current_streak - 1) });
  const checkInYesterday = async () => {
    if (await act("POST", "/complete", { date: yesterday })) setCheckedInYesterday(true);
  };

  return (
    <li class={habit.completed_today ? "item done" : "item"}>
      <div class="item-head">
        <h3>{habit.title}</h3>
        <p class="meta">
          <span>{habit.current_streak}-{unit} streak</span>
          <span>Strength {habit.strength}%</span>
          <span>{habit.frequency}{habit.target_per_week ? ` (${habit.target_per_week}× a week)` : ""}</span>
          <span>{habit.category}</span>
        </p>
      </div>
      <div class="actions">
        {habit.completed_today ? (
          <button type="button" class="secondary" disabled={busy} onClick={() => void undo()}>Undo {habit.title}</button>
        ) : (
          <button type="button" disabled={busy} onClick={() => void completeToday()}>Complete {habit.title}</button>
        )}
        {!yesterdayDone && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void checkInYesterday()}>
            Check in yesterday for {habit.title}
          </button>
        )}
        <button type="button" class="secondary" aria-expanded={showHistory} onClick={() => setShowHistory(!showHistory)}>
          History of {habit.title}
        </button>
        <button type="button" class="danger" disabled={busy} onClick={(event) => void remove(event.currentTarget)}>Delete {habit.title}</button>
      </div>
      <Alert message={error} />
      {showHistory && (
        <HabitHistory habit={habit} today={today} known={sync.state.items.habit?.has(habit.id) ?? false} />
      )}
    </li>
  );
}
