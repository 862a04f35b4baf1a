// Form controls that always carry their `<label for>`, and the error line every page shows in
// `role="alert"` with the API's own message.
import type { ComponentChildren, JSX } from "preact";
import { useId, useState } from "preact/hooks";
import { ApiError, type Schemas } from "@passion-edge/client";

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "id" | "label" | "value" | "onInput"> & {
  label: string;
  value: string;
  onInput: (value: string) => void;
};

export function Field({ label, value, onInput, ...rest }: InputProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} onInput={(event) => onInput(event.currentTarget.value)} {...rest} />
    </div>
  );
}

type SelectProps = {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: ReadonlyArray<readonly [value: string, text: string]>;
  disabled?: boolean;
};

export function Select({ label, value, onChange, options, disabled }: SelectProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} onChange={(event) => onChange(event.currentTarget.value)}>
        {options.map(([optionValue, text]) => <option key={optionValue} value={optionValue}>{text}</option>)}
      </select>
    </div>
  );
}

export function Alert({ message }: { message: string | null }) {
  return message ? <p class="alert" role="alert">{message}</p> : null;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.fields ? Object.entries(error.fields).map(([field, why]) => `${field}: ${why}`) : [];
    return [error.message, ...fields].join(" — ");
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs actions one at a time and keeps the last failure's message for an `<Alert>`. */
export function useAction(): [error: string | null, run: (action: () => Promise<unknown>) => Promise<boolean>, busy: boolean] {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(errorText(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [error, run, busy];
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  const id = useId();
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A form named by its heading (so the browser suite can find "New habit" by role). */
export function FormCard({ title, onSubmit, children }: { title: string; onSubmit: () => void; children: ComponentChildren }) {
  const id = useId();
  return (
    <form
      class="card form"
      aria-labelledby={id}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <h2 id={id}>{title}</h2>
      {children}
    </form>
  );
}

export type Skill = keyof Schemas["Progress"]["skills"];

// Every skill the API knows, once each, in the order the pages list them.
const skillSet = {
  health: true, fitness: true, learning: true, productivity: true,
  mindfulness: true, social: true, creativity: true, finance: true,
} as const satisfies Record<Skill, true>;

export const skills = Object.keys(skillSet) as Skill[];

export const skillOptions = skills.map((skill) => [skill, capitalize(skill)] as const);

export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).replaceAll("_", " ");
}

/** The page's one `<h1>`; focusable so a route change can move focus to it. */
export function PageHeading({ children }: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{children}</h1>;
}

/** A wide table's horizontal scroller: focusable and named, so a keyboard can scroll it too. */
export function Scroller({ label, children }: { label: string; children: ComponentChildren }) {
  return <div class="scroll" tabIndex={0} role="region" aria-label={label}>{children}</div>;
}

/** What a page shows under its heading until the data it is about has arrived; `aria-busy`
 * marks the page as not ready yet. */
export function Loading() {
  return <p class="muted" aria-busy="true">Loading…</p>;
}
