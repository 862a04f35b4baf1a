// What an `award` in a response says to the user: its own XP and coins, a level-up, and each
// achievement it unlocked (by name, from the catalog; the id when the catalog is not loaded).
import type { Schemas } from "@passion-edge/client";

type Award = Schemas["Award"];

function signed(amount: number, unit: string): string {
  return `${amount < 0 ? "−" : "+"}${Math.abs(amount)} ${unit}`;
}

export function describeAward(award: Award, achievementNames: ReadonlyMap<string, string>): string[] {
  const lines: string[] = [];
  const amounts = [
    award.xp !== 0 ? signed(award.xp, "XP") : "",
    award.coins !== 0 ? signed(award.coins, award.coins === 1 || award.coins === -1 ? "coin" : "coins") : "",
  ].filter(Boolean);
  if (amounts.length) lines.push(amounts.join(", "));
  if (award.level_after > award.level_before) lines.push(`Level ${award.level_after}!`);
  for (const unlocked of award.achievements) {
    lines.push(`Achievement unlocked: ${achievementNames.get(unlocked.id) ?? unlocked.id}`);
  }
  return lines;
}
