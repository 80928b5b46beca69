/**
 * Diagnostic hints (issue 10, Build item 4; docs/hints.md) on a real gateway: every code, through
 * the WebSocket (appended to the refusal's message, code and reason unchanged) in both profiles,
 * and through explain (its `hints` field). The world-dependent codes come from the gateway's own
 * facts: another project it knows, a certificate still pending, a certificate deleted after the
 * journal saw the token accepted with it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRtmError } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import type { Profile } from "../../core/protocol/wire.js";
import { craft006, craft007, rtcService, rtmService } from "../unit/core/token/token-fixtures.js";
import { recordedClient } from "../support/recorder.js";

const T0 = 1_750_000_000;
const DAY = 86_400;
const APP = "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5";
const CERT = "a5c0ffee00000000000000000000a5a5";
const OTHER = "b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6";
const OTHER_CERT = "b6c0ffee00000000000000000000b6b6";
/** App-ID-only until its primary, enabled in beforeAll, activates an hour later. */
const APPID_ONLY = "c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7";
/** Token project with a secondary still pending. */
const PENDING = "d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8";
/** Token project rotated in beforeAll: its first primary is deleted. */
const ROTATED = "e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9";
const ROTATED_FIRST = "e9c0ffee00000000000000000000e9e9";

interface Case {
  readonly code: string;
  readonly why: string;
  readonly appId: string;
  readonly uid: string;
  readonly token: string;
  readonly reason: string;
  /** rtm1 and rtm2 login codes. */
  readonly codes: readonly [number, number];
  /** Every hint code the refusal carries, in order. */
  readonly hints: readonly string[];
}

let gw: TestGateway;
let cases: Case[] = [];
/** The simulated time the cases are decided at (after the rotation's activation hour). */
let NOW = 0;
/** When ROTATED_FIRST was deleted (simulated clock). */
let DELETED_AT = 0;

