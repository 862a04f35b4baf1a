// The API client: openapi-fetch calls typed from openapi.yaml, with one middleware that carries
// the credentials (the session cookie plus its CSRF token, or a bearer token) and the D1
// bookmark, and helpers that unwrap `{data}` or throw ApiError / NetworkError.
import createFetchClient, {
  type Client,
  type ClientPathsWithMethod,
  type MaybeOptionalInit,
  type MethodResponse,
  type Middleware,
} from "openapi-fetch";
import { NetworkError, apiErrorOf } from "./errors";
import { newId } from "./id";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Session = Schemas["SessionEnvelope"]["data"];

export interface ClientOptions {
  /** "" (the default) in the web app, same origin; "http://127.0.0.1:8787" in a script. */
  baseUrl?: string;
  /** An API token (`pat_…`): bearer mode, no cookie and no CSRF token. */
  token?: string;
  /** The fetch to call (a test's cookie jar, an extension's own). */
  fetch?: typeof fetch;
}

type Method = "get" | "post" | "put" | "patch" | "delete";
type Api = Client<paths>;
type PathOf<M extends Method> = ClientPathsWithMethod<Api, M>;
type Init<M extends Method, P extends PathOf<M>> = MaybeOptionalInit<paths[P], M>;
type InitArgs<M extends Method, P extends PathOf<M>> =
  undefined extends Init<M, P> ? [init?: Init<M, P>] : [init: Init<M, P>];
/** What a helper resolves with: the success body's `data` (undefined for a 204). */
export type DataOf<M extends Method, P extends PathOf<M>> =
  [MethodResponse<Api, M, P>] extends [never]
    ? undefined
    : MethodResponse<Api, M, P> extends { data: infer D }
      ? D
      : undefined;

type Helper<M extends Method> = <P extends PathOf<M>>(path: P, ...init: InitArgs<M, P>) => Promise<DataOf<M, P>>;

export interface PassionClient {
  /** Raw typed calls (`{data, error, response}`), the middleware already applied. */
  readonly api: Api;
  readonly baseUrl: string;
  readonly mode: "cookie" | "bearer";
  get: Helper<"get">;
  post: Helper<"post">;
  put: Helper<"put">;
  patch: Helper<"patch">;
  del: Helper<"delete">;
  /** `GET /api/auth/session`, caching its CSRF token; null when signed out (401). */
  session(): Promise<Session | null>;
  /** `POST /api/auth/dev/signin` (only where DEV_AUTH is on); caches the CSRF token. */
  devSignIn(body: Schemas["DevSignIn"]): Promise<Session>;
  /** Ends this session (with a token: revokes it). */
  signOut(): Promise<void>;
  /** Ends every session and token of the user. */
  signOutEverywhere(): Promise<void>;
  newId(): string;
}

const writeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

async function errorTypeOf(response: Response): Promise<string | undefined> {
  try {
    return (await response.clone().json())?.error?.type;
  } catch {
    return undefined;
  }
}

/** What a write gets when the cookie no longer holds this client's session (signed out, or
 * signed in as another user in another tab): the API's own 401, so callers and the sync engine
 * treat it as any sign-out. */
function signedOutAnswer(requestId: string | null): Response {
  const error = { type: "unauthorized", message: "This session ended: sign in again.", status: 401, request_id: requestId };
  return new Response(JSON.stringify({ error }), { status: 401, headers: { "content-type": "application/json" } });
}

