/**
 * `GET /admin/openapi.json`: the OpenAPI 3.1 description of the admin API, the metrics and the
 * health endpoints (docs/protocol.md, "Admin API"). Hand-written; a unit test checks that every route
 * the admin router registers is described here, and nothing else under /admin.
 */
import type { Router } from "express";
import { HINT_CODES } from "../../core/diagnostics/hint-codes.js";
import { REASONS } from "../../core/errors.js";
import { FAULT_OPS, MAX_FAULT_DELAY_MS } from "../../core/fault/fault-rule.js";
import { MAX_UID_PATTERN_LENGTH } from "../../core/fault/uid-pattern.js";
import { ADMIN_AUDIENCE } from "./admin-auth.js";
import { JOURNAL_OPS, JOURNAL_RESULTS } from "./journal.js";
import { MAX_POPULATE_PROJECTS } from "./populate.js";
import { FINAL_STEPS, MAX_HISTORY, ROLLOUT_ACTIONS, ROLLOUT_STATUSES, TRANSITION_CAUSES } from "../../core/rollout/rollout.js";
import { MAX_GUARDS, MAX_STAGE_SECONDS, MAX_STAGES } from "../migration/rollout-schema.js";

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: Json): Json => ({ "application/json": { schema } });

/** An error reply with the codes a route can give under that status. */
const errorReply = (description: string): Json => ({ description, content: jsonContent(ref("Error")) });

/** The errors every admin call can give (cross-site, auth, media type, store, internal; docs/admin-api-security.md). */
const COMMON_ERRORS: Record<string, Json> = {
  "401": errorReply("`unauthorized`: missing or invalid bearer JWT (JWT mode): bad signature or algorithm, no `exp`, expired, not yet valid, `iat` in the future, lifetime over ADMIN_JWT_MAX_LIFETIME_SECONDS, wrong issuer or audience"),
  "403": errorReply(
    "`cross_site_request`: an `Origin` other than the gateway's own (or `null`), or a `Sec-Fetch-Site` other than `same-origin` / `none` (any auth mode, checked first); " +
      "`forbidden`: dev mode (no ADMIN_JWT_SECRET / ADMIN_JWKS_URL) and the caller is not on loopback or the `Host` header does not name a loopback host",
  ),
  "415": errorReply("`unsupported_media_type`: a `Content-Type` other than `application/json`, or a body without `Content-Type`; a bodiless call needs none"),
  "500": errorReply("`internal_error`"),
  "503": errorReply(
    "`store_unavailable`: the certificate store cannot be written (nothing changed, and the write will not apply later); " +
      "`outcome_unknown`: the write was sent but its outcome could not be confirmed: it may or may not have been applied, read the project back before retrying, or retry with the same `Idempotency-Key` (docs/redis.md); " +
      "`auth_unavailable`: the JWKS cannot be fetched",
  ),
};
const BODY_ERRORS: Record<string, Json> = {
  "400": errorReply("`invalid_request` (names the field), `invalid_json`"),
  "413": errorReply("`payload_too_large`: the JSON body exceeds 16 KiB"),
  "415": errorReply("`unsupported_media_type`: the body must be `application/json` (a `charset` parameter is fine; only UTF-8)"),
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
/** The optional header of the store writes (gateway/admin/idempotency.ts). */
const idempotencyKeyParam: Json = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 255 },
  description:
    "1-255 visible ASCII characters (optionally double-quoted). The same key with the same method, path and body is applied at most once for 24 h (Redis store): a repeat after `outcome_unknown` or a lost reply answers with the project as it is now. With no `appId`, `POST /admin/projects` derives it from the key.",
};
const notFound = errorReply("`project_not_found`");
const lifecycle = (summary: string, errors: Record<string, Json>): Json =>
  op("certificates", {
    summary,
    params: [appIdParam, idempotencyKeyParam],
    ok: { status: "200", description: "the project after the step", schema: ref("Project") },
    errors: { "404": notFound, ...errors },
  });
