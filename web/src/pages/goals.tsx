// Goals: create, list, complete (50 XP + 10 coins, once), delete.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { useWorkspace } from "../session";
import { Alert, Field, FormCard, PageHeading, Section, Select, capitalize, skillOptions, useAction } from "../ui";

type Goal = Schemas["Goal"];

export function GoalsPage() {
  const { items, write, client } = useWorkspace();
  const goals = items<Goal>("goal").sort((a, b) => b.created_at.localeCompare(a.created_at));
  const [title, setTitle] = useState("");
  const [category, setCategory] = useState<Goal["category"]>("learning");
  const [targetDate, setTargetDate] = useState("");
  const [error, run, busy] = useAction();

  const add = () =>
    run(async () => {
      const id = client.newId();
      const body = { id, title: title.trim(), category, ...(targetDate ? { target_date: targetDate } : {}) };
      const now = new Date().toISOString();
      await write("POST", "/api/goals", body, {
        entity: "goal",
        id,
        optimistic: {
          description: "", status: "active", target_date: null, metadata: {}, is_active: true, deleted_at: null,
          completed_at: null, created_at: now, updated_at: now, ...body,
        },
      });
      setTitle("");
      setTargetDate("");
    });

  return (
    <>
      <PageHeading>Goals</PageHeading>
      <FormCard title="New goal" onSubmit={() => void add()}>
        <div class="row">
          <Field label="Goal title" required maxLength={200} value={title} onInput={setTitle} />
          <Select label="Category" value={category} onChange={(value) => setCategory(value as Goal["category"])} options={skillOptions} />
          <Field label="Target date" type="date" value={targetDate} onInput={setTargetDate} />
        </div>
        <button type="submit" disabled={busy}>Add goal</button>
      </FormCard>
      <Alert message={error} />
      <Section title="Goal list">
        {goals.length === 0 ? <p class="muted">No goals yet.</p> : (
          <ul class="items">{goals.map((goal) => <GoalItem key={goal.id} goal={goal} />)}</ul>
        )}
      </Section>
    </>
  );
}

function GoalItem({ goal }: { goal: Goal }) {
  const { write } = useWorkspace();
  const [error, run, busy] = useAction();
  const target = { entity: "goal" as const, id: goal.id };
  return (
    <li class={goal.status === "completed" ? "item done" : "item"}>
      <div class="item-head">
        <h3>{goal.title}</h3>
        <p class="meta">
          <span>{capitalize(goal.status)}</span>
          <span>{goal.category}</span>
          {goal.target_date && <span>Target {goal.target_date}</span>}
        </p>
      </div>
      <div class="actions">
        {goal.status === "active" && (
          <button type="button" disabled={busy} onClick={() => void run(() => write("POST", `/api/goals/${goal.id}/complete`, undefined, {
            ...target, optimistic: { ...goal, status: "completed" },
          }))}>Complete {goal.title}</button>
        )}
        <button type="button" class="danger" disabled={busy} onClick={() => void run(() => write("DELETE", `/api/goals/${goal.id}`, undefined, {
          ...target, optimistic: null,
        }))}>Delete {goal.title}</button>
      </div>
      <Alert message={error} />
    </li>
  );
}