beforeAll(async () => {
  gw = await startGateway({
    clock: "manual",
    now: T0,
    config: { certActivationDelaySeconds: 3600, callsPerSecond: 1000 },
    projects: [
      { appId: APP, mode: "token", primary: CERT },
      { appId: OTHER, mode: "token", primary: OTHER_CERT },
      { appId: APPID_ONLY, mode: "appid" },
      { appId: PENDING, mode: "token", primary: "d8c0ffee00000000000000000000d8d8" },
      { appId: ROTATED, mode: "token", primary: ROTATED_FIRST },
    ],
  });

  // The rotation: a token accepted with the first primary (the journal keeps its tokenId and
  // slot), then a secondary enabled and activated, swapped in, and the old certificate deleted.
  const rotatedToken = craft007({ appId: ROTATED, certificate: ROTATED_FIRST, issueTs: T0, expire: DAY, services: [rtmService("alice", [[1, DAY]])] });
  const first = recordedClient(gw.url, ROTATED, "rtm1");
  await first.client.login({ uid: "alice", token: rotatedToken });
  await first.client.close();
  await gw.admin.certificates.enableSecondary(ROTATED);
  await gw.clock.advance(3600);
  await gw.admin.certificates.swap(ROTATED);
  DELETED_AT = gw.clock.now();
  await gw.admin.certificates.deleteSecondary(ROTATED);
  NOW = gw.clock.now();

  // Pending: APPID_ONLY's new primary and PENDING's new secondary both wait an hour from now.
  const appIdOnly = await gw.admin.certificates.enablePrimary(APPID_ONLY);
  const pending = await gw.admin.certificates.enableSecondary(PENDING);
  const pendingPrimary = appIdOnly.certificates.primary?.value as string;
  const pendingSecondary = pending.certificates.secondary?.value as string;
  expect([appIdOnly.certificates.primary?.status, pending.certificates.secondary?.status, appIdOnly.mode]).toEqual(["pending", "pending", "appid"]);

  const rtm = (o: Parameters<typeof craft007>[0] = {}) => craft007({ appId: APP, certificate: CERT, issueTs: NOW, expire: 3600, ...o });
  cases = [
    {
      code: "rtc_token",
      why: "a 007 RTC-only token",
      appId: APP,
      uid: "alice",
      token: rtm({ services: [rtcService("room-1", "42", [[1, 3600]])] }),
      reason: "not_rtm_token",
      codes: [2, -10015],
      hints: ["rtc_token"],
    },
    {
      code: "rtc_token",
      why: "a 006 RTC token for a channel (its MAC fails for the account)",
      appId: APP,
      uid: "alice",
      token: craft006({ appId: APP, certificate: CERT, channel: "room-1", uid: "42", ts: NOW + DAY, privileges: [[1, NOW + 3600], [2, NOW + 3600]] }),
      reason: "invalid_signature",
      codes: [5, -10005],
      hints: ["rtc_token"],
    },
    {
      code: "other_project_token",
      why: "a token of another project on this gateway",
      appId: APP,
      uid: "alice",
      token: craft007({ appId: OTHER, certificate: OTHER_CERT, issueTs: NOW, services: [rtmService("alice")] }),
      reason: "app_id_mismatch",
      codes: [5, -10016],
      hints: ["other_project_token"],
    },
    {
      code: "built_for_other_account",
      why: "a 007 token for 'Alice ' (case and a space)",
      appId: APP,
      uid: "alice",
      token: rtm({ services: [rtmService("Alice ")] }),
      reason: "uid_mismatch",
      codes: [3, -10005],
      hints: ["built_for_other_account"],
    },
    {
      code: "built_for_other_account",
      why: "a 006 token built for bob",
      appId: APP,
      uid: "alice",
      token: craft006({ appId: APP, certificate: CERT, channel: "bob", ts: NOW + DAY, privileges: [[1000, NOW + 3600]] }),
      reason: "invalid_signature",
      codes: [5, -10005],
      hints: ["built_for_other_account"],
    },
    {
      code: "token_from_future",
      why: "a token issued 10 min ahead of the gateway (and for 'ALICE')",
      appId: APP,
      uid: "alice",
      token: rtm({ issueTs: NOW + 600, services: [rtmService("ALICE")] }),
      reason: "uid_mismatch",
      codes: [3, -10005],
      hints: ["built_for_other_account", "token_from_future"],
    },
    {
      code: "privilege_before_issue",
      why: "a 006 privilege of 3600 (a duration where a time belongs)",
      appId: APP,
      uid: "alice",
      token: craft006({ appId: APP, certificate: CERT, channel: "alice", ts: NOW + DAY, privileges: [[1000, 3600]] }),
      reason: "privilege_expired",
      codes: [6, -10009],
      hints: ["privilege_before_issue"],
    },
    {
      code: "expire_looks_like_timestamp",
      why: "now + 3600 as 007 expire, used 25 h after issue",
      appId: APP,
      uid: "alice",
      token: rtm({ issueTs: NOW - 25 * 3600, expire: NOW + 3600, services: [rtmService("alice", [[1, NOW + 3600]])] }),
      reason: "token_expired",
      codes: [6, -10009],
      hints: ["expire_looks_like_timestamp", "lifetime_capped"],
    },
    {
      code: "lifetime_capped",
      why: "a 7-day token used 25 h after issue",
      appId: APP,
      uid: "alice",
      token: rtm({ issueTs: NOW - 25 * 3600, expire: 7 * DAY, services: [rtmService("alice", [[1, 7 * DAY]])] }),
      reason: "token_expired",
      codes: [6, -10009],
      hints: ["lifetime_capped"],
    },
    {
      code: "certificate_not_active_yet",
      why: "an App-ID-only project whose certificate is still pending: the token is not accepted yet",
      appId: APPID_ONLY,
      uid: "alice",
      token: craft007({ appId: APPID_ONLY, certificate: pendingPrimary, issueTs: NOW, services: [rtmService("alice")] }),
      reason: "token_not_accepted",
      codes: [5, -10003],
      hints: ["certificate_not_active_yet"],
    },
    {
      code: "certificate_not_active_yet",
      why: "a token signed with a pending secondary",
      appId: PENDING,
      uid: "alice",
      token: craft006({ appId: PENDING, certificate: pendingSecondary, channel: "alice", ts: NOW + DAY, privileges: [[1000, 0]] }),
      reason: "invalid_signature",
      codes: [5, -10005],
      hints: ["certificate_not_active_yet"],
    },
    {
      code: "deleted_certificate",
      why: "a token accepted before its certificate was swapped out and deleted",
      appId: ROTATED,
      uid: "alice",
      token: rotatedToken,
      reason: "invalid_signature",
      codes: [5, -10005],
      hints: ["deleted_certificate"],
    },
  ];
});
afterAll(async () => {
  await gw?.close();
});

/** The refusal a real login gets through the client SDK. */
async function login(profile: Profile, c: Case, token: string | null = c.token): Promise<{ code: number; reason: string; message: string }> {
  const a = recordedClient(gw.url, c.appId, profile);
  try {
    const err = await a.client.login({ uid: c.uid, token }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isRtmError(err)) throw new Error(`${c.why}: expected a refusal, got ${String(err)}`);
    return { code: err.code, reason: err.reason, message: err.message };
  } finally {
    await a.client.close();
  }
}

const CODES = [
  "rtc_token",
  "app_id_as_token",
  "other_project_token",
  "built_for_other_account",
  "certificate_not_active_yet",
  "deleted_certificate",
  "token_from_future",
  "privilege_before_issue",
  "expire_looks_like_timestamp",
  "lifetime_capped",
];

