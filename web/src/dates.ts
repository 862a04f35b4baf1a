// Calendar days as the API counts them: `YYYY-MM-DD` in the user's time zone, with the day
// starting at `day_start_hour` (a night owl's 1 a.m. still belongs to the day before).
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** The calendar day of `instant` in `timeZone`, shifted back by `dayStartHour` hours. */
export function localDay(timeZone: string, dayStartHour = 0, instant = Date.now()): string {
  const shifted = new Date(instant - dayStartHour * hourMs);
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(shifted);
  } catch {
    return shifted.toISOString().slice(0, 10);
  }
}

/** The day `days` after `day` (negative: before); pure calendar arithmetic, no time zone. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

/** Monday 0 … Sunday 6. */
export function weekday(day: string): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A `datetime-local` input's value (browser-local wall time) as an RFC 3339 UTC instant. */
export function localInputToInstant(value: string): string {
  return new Date(value).toISOString();
}
