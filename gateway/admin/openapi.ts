/**
 * `GET /admin/openapi.json`: the OpenAPI 3.1 description of the admin API, the metrics and the
 * health endpoints (gateway-protocol.md §3). Hand-written; a unit test checks that every route
 * the admin router registers is described here, and nothing else under /admin.
 */
import type { Router } from "express";
import { ADMIN_AUDIENCE } from "./admin-auth.js";

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: Json): Json => ({ "application/json": { schema } });

/** An error reply with the codes a route can give under that status. */
const errorReply = (description: string): Json => ({ description, content: jsonContent(ref("Error")) });

/** The errors every admin call can give (auth, body, store, internal). */
const COMMON_ERRORS: Record<string, Json> = {
  "401": errorReply("`unauthorized`: missing or invalid bearer JWT (JWT mode)"),
  "403": errorReply("`forbidden`: dev mode (no ADMIN_JWT_SECRET / ADMIN_JWKS_URL) and the caller is not on loopback"),
  "500": errorReply("`internal_error`"),
  "503": errorReply("`store_unavailable`: the certificate store cannot be written (nothing changed); `auth_unavailable`: the JWKS cannot be fetched"),
};
const BODY_ERRORS: Record<string, Json> = {
  "400": errorReply("`invalid_request` (names the field), `invalid_json`"),
  "413": errorReply("`payload_too_large`: the JSON body exceeds 16 KiB"),
  "415": errorReply("`unsupported_media_type`"),
};

interface Op {
  readonly summary: string;
  readonly body?: Json;
  readonly ok: { readonly status: string; readonly description: string; readonly schema?: Json };
  readonly errors?: Record<string, Json>;
  readonly params?: readonly Json[];
}

function op(tag: string, o: Op): Json {
  const responses: Record<string, Json> = {
    [o.ok.status]: o.ok.schema === undefined ? { description: o.ok.description } : { description: o.ok.description, content: jsonContent(o.ok.schema) },
    ...COMMON_ERRORS,
    ...(o.body === undefined ? {} : BODY_ERRORS),
    ...o.errors,
  };
  return {
    tags: [tag],
    summary: o.summary,
    ...(o.params === undefined ? {} : { parameters: o.params }),
    ...(o.body === undefined ? {} : { requestBody: { required: true, content: jsonContent(o.body) } }),
    responses,
  };
}

const appIdParam: Json = { name: "appId", in: "path", required: true, schema: { type: "string" }, description: "The App ID (32 hex characters)" };
const notFound = errorReply("`project_not_found`");
const lifecycle = (summary: string, errors: Record<string, Json>): Json =>
  op("certificates", {
    summary,
    params: [appIdParam],
    ok: { status: "200", description: "the project after the step", schema: ref("Project") },
    errors: { "404": notFound, ...errors },
  });
const conflict = (codes: string): Record<string, Json> => ({ "409": errorReply(codes) });
const secondaryMissing: Record<string, Json> = { "404": errorReply("`project_not_found`, `secondary_not_found`") };

const unixSeconds: Json = { type: "integer", description: "Unix seconds on the simulated clock" };

