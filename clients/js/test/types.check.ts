// Compiled by `tsc --noEmit` (scripts/check-types.mjs), never run: the helpers' types follow
// openapi.yaml, so a wrong path, body or result is a compile error here.
import { createClient, createSync, type Schemas } from "../src/index";

const client = createClient({ baseUrl: "http://127.0.0.1:8787" });

export async function helpersAreTypedByTheContract() {
  const habit: Schemas["Habit"] = await client.post("/api/habits", { body: { title: "Read", category: "learning" } });
  const completion = await client.post("/api/habits/{id}/complete", { params: { path: { id: habit.id } } });
  const xp: number | undefined = completion.award?.xp;
  const listed: Schemas["Habit"][] = (await client.get("/api/habits")).items;
  const removed: undefined = await client.del("/api/tokens/{id}", { params: { path: { id: habit.id } } });
  // @ts-expect-error: `category` is required by NewHabit
  await client.post("/api/habits", { body: { title: "Read" } });
  // @ts-expect-error: no such route
  await client.get("/api/nowhere");
  // @ts-expect-error: a path parameter is required
  await client.get("/api/habits/{id}");
  return { xp, listed, removed };
}

export function syncItemsAreTypedByEntity() {
  const sync = createSync(client);
  const habits: Map<string, Schemas["Habit"]> = sync.state.items.habit;
  const theme: Schemas["Settings"]["theme"] | undefined = [...sync.state.items.settings.values()][0]?.theme;
  return { habits, theme };
}
