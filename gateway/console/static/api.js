// The console's one way to the admin API (docs/console.md, "Auth"). Every call is a same-origin
// fetch of /admin/… with JSON; in JWT mode it carries `Authorization: Bearer <token>`, the token
// kept in this tab's sessionStorage only (gone when the tab closes). No cookie is set or sent
// (`credentials: "omit"`). A 401 makes the console forget a refused token and show the token
// prompt; a 403 `forbidden` is dev mode refusing a caller that is not on loopback.

const TOKEN_KEY = "rtm-auth-console.admin-token";

/** A refusal of the admin API: its HTTP status and stable `code` (e.g. `project_not_found`). */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string | undefined} field */
  constructor(status, code, message, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/**
 * Where the console stands with the admin API:
 * - `unknown`: no call answered yet;
 * - `ok`: calls are answered;
 * - `token_needed`: the admin API wants a bearer token (JWT mode) and has none, or refused ours;
 * - `forbidden`: dev mode refuses this browser (not on loopback, or not addressed as localhost).
 * @type {{ state: "unknown" | "ok" | "token_needed" | "forbidden", message: string }}
 */
let auth = { state: "unknown", message: "" };
const listeners = new Set();

/** The auth state now. */
export function authState() {
  return auth;
}

/** Calls `fn(state)` on every auth change; returns the unsubscribe function. */
export function onAuthChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setAuth(state, message = "") {
  if (auth.state === state && auth.message === message) return;
  auth = { state, message };
  for (const fn of listeners) fn(auth);
}

/** The bearer token of this tab, or null. */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keeps `token` for this tab only (sessionStorage). */
export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Forgets the token and goes back to the prompt if the gateway wants one. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (auth.state === "ok") setAuth("unknown");
}

/** 32 random hex characters (works outside secure contexts too, unlike crypto.randomUUID). */
function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** How many times a store write is sent while its outcome is unknown (503 `outcome_unknown`). */
const WRITE_ATTEMPTS = 3;

/**
 * One admin call: `method` and `path` under /admin (e.g. "GET", "/projects"), an optional JSON body.
 * Resolves to the parsed JSON reply (undefined for 204); rejects with an ApiError carrying the admin
 * API's code, or `network_error` when the gateway cannot be reached. `write: true` sends an
 * Idempotency-Key and repeats the same request (same key) while the outcome is unknown.
 * @param {string} method @param {string} path @param {unknown} [body] @param {{ write?: boolean }} [options]
 */
export async function api(method, path, body, options = {}) {
  const headers = { accept: "application/json" };
  const token = getToken();
  if (token !== null && token !== "") headers["authorization"] = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (options.write) headers["idempotency-key"] = randomKey();
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(`/admin${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, "network_error", `the gateway did not answer (${err instanceof Error ? err.message : String(err)})`);
    }
    const text = await res.text();
    let parsed;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      setAuth("ok");
      return parsed;
    }
    const e = parsed && typeof parsed === "object" && parsed.error ? parsed.error : {};
    const error = new ApiError(res.status, typeof e.code === "string" ? e.code : "http_error", typeof e.message === "string" ? e.message : `HTTP ${res.status}`, e.field);
    if (res.status === 401) {
      // A refused token is forgotten: the prompt asks for another.
      if (token !== null) sessionStorage.removeItem(TOKEN_KEY);
      // The gateway's 401 names the check that failed (docs/admin-api-security.md): say it as it came.
      setAuth("token_needed", token !== null ? `The gateway refused that token (401 unauthorized): ${error.message}` : "");
    } else if (res.status === 403 && error.code === "forbidden") {
      setAuth("forbidden", error.message);
    } else {
      setAuth("ok");
    }
    if (options.write && res.status === 503 && error.code === "outcome_unknown" && attempt < WRITE_ATTEMPTS) {
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
      continue;
    }
    throw error;
  }
}

/** `?a=1&b=2` from the defined, non-empty entries of `params` ("" when none). */
export function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** The closed lists the forms offer (GET /console/meta.json: constants of the gateway, no data). */
let metaPromise = null;
export function meta() {
  metaPromise ??= fetch("/console/meta.json", { credentials: "omit" }).then((r) => r.json());
  return metaPromise;
}
