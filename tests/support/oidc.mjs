// Two OpenID providers for the end-to-end tests, built on the npm package oauth2-mock-server:
// a Google-style one (fixed issuer) and an Entra-style one (issuer from the tenant template),
// plus a control port where a test plans what the provider says for one sign-in, keyed by the
// OAuth `state` so tests running in parallel never see each other's plans.
//
//   node oidc.mjs GOOGLE_PORT AZURE_PORT CONTROL_PORT
//   POST /plan {"state", "sub", "email", "name"?, "email_verified"?, "tid"?,
//               "claims"?: {claim: value}, "drop"?: [claim], "token_status"?: 500}
import http from "node:http";
import { OAuth2Server } from "oauth2-mock-server";

const [googlePort, azurePort, controlPort] = process.argv.slice(2).map(Number);
const plansByState = new Map();
const plansByCode = new Map();

async function provider(port, kind) {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  server.issuer.url = `http://127.0.0.1:${port}`;
  server.service.on("beforeAuthorizeRedirect", (redirect, req) => {
    const plan = plansByState.get(req.query.state);
    const code = redirect.url.searchParams.get("code");
    if (plan && code) plansByCode.set(code, plan);
  });
  server.service.on("beforeTokenSigning", (token, req) => {
    const isIdToken = token.payload.aud !== undefined && token.payload.scope === undefined;
    const plan = plansByCode.get(req.body.code);
    if (!isIdToken || !plan) return;
    const payload = token.payload;
    payload.sub = plan.sub;
    payload.email = plan.email;
    payload.email_verified = plan.email_verified ?? true;
    if (plan.name) payload.name = plan.name;
    if (kind === "azure") {
      payload.tid = plan.tid ?? "9188040d-6c67-4c5b-b112-36a304b66dad";
      payload.iss = `http://127.0.0.1:${port}/${payload.tid}/v2.0`;
    }
    Object.assign(payload, plan.claims ?? {});
    for (const claim of plan.drop ?? []) delete payload[claim];
  });
  server.service.on("beforeResponse", (response, req) => {
    const plan = plansByCode.get(req.body.code);
    if (plan?.token_status) {
      response.statusCode = plan.token_status;
      response.body = { error: "server_error" };
    }
  });
  await server.start(port, "127.0.0.1");
  return server;
}

await provider(googlePort, "google");
await provider(azurePort, "azure");

http
  .createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/plan") {
        const plan = JSON.parse(body);
        plansByState.set(plan.state, plan);
        res.writeHead(204).end();
      } else {
        res.writeHead(req.url === "/ready" ? 200 : 404).end();
      }
    });
  })
  .listen(controlPort, "127.0.0.1");
