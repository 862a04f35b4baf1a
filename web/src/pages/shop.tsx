// The rewards shop: rewards the user set for themselves, bought with coins. A redeem the coins
// do not cover is refused by the API (`409 insufficient_coins`); its message is shown as is.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { isQueued, useLoaded, useWorkspace } from "../session";
import { Alert, Field, FormCard, Loading, Section, useAction } from "../ui";

type Reward = Schemas["Reward"];

export function ShopPage() {
  const { client, write, progress, cursor, announce } = useWorkspace();
  // Rewards are not in the sync feed: a moved cursor or coin balance (another tab's redeem)
  // reloads them.
  const rewards = useLoaded("rewards", async () => (await client.get("/api/rewards", { params: { query: { limit: 200 } } })).items,
    [cursor, progress?.coins]);
  const [title, setTitle] = useState("");
  const [cost, setCost] = useState("50");
  const [error, run, busy] = useAction();

  const add = () =>
    run(async () => {
      const result = await write<Reward>("POST", "/api/rewards", { title: title.trim(), cost: Number(cost) });
      if (!isQueued(result)) rewards.set([result, ...(rewards.value ?? []).filter((reward) => reward.id !== result.id)]);
      setTitle("");
    });

  const redeem = (reward: Reward) =>
    run(async () => {
      const result = await write<Schemas["Redemption"]>("POST", `/api/rewards/${reward.id}/redeem`);
      if (isQueued(result)) return;
      announce([`Redeemed ${result.reward.title}: −${result.coins_spent} coins`]);
      rewards.set((rewards.value ?? []).map((listed) => (listed.id === reward.id ? result.reward : listed)));
    });

  if (rewards.value === undefined && !rewards.error) return <Loading />;
  const listed = rewards.value ?? [];

  return (
    <>
      <p class="lead">{progress ? `You have ${progress.coins} ${progress.coins === 1 ? "coin" : "coins"} to spend.` : ""}</p>
      <Alert message={error} />
      <Section title="Rewards">
        <Alert message={rewards.error} />
        {listed.length === 0 ? (
          <p class="muted">No rewards yet: add something worth working for below.</p>
        ) : (
          <ul class="items">
            {listed.map((reward) => (
              <li key={reward.id} class="item">
                <div class="item-head">
                  <h3>{reward.title}</h3>
                  <p class="meta">
                    <span>{reward.cost} coins</span>
                    <span>Redeemed {reward.times_redeemed}×</span>
                  </p>
                </div>
                <div class="actions">
                  <button type="button" disabled={busy} onClick={() => void redeem(reward)}>Redeem {reward.title}</button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <FormCard title="New reward" onSubmit={() => void add()}>
        <div class="row">
          <Field label="Reward title" required maxLength={200} value={title} onInput={setTitle} />
          <Field label="Cost" type="number" min={1} max={100000} required value={cost} onInput={setCost} />
        </div>
        <button type="submit" disabled={busy}>Add reward</button>
      </FormCard>
    </>
  );
}