const conflict = (codes: string): Record<string, Json> => ({ "409": errorReply(codes) });
/** `?dryRun=true` on the steps that cannot be undone (docs/migration.md). */
const dryRunParam: Json = {
  name: "dryRun",
  in: "query",
  required: false,
  schema: { type: "string", enum: ["true", "false"] },
  description:
    "Any other value or query parameter is a 400 `invalid_request`, never the real step. `true`: change nothing; run the step's own checks (a step that would be refused is refused the same way), then answer 200 with `{dryRun: true, step, wouldRefuse, wouldRefuseShare, reason, liveSessionsAffected, summary, windowSeconds, readiness}`",
};
const guardedStep = (summary: string, errors: Record<string, Json>): Json => {
  const o = lifecycle(summary, errors) as Record<string, Json> & { parameters: Json[] };
  return { ...o, parameters: [...o.parameters, dryRunParam] };
};
const rolloutsDisabled: Record<string, Json> = { "409": errorReply("`rollouts_disabled`: the gateway runs no rollout controller") };
const secondaryMissing: Record<string, Json> = { "404": errorReply("`project_not_found`, `secondary_not_found`") };

const unixSeconds: Json = { type: "integer", description: "Unix seconds on the simulated clock" };
const failureReasons: Json = REASONS.filter((r) => r !== "ok");
const faultOp: Json = { enum: [...FAULT_OPS] };
const hex32: Json = { type: "string", pattern: "^[0-9a-fA-F]{32}$" };

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
      shadow: { oneOf: [ref("ShadowTarget"), { type: "null" }], description: "the shadow target (docs/migration.md), null when none" },
      rollout: {
        type: ["object", "null"],
        description: "where the staged rollout stands (docs/rollouts.md), null when none was put",
        required: ["status", "stage", "stageName"],
        properties: { status: { enum: [...ROLLOUT_STATUSES] }, stage: { type: "integer", minimum: -1 }, stageName: { type: ["string", "null"] } },
      },
    },
  },
  ShadowTarget: {
    oneOf: [
      { type: "object", required: ["target"], additionalProperties: false, properties: { target: { enum: ["token_only"] } } },
      { type: "object", required: ["target", "slot"], additionalProperties: false, properties: { target: { enum: ["delete_certificate"] }, slot: { enum: ["primary", "secondary"] } } },
    ],
  },
  RolloutPlan: {
    type: "object",
    required: ["target", "stages"],
    additionalProperties: false,
    description: "A staged rollout of a migration step (docs/rollouts.md, \"The plan\"). Stage names are unique; a target deleting the primary certificate is refused.",
    properties: {
      target: ref("ShadowTarget"),
      stages: {
        type: "array",
        minItems: 1,
        maxItems: MAX_STAGES,
        items: {
          type: "object",
          required: ["name", "cohort", "minSeconds"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 64 },
            cohort: {
              oneOf: [
                {
                  type: "object",
                  required: ["percent"],
                  additionalProperties: false,
                  properties: { percent: { type: "number", exclusiveMinimum: 0, maximum: 100, description: "the uids whose stable bucket (FNV-1a of App ID, NUL, uid, mod 10000) is below percent × 100" } },
                },
                {
                  type: "object",
                  required: ["uidPattern"],
                  additionalProperties: false,
                  properties: { uidPattern: { type: "string", maxLength: MAX_UID_PATTERN_LENGTH, description: "a glob or /regex/, as fault rules take" } },
                },
              ],
            },
            minSeconds: { type: "integer", minimum: 0, maximum: MAX_STAGE_SECONDS, description: "least time on the simulated clock before the stage is left forward" },
            guards: {
              type: "array",
              maxItems: MAX_GUARDS,
              default: [],
              items: {
                type: "object",
                required: ["reason", "maxPercent", "minLogins"],
                additionalProperties: false,
                properties: {
                  reason: { enum: [...REASONS.filter((r) => r !== "ok"), "any"] },
                  maxPercent: { type: "number", minimum: 0, maximum: 100, description: "the refused share tolerated, percent" },
                  minLogins: { type: "integer", minimum: 1, description: "decisions needed before the guard judges" },
                  op: { enum: ["login", "renewToken", "any"], default: "login" },
                },
              },
            },
          },
        },
      },
      advance: { enum: ["auto", "manual"], default: "auto" },
      confirm: { enum: [...FINAL_STEPS], description: "the final step confirmed in advance: the rollout performs it by itself after the last stage; absent: it waits for `advance` with `{confirm}`" },
    },
  },
  RolloutView: {
    type: "object",
    required: ["appId", "plan", "status", "stage", "stageName", "revision", "startedAt", "stageStartedAt", "updatedAt", "stageMinUntil", "awaitingConfirmation", "finalStep", "counts", "guards", "history", "now"],
    properties: {
      appId: { type: "string" },
      plan: ref("RolloutPlan"),
      status: { enum: [...ROLLOUT_STATUSES] },
      stage: { type: "integer", minimum: -1, description: "the applied stage, 0-based; -1 none" },
      stageName: { type: ["string", "null"] },
      revision: { type: "integer", description: "+1 on every transition" },
      startedAt: unixSeconds,
      stageStartedAt: unixSeconds,
      updatedAt: unixSeconds,
      stageMinUntil: { type: ["integer", "null"], description: "when the applied stage's minSeconds ends" },
      awaitingConfirmation: { type: "boolean" },
      finalStep: { enum: [...FINAL_STEPS, null] },
      counts: {
        type: ["object", "null"],
        description: "the cohort's decisions of this stage visit (every gateway's, with Redis): {login, renewToken}, each {decisions, refused: {reason: n}}",
      },
      guards: {
        type: "array",
        items: {
          type: "object",
          required: ["reason", "maxPercent", "minLogins", "op", "decisions", "refused", "percent", "holds", "tripped"],
          properties: {
            reason: { type: "string" },
            maxPercent: { type: "number" },
            minLogins: { type: "integer" },
            op: { enum: ["login", "renewToken", "any"] },
            decisions: { type: "integer" },
            refused: { type: "integer" },
            percent: { type: "number" },
            holds: { type: "boolean" },
            tripped: { type: "boolean" },
          },
        },
      },
      history: { type: "array", maxItems: MAX_HISTORY, items: ref("RolloutTransition") },
      now: unixSeconds,
    },
  },
  RolloutTransition: {
    type: "object",
    required: ["at", "cause", "by", "fromStage", "toStage", "status", "revision"],
    properties: {
      at: unixSeconds,
      cause: { enum: [...TRANSITION_CAUSES] },
      by: { enum: ["operator", "controller"] },
      fromStage: { type: "integer" },
      toStage: { type: "integer" },
      status: { enum: [...ROLLOUT_STATUSES] },
      revision: { type: "integer" },
      trip: {
        type: "object",
        description: "the guard that tripped and its figures (cause guard)",
        properties: { guard: { type: "integer" }, reason: { type: "string" }, refused: { type: "integer" }, decisions: { type: "integer" }, percent: { type: "number" }, maxPercent: { type: "number" } },
      },
      note: { type: "string" },
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
    required: ["decision", "reason", "code", "name", "failedCheck", "detail", "mode", "credential", "slot", "expiresAt", "token", "hints", "shadow", "now"],
    properties: {
      decision: { enum: ["accept", "refuse"] },
      reason: { type: "string", description: "the reason vocabulary: docs/reasons.md" },
      code: { type: ["integer", "null"] },
      name: { type: ["string", "null"] },
      failedCheck: { type: ["string", "null"] },
      detail: { type: ["string", "null"] },
      mode: { enum: ["appid", "either", "token", null] },
      credential: { enum: ["appid", "token"] },
      slot: { enum: ["primary", "secondary", null] },
      expiresAt: { type: ["integer", "null"] },
      token: { type: ["object", "null"], description: "decoded fields, no signature" },
      hints: {
        type: "array",
        description: "diagnostic hints (docs/hints.md), computed after the decision and never part of it",
        items: { type: "object", required: ["code", "message"], properties: { code: { enum: [...HINT_CODES] }, message: { type: "string" } } },
      },
      shadow: {
        type: ["object", "null"],
        description: "the outcome against the project's shadow target (docs/migration.md), null when it has none",
        properties: { target: { enum: ["token_only", "delete_primary", "delete_secondary"] }, result: { enum: ["accepted", "refused"] }, reason: { type: "string" } },
      },
      cohort: {
        type: ["object", "null"],
        description: "the staged rollout stage whose cohort the uid is in (docs/rollouts.md): the decision was made against the rollout's target; null when none",
        properties: { revision: { type: "integer" }, stage: { type: "integer" }, stageName: { type: "string" } },
      },
      tokenId: {
        type: ["string", "null"],
        description: "the token's identity (docs/tokens.md, \"Token identity\"), as the journal records it; null without a decodable token",
      },
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
  FaultAction: {
    description:
      "What a fired rule does. `delay`: the request is decided `ms` later (frames after it on the connection wait behind it). " +
      "`fail`: refused with `reason` (default `fault_injected`), mapped to the profile's code. `never_reply`: swallowed; the client times out. " +
      "`drop`: the socket is destroyed without a close frame. `kick`: as banned — a live session ends with the ban sequence and 4502; " +
      "a login (or a request without a session) is refused with reason `banned`, then closed with 4502; a connect is accepted, then closed with 4502. " +
      "On `connect`: `fail` answers the upgrade with the reason's HTTP status, `never_reply` leaves it unanswered.",
    oneOf: [
      { type: "object", required: ["type", "ms"], additionalProperties: false, properties: { type: { const: "delay" }, ms: { type: "integer", minimum: 0, maximum: MAX_FAULT_DELAY_MS } } },
      { type: "object", required: ["type"], additionalProperties: false, properties: { type: { const: "fail" }, reason: { enum: failureReasons, default: "fault_injected" } } },
      { type: "object", required: ["type"], additionalProperties: false, properties: { type: { const: "never_reply" } } },
      { type: "object", required: ["type"], additionalProperties: false, properties: { type: { const: "drop" } } },
      { type: "object", required: ["type"], additionalProperties: false, properties: { type: { const: "kick" } } },
    ],
  },
  FaultRule: {
    type: "object",
    required: ["op", "action"],
    additionalProperties: false,
    description:
      "Every live rule whose filters match an occurrence counts it (and a probabilistic rule draws its number from its own seeded generator); " +
      "the first rule in creation order that fires decides. Same seeds and same traffic give the same decisions.",
    properties: {
      op: { oneOf: [faultOp, { type: "array", items: faultOp, minItems: 1 }] },
      appId: { type: "string", description: "only this App ID (case-insensitive); never matches connect" },
      uid: {
        type: "string",
        maxLength: MAX_UID_PATTERN_LENGTH,
        description:
          "glob (`*`, `?`) or `/regex/` / `/regex/i`; regexes may not use backreferences, lookarounds, quantified groups holding a quantifier or `|`, " +
          "or more than 3 unbounded quantifiers; uids over 128 characters never match; never matches connect",
      },
      nth: { type: "integer", minimum: 1, description: "fire from the nth matching occurrence on; `count` then defaults to 1 (\"the 2nd renewToken\")" },
      probability: { type: "number", minimum: 0, maximum: 1, description: "fire with this probability per matching occurrence; exclusive with nth" },
      seed: { type: "integer", minimum: 0, maximum: 4294967295, description: "the rule's generator seed (default: its sequence number); needs probability" },
      count: { type: "integer", minimum: 1, description: "fire at most this many times, then the rule is removed (default unlimited; 1 with nth)" },
      ttlSeconds: { type: "number", exclusiveMinimum: 0, description: "remove the rule this long after its creation, on the simulated clock" },
      action: ref("FaultAction"),
    },
  },
  FaultRuleView: {
    type: "object",
    required: ["id", "op", "appId", "uid", "nth", "probability", "seed", "count", "ttlSeconds", "createdAt", "expiresAt", "seen", "fired", "action"],
    properties: {
      id: { type: "string", description: "f1, f2, … (restarting after a reset)" },
      op: { oneOf: [faultOp, { type: "array", items: faultOp }] },
      appId: { type: ["string", "null"] },
      uid: { type: ["string", "null"] },
      nth: { type: ["integer", "null"] },
      probability: { type: ["number", "null"] },
      seed: { type: ["integer", "null"] },
      count: { type: ["integer", "null"], description: "firing limit; null = unlimited" },
      ttlSeconds: { type: ["number", "null"] },
      createdAt: unixSeconds,
      expiresAt: { type: ["number", "null"], description: "simulated Unix seconds" },
      seen: { type: "integer", description: "matching occurrences so far" },
      fired: { type: "integer", description: "outcomes decided so far" },
      action: ref("FaultAction"),
    },
  },
  JournalEntry: {
    type: "object",
    required: ["seq", "at", "wallTime", "op", "result", "reason", "profile", "appId", "uid", "mode", "credential", "tokenVersion", "slot", "sessionId", "latencyMs", "failedCheck", "closeCode", "faultId", "tokenId"],
    properties: {
      seq: { type: "integer", description: "1 for the first decision since start or reset" },
      at: unixSeconds,
      wallTime: { type: "number", description: "wall clock, Unix milliseconds" },
      op: { enum: [...JOURNAL_OPS] },
      result: { enum: [...JOURNAL_RESULTS] },
      reason: { enum: [...REASONS] },
      profile: { enum: ["rtm1", "rtm2"] },
      appId: { type: "string" },
      uid: { type: "string" },
      mode: { enum: ["appid", "either", "token", null] },
      credential: { enum: ["appid", "token", null] },
      tokenVersion: { enum: ["006", "007", null] },
      slot: { enum: ["primary", "secondary", null] },
      sessionId: { type: ["string", "null"] },
      latencyMs: { type: "number", description: "wall-clock time spent deciding (an injected delay included)" },
      failedCheck: { type: ["string", "null"], description: "the first failed check of a refusal" },
      closeCode: { type: ["integer", "null"] },
      faultId: { type: ["string", "null"], description: "the fault rule that decided or delayed this outcome" },
      tokenId: {
        type: ["string", "null"],
        pattern: "^[0-9a-f]{32}$",
        description: "logins and renews: the token's identity, a digest of its signed content (the same for every malleated string of one token; docs/tokens.md); null without a decodable token",
      },
    },
  },
  PopulateProject: {
    type: "object",
    required: ["appId", "mode"],
    additionalProperties: false,
    properties: {
      appId: hex32,
      mode: { enum: ["appid", "either", "token"] },
      primary: { ...hex32, description: "absent: keep the existing primary, else generate one (either, token)" },
      secondary: { oneOf: [hex32, { const: true }], description: "`true`: keep the existing secondary, else generate one; absent: none" },
      noCertificate: { type: "boolean", description: "if given, must be `mode != token`" },
      rollout: {
        allOf: [ref("RolloutPlan")],
        description:
          "a staged rollout to start on the project (as PUT …/rollout; docs/rollouts.md). The same plan as the project's current rollout keeps that rollout as it is; absent: the current rollout is kept",
      },
    },
  },
  Populate: {
    type: "object",
    required: ["projects"],
    additionalProperties: false,
    properties: { projects: { type: "array", maxItems: MAX_POPULATE_PROJECTS, items: ref("PopulateProject") } },
  },
  PopulateResult: {
    type: "object",
    required: ["projects", "created", "updated", "unchanged"],
    properties: {
      projects: { type: "array", items: ref("Project") },
      created: { type: "array", items: { type: "string" } },
      updated: { type: "array", items: { type: "string" } },
      unchanged: { type: "array", items: { type: "string" } },
    },
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
      "The admin API of rtm-auth-gateway (docs/protocol.md, \"Admin API\"). With ADMIN_JWT_SECRET (HS256) or ADMIN_JWKS_URL (RS256/ES256/EdDSA) set, " +
      `every /admin call needs a bearer JWT with the audience ADMIN_JWT_AUDIENCE (default "${ADMIN_AUDIENCE}"), the issuer ADMIN_JWT_ISSUER when set, ` +
      "and an exp at most ADMIN_JWT_MAX_LIFETIME_SECONDS after its iat; with neither, only loopback callers addressing a loopback host are served. " +
      "Bodies are application/json only (415 otherwise), and requests a browser labels as cross-site (Origin, Sec-Fetch-Site) get 403 cross_site_request.",
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
        params: [idempotencyKeyParam],
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
      delete: guardedStep("Delete the secondary certificate; tokens it signed stop verifying", secondaryMissing),
    },
    "/admin/projects/{appId}/certificates/swap": {
      post: guardedStep("Swap the primary and the secondary certificate", secondaryMissing),
    },
    "/admin/projects/{appId}/no-certificate": {
      delete: guardedStep('Delete "No certificate" (irreversible); the mode becomes `token`', conflict("`primary_not_active`, `no_certificate_deleted`")),
    },
    "/admin/projects/{appId}/shadow": {
      get: op("migration", {
        summary: "The project's shadow target, or null (docs/migration.md)",
        params: [appIdParam],
        ok: { status: "200", description: "`{appId, target}`", schema: { type: "object", required: ["appId", "target"] } },
        errors: { "404": notFound },
      }),
      put: op("migration", {
        summary:
          "Set the project's shadow target: every login and renew is decided again against it (the client sees only the real outcome); the shadow outcome goes to the journal, rtm_auth_shadow_decisions_total and readiness",
        params: [appIdParam],
        body: {
          oneOf: [
            { type: "object", required: ["target"], additionalProperties: false, properties: { target: { enum: ["token_only"] } } },
            { type: "object", required: ["target", "slot"], additionalProperties: false, properties: { target: { enum: ["delete_certificate"] }, slot: { enum: ["primary", "secondary"] } } },
          ],
        },
        ok: { status: "200", description: "`{appId, target}`", schema: { type: "object", required: ["appId", "target"] } },
        errors: { "404": notFound },
      }),
      delete: op("migration", {
        summary: "Clear the project's shadow target",
        params: [appIdParam],
        ok: { status: "204", description: "cleared" },
        errors: { "404": errorReply("`project_not_found`, `shadow_not_set`") },
      }),
    },
    "/admin/projects/{appId}/rollout": {
      get: op("rollouts", {
        summary: "The project's staged rollout: plan, status, applied stage, its counts and guard judgements, the last transitions (docs/rollouts.md)",
        params: [appIdParam],
        ok: { status: "200", description: "the rollout", schema: ref("RolloutView") },
        errors: { "404": errorReply("`project_not_found`, `rollout_not_found`"), ...rolloutsDisabled },
      }),
      put: op("rollouts", {
        summary:
          "Put a staged rollout plan and start it at its first stage now: the target applies to the stage's cohort (the rollout-cohort check), guards roll back by themselves, the last step needs guards holding and a confirmation",
        params: [appIdParam, idempotencyKeyParam],
        body: ref("RolloutPlan"),
        ok: { status: "201", description: "the rollout, started", schema: ref("RolloutView") },
        errors: { "404": notFound, "409": errorReply("`rollout_in_progress`: a rollout is running or paused (abort it first); `rollouts_disabled`") },
      }),
    },
    "/admin/projects/{appId}/rollout/{action}": {
      post: {
        ...(op("rollouts", {
          summary:
            "An operator's action: `advance` (the last stage's needs `{confirm}` and holding guards, and performs the real step), `pause`, `resume` (paused or rolled back), `rollback` (to the previous stage), `abort`",
          params: [appIdParam, { name: "action", in: "path", required: true, schema: { enum: [...ROLLOUT_ACTIONS] } }, idempotencyKeyParam],
          ok: { status: "200", description: "the rollout after the action", schema: ref("RolloutView") },
          errors: {
            "400": errorReply("`invalid_request` (names the field), `invalid_json`"),
            "404": errorReply("`unknown_action`, `project_not_found`, `rollout_not_found`, or the final step's `secondary_not_found`"),
            "409": errorReply(
              "`rollout_finished`, `rollout_not_running`, `rollout_not_paused`, `confirmation_required`, `guards_not_holding`, `nothing_to_roll_back`, `revision_mismatch`, `rollouts_disabled`, or the final step's own code (`primary_not_active`, `no_certificate_deleted`)",
            ),
          },
        }) as Record<string, Json>),
        requestBody: {
          required: false,
          content: jsonContent({ type: "object", additionalProperties: false, properties: {
              confirm: { enum: [...FINAL_STEPS], description: "the plan's final step, to perform it from the last stage" },
              revision: { type: "integer", minimum: 0, description: "act only if the rollout is still at this revision (else 409 `revision_mismatch`)" },
            },
          }),
        },
      },
    },
    "/admin/projects/{appId}/readiness": {
      get: op("migration", {
        summary:
          "Migration readiness over a sliding window of the simulated clock: logins by credential, version and slot, distinct uids, the uids still on the App ID, live sessions, and a verdict per step that cannot be undone; with Redis, of every live gateway (`scope`, `gateways`, `warning`; docs/migration.md); `partial` says when the window reaches back before this gateway started keeping figures",
        params: [appIdParam, { name: "windowSeconds", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 3600 }, description: "default and maximum 3600" }],
        ok: { status: "200", description: "the readiness report", schema: { type: "object", required: ["appId", "windowSeconds", "scope", "gateways", "logins", "liveSessions", "verdicts"] } },
        errors: { "400": errorReply("`invalid_request`"), "404": notFound },
      }),
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
      post: op("reset", {
        summary:
          "Back to the start state, as after a restart: every connection closed with 4002, no fault rules (ids restart at f1), no projects, the clock at real time, an empty journal; with the dev seed on (DEV_SEED, the default of `rtm-auth serve`) the dev projects are seeded again in their start state",
        params: [idempotencyKeyParam],
        ok: {
          status: "200",
          description: "reset, with the dev seed on: the dev projects exist again (their App IDs)",
          schema: {
            type: "object",
            required: ["devSeed", "projects", "message"],
            properties: { devSeed: { const: true }, projects: { type: "array", items: { type: "string" } }, message: { type: "string" } },
          },
        },
        errors: { "204": { description: "reset, with the dev seed off: no projects" } },
      }),
    },
    "/admin/populate": {
      post: op("projects", {
        summary:
          "Idempotent setup of projects in one call (also `rtm-auth serve --populate FILE`); certificates are active since the epoch; a project already in the stated shape is not written; other projects are left alone. Body limit 256 KiB.",
        body: ref("Populate"),
        ok: { status: "200", description: "the projects as stated, and which were created, updated or unchanged", schema: ref("PopulateResult") },
      }),
    },
    "/admin/faults": {
      post: op("faults", {
        summary: "Add a fault rule",
        body: ref("FaultRule"),
        ok: { status: "201", description: "the rule, with its id", schema: ref("FaultRuleView") },
        errors: { "409": errorReply("`too_many_faults` (1000 rules)") },
      }),
      get: op("faults", {
        summary: "The live fault rules, in creation order",
        ok: { status: "200", description: "the rules", schema: { type: "object", required: ["faults"], properties: { faults: { type: "array", items: ref("FaultRuleView") } } } },
      }),
      delete: op("faults", { summary: "Remove every fault rule (ids keep counting; delays already started still end)", ok: { status: "204", description: "removed" } }),
    },
    "/admin/faults/{id}": {
      delete: op("faults", {
        summary: "Remove one fault rule",
        params: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        ok: { status: "204", description: "removed" },
        errors: { "404": errorReply("`fault_not_found`") },
      }),
    },
    "/admin/journal": {
      get: op("journal", {
        summary: "Recent decisions, newest first (every login, renewToken, logout, session end, and what faults did)",
        params: [
          { name: "appId", in: "query", required: false, schema: { type: "string" } },
          { name: "uid", in: "query", required: false, schema: { type: "string" } },
          { name: "op", in: "query", required: false, schema: { enum: [...JOURNAL_OPS] } },
          { name: "result", in: "query", required: false, schema: { enum: [...JOURNAL_RESULTS] } },
          { name: "reason", in: "query", required: false, schema: { enum: [...REASONS] } },
          { name: "faultId", in: "query", required: false, schema: { type: "string" } },
          { name: "since", in: "query", required: false, schema: { type: "integer", minimum: 0 }, description: "only entries with a larger seq" },
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, default: 100 } },
        ],
        ok: {
          status: "200",
          description: "the matching entries",
          schema: {
            type: "object",
            required: ["entries", "lastSeq", "capacity"],
            properties: { entries: { type: "array", items: ref("JournalEntry") }, lastSeq: { type: "integer" }, capacity: { type: "integer" } },
          },
        },
        errors: { "400": errorReply("`invalid_request`"), "409": errorReply("`journal_disabled`: JOURNAL_SIZE=0") },
      }),
    },
    "/admin/decision-counts": {
      get: op("journal", {
        summary:
          "This gateway's decisions since it started, by op, result and reason (the counts of rtm_auth_attempts_total), with the live sessions and the gateway's monotonic time: read it twice and divide to get decisions per second (the console's live chart; docs/console.md)",
        ok: {
          status: "200",
          description: "the counts (rows with 0 left out), never reset while the gateway runs",
          schema: {
            type: "object",
            required: ["counts", "activeSessions", "uptimeMs"],
            properties: {
              counts: {
                type: "array",
                items: {
                  type: "object",
                  required: ["op", "result", "reason", "count"],
                  properties: { op: { type: "string" }, result: { type: "string" }, reason: { type: "string" }, count: { type: "integer", minimum: 0 } },
                },
              },
              activeSessions: { type: "integer", minimum: 0 },
              uptimeMs: { type: "number", description: "milliseconds since the gateway process started (monotonic)" },
            },
          },
        },
        errors: { "409": errorReply("`decision_counts_unavailable`: the gateway keeps no metrics") },
      }),
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
          "200": {
            description: "ready; `warning` when Redis came back empty (restarted without persistence, or flushed): docs/redis.md",
            content: jsonContent({ type: "object", properties: { status: { const: "ready" }, projects: { type: "integer", minimum: 0 }, warning: { type: "string" } } }),
          },
          "503": { description: "not ready", content: jsonContent({ type: "object", properties: { status: { const: "not_ready" }, projects: { type: "integer", minimum: 0 }, warning: { type: "string" } } }) },
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
