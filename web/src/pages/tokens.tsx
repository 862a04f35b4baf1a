// API tokens for extensions and scripts: created and revoked directly (a token is a secret, so it
// never waits in the offline queue); the token itself is shown once, right after it is made.
import { useState } from "preact/hooks";
import type { Schemas } from "@passion-edge/client";
import { formatInstant } from "../dates";
import { useLoaded, useWorkspace } from "../session";
import { Alert, Field, FormCard, Loading, Section, Select, useAction } from "../ui";

type ApiToken = Schemas["ApiToken"];

const scopes = [["write", "Read and write"], ["read", "Read only"]] as const;

export function TokensPage() {
  const { client } = useWorkspace();
  const loadTokens = async () => (await client.get("/api/tokens")).items;
  const tokens = useLoaded("tokens", loadTokens, []);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiToken["scope"]>("write");
  const [created, setCreated] = useState<{ id: string; name: string; token: string } | null>(null);
  const [error, run, busy] = useAction();

  const reload = async () => tokens.set(await loadTokens());

  const create = () =>
    run(async () => {
      const made = await client.post("/api/tokens", { body: { name: name.trim(), scope } });
      setCreated({ id: made.id, name: made.name, token: made.token });
      setName("");
      await reload();
    });

  const revoke = (token: ApiToken) =>
    run(async () => {
      await client.del("/api/tokens/{id}", { params: { path: { id: token.id } } });
      if (created?.id === token.id) setCreated(null);
      await reload();
    });

  if (tokens.value === undefined && !tokens.error) return <Loading />;
  const listed = tokens.value ?? [];

  return (
    <>
      <p class="lead">A token lets a browser extension or a script use the API as you: send it as <code>Authorization: Bearer …</code>.</p>
      <FormCard title="New token" onSubmit={() => void create()}>
        <div class="row">
          <Field label="Token name" required maxLength={100} value={name} onInput={setName} />
          <Select label="Scope" value={scope} onChange={(value) => setScope(value as ApiToken["scope"])} options={scopes} />
        </div>
        <button type="submit" disabled={busy}>Create token</button>
      </FormCard>
      {created && (
        <section class="card notice" aria-label="New token">
          <p>Copy the token <strong>{created.name}</strong> now: it is not shown again.</p>
          <p><code class="secret">{created.token}</code></p>
        </section>
      )}
      <Alert message={error ?? tokens.error} />
      <Section title="Token list">
        {listed.length === 0 ? <p class="muted">No tokens.</p> : (
          <ul class="items">
            {listed.map((token) => (
              <li key={token.id} class="item">
                <div class="item-head">
                  <h3>{token.name}</h3>
                  <p class="meta">
                    <span>{token.scope === "read" ? "Read only" : "Read and write"}</span>
                    <span>Created {formatInstant(token.created_at)}</span>
                    <span>{token.last_used_at ? `Last used ${formatInstant(token.last_used_at)}` : "Never used"}</span>
                    {token.expires_at && <span>Expires {formatInstant(token.expires_at)}</span>}
                  </p>
                </div>
                <div class="actions">
                  <button type="button" class="danger" disabled={busy} onClick={() => void revoke(token)}>Revoke {token.name}</button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
