// The sign-in page: a button per provider the API lists, and the dev sign-in where it is on.
import { useEffect, useState } from "preact/hooks";
import { createClient, type PassionClient, type Schemas } from "@passion-edge/client";
import { markSignedIn } from "../mark";
import { Alert, Field, FormCard, PageHeading, useAction } from "../ui";

type Provider = "google" | "azure" | "dev";

const providerNames: Record<Exclude<Provider, "dev">, string> = { google: "Google", azure: "Microsoft" };

export function SignInPage({ onSignedIn }: { onSignedIn: (client: PassionClient, user: Schemas["User"]) => void }) {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [error, run, busy] = useAction();

  useEffect(() => {
    void run(async () => {
      const listed = await createClient({ baseUrl: "" }).get("/api/auth/providers");
      setProviders(listed.items);
    });
  }, []);

  const redirect = (provider: Exclude<Provider, "dev">) => {
    // The mark makes the page check the session when the provider sends the browser back.
    markSignedIn(true);
    location.assign(`/api/auth/signin/${provider}?redirect_to=/`);
  };

  const devSignIn = () =>
    run(async () => {
      const client = createClient({ baseUrl: "" });
      const session = await client.devSignIn({ email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      onSignedIn(client, session.user);
    });

  // The page appears with its options: a heading shown before them would offer nothing to click.
  if (providers === null && !error) {
    return <main class="page narrow"><p class="muted">Loading sign-in options…</p></main>;
  }

  return (
    <main class="page narrow">
      <PageHeading>Sign in</PageHeading>
      <p class="lead">Passion OS turns habits, goals, quests, workouts, books and focus time into XP, levels and coins.</p>
      <div class="stack">
        {providers?.filter((provider): provider is Exclude<Provider, "dev"> => provider !== "dev").map((provider) => (
          <button type="button" key={provider} class="wide" onClick={() => redirect(provider)}>
            Sign in with {providerNames[provider]}
          </button>
        ))}
      </div>
      {providers?.includes("dev") && (
        <FormCard title="Development sign-in" onSubmit={() => void devSignIn()}>
          <Field label="Email" type="email" autocomplete="email" required value={email} onInput={setEmail} />
          <Field label="Name" autocomplete="name" value={name} onInput={setName} />
          <button type="submit" disabled={busy}>Dev sign in</button>
        </FormCard>
      )}
      <Alert message={error} />
    </main>
  );
}