const SCHEMAS: Record<string, Json> = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", description: "stable snake_case code" },
          message: { type: "string", description: "human text; never a secret or a token" },
          field: { type: "string", description: "for invalid_request: the first offending field" },
        },
      },
    },
  },
  Certificate: {
    type: ["object", "null"],
    required: ["value", "status", "enabledAt", "activeAt"],
    properties: {
      value: { type: "string", pattern: "^[0-9a-f]{32}$" },
      status: { enum: ["pending", "active"] },
      enabledAt: unixSeconds,
      activeAt: unixSeconds,
    },
  },
  Project: {
    type: "object",
    required: ["appId", "mode", "noCertificate", "certificates"],
    properties: {
      appId: { type: "string" },
      mode: { enum: ["appid", "either", "token"], description: "at the simulated clock's now" },
      noCertificate: { type: "boolean", description: 'the console\'s "No certificate" entry still exists' },
      certificates: {
        type: "object",
        required: ["primary", "secondary"],
        properties: { primary: ref("Certificate"), secondary: ref("Certificate") },
      },
    },
  },
  CreateProject: {
    type: "object",
    required: ["mechanism"],
    additionalProperties: false,
    properties: {
      mechanism: { enum: ["appid", "token"] },
      appId: { type: "string", pattern: "^[0-9a-fA-F]{32}$", description: "generated from a CSPRNG when absent" },
    },
  },
  MintToken: {
    type: "object",
    required: ["appId", "uid", "version", "expireSeconds"],
    additionalProperties: false,
    properties: {
      appId: { type: "string" },
      uid: { type: "string", minLength: 1 },
      version: { enum: ["006", "007"] },
      expireSeconds: { type: "integer", minimum: 0, maximum: 4294967295, description: "007: token and privilege lifetime; 006: privilege lifetime (0 = none), token 24 h" },
      certificate: { enum: ["primary", "secondary"], default: "primary" },
    },
  },
  MintedToken: {
    type: "object",
    required: ["token", "version", "expiresAt"],
    properties: { token: { type: "string" }, version: { enum: ["006", "007"] }, expiresAt: unixSeconds },
  },
  ExplainRequest: {
    type: "object",
    required: ["appId", "uid"],
    additionalProperties: false,
    properties: {
      appId: { type: "string" },
      uid: { type: "string" },
      token: { type: ["string", "null"], description: "null, empty or absent: an App ID login" },
      profile: { enum: ["rtm1", "rtm2"], default: "rtm1" },
    },
  },
  Explanation: {
    type: "object",
    required: ["decision", "reason", "code", "name", "failedCheck", "detail", "mode", "credential", "slot", "expiresAt", "token", "now"],
    properties: {
      decision: { enum: ["accept", "refuse"] },
      reason: { type: "string", description: "the reason vocabulary of gateway-protocol.md §1" },
      code: { type: ["integer", "null"] },
      name: { type: ["string", "null"] },
      failedCheck: { type: ["string", "null"] },
      detail: { type: ["string", "null"] },
      mode: { enum: ["appid", "either", "token", null] },
      credential: { enum: ["appid", "token"] },
      slot: { enum: ["primary", "secondary", null] },
      expiresAt: { type: ["integer", "null"] },
      token: { type: ["object", "null"], description: "decoded fields, no signature" },
      now: unixSeconds,
    },
  },
  Session: {
    type: "object",
    required: ["sessionId", "appId", "uid", "profile", "credential", "tokenVersion", "slot", "expiresAt", "loggedInAt"],
    properties: {
      sessionId: { type: "string" },
      appId: { type: "string" },
      uid: { type: "string" },
      profile: { enum: ["rtm1", "rtm2"] },
      credential: { enum: ["appid", "token"] },
      tokenVersion: { enum: ["006", "007", null] },
      slot: { enum: ["primary", "secondary", null] },
      expiresAt: { type: ["integer", "null"] },
      loggedInAt: unixSeconds,
    },
  },
  Clock: {
    type: "object",
    required: ["now", "frozen"],
    properties: { now: unixSeconds, frozen: { type: "boolean" } },
  },
  SetClock: {
    type: "object",
    additionalProperties: false,
    properties: { now: { type: "number", minimum: 0 }, frozen: { type: "boolean" } },
  },
  AdvanceClock: {
    type: "object",
    required: ["seconds"],
    additionalProperties: false,
    properties: { seconds: { type: "number", description: "may be negative or fractional" } },
  },
};

