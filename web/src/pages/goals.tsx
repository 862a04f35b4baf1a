// Goals: create, list, complete (50 XP + 10 coins, once), delete.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { EmptyList, useItemActions, useWorkspace } from "../session";
import { Alert, Field, FormCard, Section, Select, capitalize, skillOptions, useAction } from "../ui";

type Goal = Schemas["Goal"];

export function GoalsPage() {
  const { items, createWithId } = useWorkspace();
  const goals = items<Goal>("goal").sort((a, b) => b.created_at.localeCompare(a.created_at));
  const [title, setTitle] = useState("");
  const [category, setCategory] = useState<Goal["category"]>("learning");
  const [targetDate, setTargetDate] = useState("");
  const [error, run, busy] = useAction();

  const add = () =>
    run(async () => {
      const body = { title: title.trim(), category, ...(targetDate ? { target_date: targetDate } : {}) };
      await createWithId("goal", "/api/goals", body, { description: "", status: "active", target_date: null, completed_at: null });
      setTitle("");
      setTargetDate("");
    });

  return (
    <>
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
        {goals.length === 0 ? <EmptyList>No goals yet.</EmptyList> : (
          <ul class="items">{goals.map((goal) => <GoalItem key={goal.id} goal={goal} />)}</ul>
        )}
      </Section>
    </>
  );
}

function GoalItem({ goal }: { goal: Goal }) {
  const { error, busy, complete, remove } = useItemActions("goal", "/api/goals", goal);
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
          <button type="button" disabled={busy} onClick={() => void complete({ status: "completed" })}>Complete {goal.title}</button>
        )}
        <button type="button" class="danger" disabled={busy} onClick={(event) => void remove(event.currentTarget)}>Delete {goal.title}</button>
      </div>
      <Alert message={error} />
    </li>
  );
}