export function createClient(options: ClientOptions = {}): PassionClient {
  const baseUrl = (options.baseUrl ?? "").replace(/\/$/, "");
  const token = options.token;
  const api = createFetchClient<paths>({
    baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // Bearer mode sends no cookie, so a browser session cannot turn its requests into
    // cookie requests that would then need a CSRF token.
    credentials: token ? "omit" : "include",
  });

  let csrf: string | null = null;
  let csrfLoading: Promise<string | null> | null = null;
  // The user this client acts for: the one its own session()/devSignIn() last answered (or,
  // before either, the first session it read). A token is only ever taken from this user's
  // session, so a sign-in as someone else in another tab cannot turn this tab's writes into theirs.
  let userId: string | null = null;
  let bookmark: string | null = null;
  // Cookie-mode writes, kept until answered, to send again once after a `403 csrf_failed`.
  const resendable = new Map<string, Request>();

  const noteBookmark = (response: Response) => {
    bookmark = response.headers.get("x-d1-bookmark") ?? bookmark;
  };
  const adopt = (current: Session) => {
    csrf = current.csrf_token;
    userId = current.user.id;
  };
  /** This user's CSRF token, read from the session the cookie holds now; null when the cookie
   * holds no session or another user's. */
  const loadCsrf = () =>
    (csrfLoading ??= readSession()
      .then((current) => {
        if (!current || (userId !== null && current.user.id !== userId)) return null;
        adopt(current);
        return csrf;
      })
      .finally(() => {
        csrfLoading = null;
      }));

  const credentials: Middleware = {
    async onRequest({ request, schemaPath, id }) {
      if (bookmark) request.headers.set("x-d1-bookmark", bookmark);
      if (token) {
        request.headers.set("authorization", `Bearer ${token}`);
      } else if (writeMethods.has(request.method) && schemaPath !== "/api/auth/dev/signin") {
        const value = csrf ?? (await loadCsrf());
        if (!value && userId !== null) return signedOutAnswer(null);
        if (value) request.headers.set("x-csrf-token", value);
        resendable.set(id, request.clone());
      }
      return request;
    },
    async onResponse({ response, id, options: merged }) {
      noteBookmark(response);
      const copy = resendable.get(id);
      resendable.delete(id);
      // The session changed under a cached token (a sign-in in another tab): read it again, and
      // send once more only if it is still this client's user.
      if (copy && response.status === 403 && (await errorTypeOf(response)) === "csrf_failed") {
        csrf = null;
        const value = await loadCsrf();
        if (!value) return signedOutAnswer(response.headers.get("x-request-id"));
        copy.headers.set("x-csrf-token", value);
        try {
          const again = await merged.fetch(copy);
          noteBookmark(again);
          return again;
        } catch (error) {
          throw new NetworkError(`${copy.method} ${copy.url} failed`, { cause: error });
        }
      }
      return response;
    },
    onError({ request, error, id }) {
      resendable.delete(id);
      // fetch rejects with a TypeError when there is no answer; an abort stays an abort.
      if (error instanceof TypeError) {
        return new NetworkError(`${request.method} ${request.url} failed`, { cause: error });
      }
    },
  };
  api.use(credentials);

  const helper =
    <M extends Method>(method: Uppercase<M>): Helper<M> =>
    async (path, ...init) => {
      const call = api[method] as (path: string, init?: unknown) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
      const { data, error, response } = await call(path, init[0]);
      if (!response.ok) throw apiErrorOf(response.status, error, response.headers);
      return (data as { data?: unknown } | undefined)?.data as never;
    };

  /** The session the cookie holds now, changing nothing. */
  async function readSession(): Promise<Session | null> {
    const { data, error, response } = await api.GET("/api/auth/session");
    if (response.status === 401) return null;
    if (!data) throw apiErrorOf(response.status, error, response.headers);
    return data.data;
  }

  async function session(): Promise<Session | null> {
    const current = await readSession();
    if (current) adopt(current);
    else csrf = userId = null;
    return current;
  }

  async function devSignIn(body: Schemas["DevSignIn"]): Promise<Session> {
    const { data, error, response } = await api.POST("/api/auth/dev/signin", { body });
    if (!data) throw apiErrorOf(response.status, error, response.headers);
    adopt(data.data);
    return data.data;
  }

  async function end(path: "/api/auth/signout" | "/api/auth/signout-all"): Promise<void> {
    const { error, response } = await api.POST(path);
    // Already signed out is what was asked for.
    if (!response.ok && response.status !== 401) throw apiErrorOf(response.status, error, response.headers);
    csrf = userId = null;
  }

  return {
    api,
    baseUrl,
    mode: token ? "bearer" : "cookie",
    get: helper("GET"),
    post: helper("POST"),
    put: helper("PUT"),
    patch: helper("PATCH"),
    del: helper("DELETE"),
    session,
    devSignIn,
    signOut: () => end("/api/auth/signout"),
    signOutEverywhere: () => end("/api/auth/signout-all"),
    newId,
  };
}
