// Quests: a deadline and a reward of XP and coins, paid once on completion before the deadline.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { formatInstant, localInputToInstant } from "../dates";
import { EmptyList, useItemActions, useWorkspace } from "../session";
import { Alert, Field, FormCard, Section, Select, capitalize, skillOptions, useAction } from "../ui";

type Quest = Schemas["Quest"];

/** A `datetime-local` value a week from now, in the browser's wall time. */
function aWeekFromNow(): string {
  const date = new Date(Date.now() + 7 * 24 * 3_600_000);
  date.setMinutes(date.getMinutes() - date.getTimezoneOffset(), 0, 0);
  return date.toISOString().slice(0, 16);
}

export function QuestsPage() {
  const { items, createWithId } = useWorkspace();
  const quests = items<Quest>("quest").sort((a, b) => a.deadline.localeCompare(b.deadline));
  const [title, setTitle] = useState("");
  const [category, setCategory] = useState<Quest["category"]>("productivity");
  const [deadline, setDeadline] = useState(aWeekFromNow);
  const [xp, setXp] = useState("50");
  const [coins, setCoins] = useState("10");
  const [error, run, busy] = useAction();

  const add = () =>
    run(async () => {
      const body = {
        title: title.trim(),
        category,
        deadline: localInputToInstant(deadline),
        reward: { xp: Number(xp), coins: Number(coins) },
      };
      await createWithId("quest", "/api/quests", body, { description: "", status: "open", completed_at: null });
      setTitle("");
    });

  return (
    <>
      <FormCard title="New quest" onSubmit={() => void add()}>
        <div class="row">
          <Field label="Quest title" required maxLength={200} value={title} onInput={setTitle} />
          <Select label="Category" value={category} onChange={(value) => setCategory(value as Quest["category"])} options={skillOptions} />
          <Field label="Deadline" type="datetime-local" required value={deadline} onInput={setDeadline} />
          <Field label="Reward XP" type="number" min={0} max={1000} required value={xp} onInput={setXp} />
          <Field label="Reward coins" type="number" min={0} max={500} required value={coins} onInput={setCoins} />
        </div>
        <button type="submit" disabled={busy}>Add quest</button>
      </FormCard>
      <Alert message={error} />
      <Section title="Quest list">
        {quests.length === 0 ? <EmptyList>No quests yet.</EmptyList> : (
          <ul class="items">{quests.map((quest) => <QuestItem key={quest.id} quest={quest} />)}</ul>
        )}
      </Section>
    </>
  );
}

function QuestItem({ quest }: { quest: Quest }) {
  const { error, busy, complete, remove } = useItemActions("quest", "/api/quests", quest);
  return (
    <li class={quest.status === "completed" ? "item done" : "item"}>
      <div class="item-head">
        <h3>{quest.title}</h3>
        <p class="meta">
          <span>{capitalize(quest.status)}</span>
          <span>Deadline {formatInstant(quest.deadline)}</span>
          <span>Reward {quest.reward.xp} XP, {quest.reward.coins} coins</span>
          <span>{quest.category}</span>
        </p>
      </div>
      <div class="actions">
        {quest.status === "open" && (
          <button type="button" disabled={busy} onClick={() => void complete({ status: "completed" })}>Complete {quest.title}</button>
        )}
        <button type="button" class="danger" disabled={busy} onClick={(event) => void remove(event.currentTarget)}>Delete {quest.title}</button>
      </div>
      <Alert message={error} />
    </li>
  );
}