/** The OpenAPI 3.1 document. */
export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "rtm-auth-gateway admin API",
    version: "1",
    description:
      "The admin API of rtm-auth-gateway (gateway-protocol.md §3). With ADMIN_JWT_SECRET (HS256) or ADMIN_JWKS_URL (RS256/ES256/EdDSA) set, " +
      `every /admin call needs a bearer JWT with audience "${ADMIN_AUDIENCE}" and an exp; with neither, only loopback callers are served.`,
  },
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    schemas: SCHEMAS,
  },
  paths: {
    "/admin/projects": {
      post: op("projects", {
        summary: "Create a project: `appid` → App ID only; `token` → primary certificate enabled, token only",
        body: ref("CreateProject"),
        ok: { status: "201", description: "the new project", schema: ref("Project") },
        errors: { "400": errorReply("`invalid_request`, `invalid_json`, `invalid_app_id`"), "409": errorReply("`project_exists`") },
      }),
      get: op("projects", {
        summary: "List every project",
        ok: { status: "200", description: "the projects, in App ID order", schema: { type: "object", required: ["projects"], properties: { projects: { type: "array", items: ref("Project") } } } },
      }),
    },
    "/admin/projects/{appId}": {
      get: op("projects", { summary: "One project", params: [appIdParam], ok: { status: "200", description: "the project", schema: ref("Project") }, errors: { "404": notFound } }),
    },
    "/admin/projects/{appId}/certificates/primary": {
      post: lifecycle("Enable the primary certificate (first time only); pending until now + CERT_ACTIVATION_DELAY_SECONDS", conflict("`primary_exists`")),
      delete: {
        tags: ["certificates"],
        summary: "Never allowed: a primary certificate cannot be deleted (swap it to secondary first)",
        parameters: [appIdParam],
        responses: { "409": errorReply("`primary_not_deletable` (always, for an existing project)"), "404": notFound, ...COMMON_ERRORS },
      },
    },
    "/admin/projects/{appId}/certificates/secondary": {
      post: lifecycle("Enable a new secondary certificate; pending until now + CERT_ACTIVATION_DELAY_SECONDS", conflict("`primary_required`, `secondary_exists`")),
      delete: lifecycle("Delete the secondary certificate; tokens it signed stop verifying", secondaryMissing),
    },
    "/admin/projects/{appId}/certificates/swap": {
      post: lifecycle("Swap the primary and the secondary certificate", secondaryMissing),
    },
    "/admin/projects/{appId}/no-certificate": {
      delete: lifecycle('Delete "No certificate" (irreversible); the mode becomes `token`', conflict("`primary_not_active`, `no_certificate_deleted`")),
    },
    "/admin/tokens": {
      post: op("tokens", {
        summary: "Mint an RTM login token, issued at the simulated now with a random salt",
        body: ref("MintToken"),
        ok: { status: "200", description: "the token", schema: ref("MintedToken") },
        errors: { "404": errorReply("`project_not_found`, `secondary_not_found`"), "409": errorReply("`primary_required`") },
      }),
    },
    "/admin/explain": {
      post: op("explain", {
        summary: "The decision and reason a login would get now, with the decoded token",
        body: ref("ExplainRequest"),
        ok: { status: "200", description: "the explanation", schema: ref("Explanation") },
      }),
    },
    "/admin/sessions": {
      get: op("sessions", {
        summary: "Live sessions of this gateway",
        params: [
          { name: "appId", in: "query", required: false, schema: { type: "string" } },
          { name: "uid", in: "query", required: false, schema: { type: "string" } },
        ],
        ok: { status: "200", description: "the sessions", schema: { type: "object", required: ["sessions"], properties: { sessions: { type: "array", items: ref("Session") } } } },
        errors: { "400": errorReply("`invalid_request`") },
      }),
    },
    "/admin/sessions/{sessionId}": {
      delete: op("sessions", {
        summary: "Kick a session: its client sees the ban, the socket closes with 4502",
        params: [{ name: "sessionId", in: "path", required: true, schema: { type: "string" } }],
        ok: { status: "204", description: "kicked" },
        errors: { "404": errorReply("`session_not_found`") },
      }),
    },
    "/admin/clock": {
      get: op("clock", { summary: "The simulated clock", ok: { status: "200", description: "the clock", schema: ref("Clock") } }),
      put: op("clock", { summary: "Set and/or freeze the simulated clock (freeze first, then set)", body: ref("SetClock"), ok: { status: "200", description: "the clock", schema: ref("Clock") } }),
    },
    "/admin/clock/advance": {
      post: op("clock", { summary: "Move the simulated clock; due session timers fire before the reply", body: ref("AdvanceClock"), ok: { status: "200", description: "the clock", schema: ref("Clock") } }),
    },
    "/admin/reset": {
      post: op("reset", { summary: "Back to the start state: no projects, the clock at real time", ok: { status: "204", description: "reset" } }),
    },
    "/admin/openapi.json": {
      get: op("meta", { summary: "This document", ok: { status: "200", description: "OpenAPI 3.1", schema: { type: "object" } } }),
    },
    "/metrics": {
      get: {
        tags: ["operations"],
        summary: "Prometheus metrics (text exposition format); no admin auth",
        security: [],
        responses: { "200": { description: "metrics", content: { "text/plain": { schema: { type: "string" } } } } },
      },
    },
    "/healthz": {
      get: {
        tags: ["operations"],
        summary: "The process is alive",
        security: [],
        responses: { "200": { description: "alive", content: jsonContent({ type: "object", properties: { status: { const: "ok" } } }) } },
      },
    },
    "/readyz": {
      get: {
        tags: ["operations"],
        summary: "Ready to decide logins (503 while the certificate store cannot be read)",
        security: [],
        responses: {
          "200": { description: "ready", content: jsonContent({ type: "object", properties: { status: { const: "ready" } } }) },
          "503": { description: "not ready", content: jsonContent({ type: "object", properties: { status: { const: "not_ready" } } }) },
        },
      },
    },
  },
} as const satisfies { readonly [k: string]: Json };

export function openapiRoutes(router: Router): void {
  router.get("/openapi.json", (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });
}
