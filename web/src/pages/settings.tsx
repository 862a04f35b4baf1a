// Settings: the theme applies (and saves) the moment it is picked; time zone, day start and
// vacation are saved together.
import { useEffect, useId, useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { applyTheme, type Theme } from "../theme";
import { isQueued, useWorkspace } from "../session";
import { Alert, Field, FormCard, Loading, Select, useAction } from "../ui";

type Settings = Schemas["Settings"];

const themes = [["system", "System"], ["light", "Light"], ["dark", "Dark"]] as const;
const hours = Array.from({ length: 24 }, (_, hour) => [String(hour), `${String(hour).padStart(2, "0")}:00`] as const);

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

export function SettingsPage() {
  const { items, write, client } = useWorkspace();
  const synced = items<Settings & { id: string }>("settings")[0];
  const [fetched, setFetched] = useState<Settings | null>(null);
  const settings = synced ?? fetched;
  const [theme, setTheme] = useState<Theme>((document.documentElement.dataset.theme as Theme) ?? "system");
  const [timezone, setTimezone] = useState("");
  const [dayStart, setDayStart] = useState("0");
  const [vacationUntil, setVacationUntil] = useState("");
  const [saved, setSaved] = useState("");
  const [error, run, busy] = useAction();
  const zonesId = useId();

  useEffect(() => {
    if (!synced) void run(async () => setFetched(await client.get("/api/settings")));
  }, []);

  // The form starts from the server's values once they are known.
  const loaded = settings !== null && settings !== undefined;
  useEffect(() => {
    if (!settings) return;
    setTheme(settings.theme);
    setTimezone(settings.timezone);
    setDayStart(String(settings.day_start_hour));
    setVacationUntil(settings.vacation_until ?? "");
  }, [loaded]);

  const pickTheme = (value: string) => {
    const picked = value as Theme;
    setTheme(picked);
    applyTheme(picked);
    void run(() => write("PATCH", "/api/settings", { theme: picked }));
  };

  const save = () =>
    run(async () => {
      setSaved("");
      const result = await write("PATCH", "/api/settings", {
        timezone: timezone.trim(),
        day_start_hour: Number(dayStart),
        vacation_until: vacationUntil || null,
      });
      setSaved(isQueued(result) ? "Saved offline: will sync." : "Settings saved.");
    });

  if (!loaded && !error) return <Loading />;

  return (
    <>
      <FormCard title="Preferences" onSubmit={() => void save()}>
        <div class="row">
          <Select label="Theme" value={theme} onChange={pickTheme} options={themes} />
          <Field label="Time zone" list={zonesId} autocomplete="off" required value={timezone} onInput={setTimezone} />
          <datalist id={zonesId}>{timeZones().map((zone) => <option key={zone} value={zone} />)}</datalist>
          <Select label="Day starts at" value={dayStart} onChange={setDayStart} options={hours} />
          <Field label="Vacation until" type="date" value={vacationUntil} onInput={setVacationUntil} />
        </div>
        <p class="muted">
          A day that starts later keeps late nights on the day before. Streaks do not break while on vacation
          {settings?.vacation_since ? ` (since ${settings.vacation_since})` : ""}; clear the date to end it.
        </p>
        <button type="submit" disabled={busy || !loaded}>Save</button>
        <p role="status" class="saved">{saved}</p>
      </FormCard>
      <Alert message={error} />
    </>
  );
}
