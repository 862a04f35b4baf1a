// The two ways a call fails: the API answered with its error envelope (ApiError), or no answer
// came at all (NetworkError, what an offline queue waits out).
import type { components } from "./schema";

export type ErrorType = components["schemas"]["Error"]["error"]["type"];

/** The API's error envelope `{"error": {type, message, status, request_id, fields?}}` as an Error. */
export class ApiError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  readonly requestId: string | null;
  /** Body field (dotted path for nested ones) → what is wrong with it. */
  declare readonly fields?: Record<string, string>;
  /** From `Retry-After` (on `429 rate_limited`). */
  declare readonly retryAfterSeconds?: number;

  constructor(init: {
    type: ErrorType;
    message: string;
    status: number;
    requestId: string | null;
    fields?: Record<string, string>;
    retryAfterSeconds?: number;
  }) {
    super(init.message);
    this.name = "ApiError";
    this.type = init.type;
    this.status = init.status;
    this.requestId = init.requestId;
    // Absent, not undefined, when the answer had none (`declare` keeps the fields off the object).
    if (init.fields) Object.assign(this, { fields: init.fields });
    if (init.retryAfterSeconds !== undefined) Object.assign(this, { retryAfterSeconds: init.retryAfterSeconds });
  }
}

/** The request never got an answer: offline, DNS, a dropped connection. */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NetworkError";
  }
}

// A body that is not the envelope (a proxy's error page) still gets the type its status means.
const typeOfStatus: Record<number, ErrorType> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  410: "sync_reset",
  413: "payload_too_large",
  415: "unsupported_media_type",
  416: "range_not_satisfiable",
  429: "rate_limited",
  503: "unavailable",
};

/** The ApiError of a failed answer: `body` is its parsed JSON (or text), `headers` its headers if known. */
export function apiErrorOf(status: number, body: unknown, headers?: Headers): ApiError {
  const envelope = (body as { error?: Partial<components["schemas"]["Error"]["error"]> } | null)?.error;
  const retryAfter = Number(headers?.get("retry-after") ?? NaN);
  return new ApiError({
    type: envelope?.type ?? typeOfStatus[status] ?? "internal",
    message: envelope?.message ?? (typeof body === "string" && body ? body : `HTTP ${status}`),
    status: envelope?.status ?? status,
    requestId: envelope?.request_id ?? headers?.get("x-request-id") ?? null,
    ...(envelope?.fields ? { fields: envelope.fields } : {}),
    ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
  });
}
