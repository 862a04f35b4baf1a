// Workouts: logging one awards XP by duration and intensity.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { formatInstant } from "../dates";
import { EmptyList, useItemActions, useWorkspace } from "../session";
import { Alert, Field, FormCard, Section, Select, capitalize, useAction } from "../ui";

type Workout = Schemas["Workout"];

const intensities = [["low", "Low"], ["moderate", "Moderate"], ["high", "High"]] as const;

export function WorkoutsPage() {
  const { items, createWithId } = useWorkspace();
  const workouts = items<Workout>("workout").sort((a, b) => b.performed_at.localeCompare(a.performed_at));
  const [name, setName] = useState("");
  const [minutes, setMinutes] = useState("30");
  const [intensity, setIntensity] = useState<Workout["intensity"]>("moderate");
  const [calories, setCalories] = useState("");
  const [error, run, busy] = useAction();

  const log = () =>
    run(async () => {
      const body = {
        name: name.trim(),
        duration_minutes: Number(minutes),
        intensity,
        ...(calories ? { calories: Number(calories) } : {}),
      };
      await createWithId("workout", "/api/workouts", body, { calories: null, performed_at: new Date().toISOString() });
      setName("");
      setCalories("");
    });

  return (
    <>
      <FormCard title="Log a workout" onSubmit={() => void log()}>
        <div class="row">
          <Field label="Workout name" required maxLength={200} value={name} onInput={setName} />
          <Field label="Duration (minutes)" type="number" min={1} max={1440} required value={minutes} onInput={setMinutes} />
          <Select label="Intensity" value={intensity} onChange={(value) => setIntensity(value as Workout["intensity"])} options={intensities} />
          <Field label="Calories" type="number" min={0} max={20000} value={calories} onInput={setCalories} />
        </div>
        <button type="submit" disabled={busy}>Log workout</button>
      </FormCard>
      <Alert message={error} />
      <Section title="Workout log">
        {workouts.length === 0 ? <EmptyList>No workouts yet.</EmptyList> : (
          <ul class="items">{workouts.map((workout) => <WorkoutItem key={workout.id} workout={workout} />)}</ul>
        )}
      </Section>
    </>
  );
}

function WorkoutItem({ workout }: { workout: Workout }) {
  const { error, busy, remove } = useItemActions("workout", "/api/workouts", workout);
  return (
    <li class="item">
      <div class="item-head">
        <h3>{workout.name}</h3>
        <p class="meta">
          <span>{workout.duration_minutes} min</span>
          <span>{capitalize(workout.intensity)}</span>
          {workout.calories !== null && <span>{workout.calories} kcal</span>}
          <span>{formatInstant(workout.performed_at)}</span>
        </p>
      </div>
      <div class="actions">
        <button type="button" class="danger" disabled={busy} onClick={(event) => void remove(event.currentTarget)}>Delete {workout.name}</button>
      </div>
      <Alert message={error} />
    </li>
  );
}