describe.each(["rtm1", "rtm2"] as Profile[])("profile %s", (profile) => {
  it("every code, through the WebSocket and explain: the reason and code unchanged, the hints after the base message", async () => {
    expect(gw.clock.now()).toBe(NOW);
    const covered = new Set<string>();
    for (const c of cases) {
      const real = await login(profile, c);
      const base = real.message.split(" [")[0];
      const inMessage = [...real.message.matchAll(/\[([a-z_]+)\] /g)].map((m) => m[1]);
      expect({ why: c.why, code: real.code, reason: real.reason, hints: inMessage }).toEqual({
        why: c.why,
        code: profile === "rtm1" ? c.codes[0] : c.codes[1],
        reason: c.reason,
        hints: c.hints,
      });
      expect(base).toMatch(/^[A-Z][^[]*\.$/);
      const explained = await gw.admin.explain({ appId: c.appId, uid: c.uid, token: c.token, profile });
      expect({ why: c.why, reason: explained.reason, code: explained.code, hints: explained.hints.map((h) => h.code) }).toEqual({
        why: c.why,
        reason: c.reason,
        code: real.code,
        hints: c.hints,
      });
      // The sentence on the wire is explain's, word for word.
      for (const h of explained.hints) expect(real.message).toContain(`[${h.code}] ${h.message}`);
      for (const h of c.hints) covered.add(h);
    }
    covered.add("app_id_as_token"); // below, in its own test
    expect([...covered].sort()).toEqual([...CODES].sort());
  });

  it("app_id_as_token: the App ID sent as the token", async () => {
    const c = cases[0] as Case;
    const real = await login(profile, c, APP);
    // rtm1: not a token format at all; rtm2: the App ID as token means "no token" (token_required here).
    expect({ code: real.code, reason: real.reason }).toEqual(profile === "rtm1" ? { code: 5, reason: "unsupported_version" } : { code: -10005, reason: "token_required" });
    expect(real.message).toContain("[app_id_as_token] The token is 32 hexadecimal characters, an App ID (or an App Certificate), not a token");
    const explained = await gw.admin.explain({ appId: APP, uid: "alice", token: APP, profile });
    expect({ reason: explained.reason, hints: explained.hints.map((h) => h.code) }).toEqual({ reason: real.reason, hints: ["app_id_as_token"] });
  });
});

describe("explain", () => {
  it("an RTC token is no longer explained as a certificate problem", async () => {
    const c = cases.find((x) => x.why.startsWith("a 006 RTC token")) as Case;
    const explained = await gw.admin.explain({ appId: c.appId, uid: c.uid, token: c.token });
    expect(explained.detail).toBe("006 RTC token (no RTM login privilege 1000): its MAC covers an RTC channel and uid, not this RTM account");
    expect(explained.detail).not.toMatch(/certificate reproduces/);
  });

  it("deleted_certificate names the deletion time; certificate_not_active_yet the activation time", async () => {
    const deleted = cases.find((x) => x.code === "deleted_certificate") as Case;
    const e1 = await gw.admin.explain({ appId: deleted.appId, uid: deleted.uid, token: deleted.token });
    expect(e1.hints[0]?.message).toContain(`deleted at ${new Date(DELETED_AT * 1000).toISOString().replace(".000Z", "Z")}`);
    const pending = cases.find((x) => x.code === "certificate_not_active_yet") as Case;
    const e2 = await gw.admin.explain({ appId: pending.appId, uid: pending.uid, token: pending.token });
    expect(e2.hints[0]?.message).toContain(`becomes active at ${new Date((NOW + 3600) * 1000).toISOString().replace(".000Z", "Z")}`);
  });

  it("a sound token gets no hints; a suspicious accept gets its hints", async () => {
    const sound = craft007({ appId: APP, certificate: CERT, issueTs: NOW, expire: 3600, services: [rtmService("alice")] });
    expect((await gw.admin.explain({ appId: APP, uid: "alice", token: sound })).hints).toEqual([]);
    const future = craft007({ appId: APP, certificate: CERT, issueTs: NOW + 90, expire: 3600, services: [rtmService("alice")] });
    const e = await gw.admin.explain({ appId: APP, uid: "alice", token: future });
    expect({ decision: e.decision, hints: e.hints.map((h) => h.code) }).toEqual({ decision: "accept", hints: ["token_from_future"] });
    expect(e.hints[0]?.message).toContain("90 s ahead of the gateway's clock");
  });

  it("no hint ever carries a certificate", async () => {
    const projects = await gw.admin.projects.list();
    const secrets = projects.flatMap((p) => [p.certificates.primary?.value, p.certificates.secondary?.value]).filter((v): v is string => typeof v === "string");
    secrets.push(ROTATED_FIRST);
    for (const c of cases) {
      const explained = await gw.admin.explain({ appId: c.appId, uid: c.uid, token: c.token });
      for (const h of explained.hints) for (const s of secrets) expect(h.message.toLowerCase()).not.toContain(s.toLowerCase());
    }
  });
});
