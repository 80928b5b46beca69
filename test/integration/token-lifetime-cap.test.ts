/**
 * The 24-hour lifetime cap (issue 10, Build item 2; docs/token-lifetime.md) through the WebSocket
 * (client SDK, both profiles), explain and the journal, on embedded gateways with a manual clock:
 * the "now + 3600 as 007 expire" builder mistake is accepted, capped, warned ~24 h after issue and
 * ended then; a 7-day token used 25 h after issue is refused; `maxTokenLifetimeSeconds` 0 switches
 * the cap off, and a smaller cap shortens 006 tokens too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, waitForDecision, type TestGateway } from "../../client/testing.js";
import type { Profile } from "../../core/protocol/wire.js";
import { isRtmError } from "../../client/index.js";
import { recordedClient, settle } from "../support/recorder.js";

const APP_ID = "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4";
const T0 = 1_750_000_000;
const DAY = 86_400;

let capped: TestGateway; // the default: MAX_TOKEN_LIFETIME_SECONDS 86400
let uncapped: TestGateway; // 0: no cap
let hourCap: TestGateway; // 3600
beforeAll(async () => {
  const projects = [{ appId: APP_ID, mode: "token" as const }];
  [capped, uncapped, hourCap] = await Promise.all([
    startGateway({ clock: "manual", now: T0, projects, config: { journalSize: 1000 } }),
    startGateway({ clock: "manual", now: T0, projects, config: { maxTokenLifetimeSeconds: 0 } }),
    startGateway({ clock: "manual", now: T0, projects, config: { maxTokenLifetimeSeconds: 3600 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([capped?.close(), uncapped?.close(), hourCap?.close()]);
});

let n = 0;
const freshUid = (p: string) => `cap-${p}-${++n}`;

/** A token minted on `gw` at its current time (the token server of a test). */
async function mint(gw: TestGateway, uid: string, version: "006" | "007", expireSeconds: number): Promise<string> {
  return (await gw.admin.tokens.mint({ appId: APP_ID, uid, version, expireSeconds })).token;
}

/** The refusal a login gets: code, name, reason, message. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; name: string; reason: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRtmError(err)) throw new Error(`expected an RtmError, got ${String(err)}`);
  return { code: err.code, name: err.name, reason: err.reason, message: err.message };
}

describe.each(["rtm1", "rtm2"] as Profile[])("profile %s", (profile) => {
  it("now + 3600 as 007 expire: accepted, expiresAt capped at issue + 24 h, will-expire 30 s before, ended at the capped time", async () => {
    await capped.clock.set(T0);
    const uid = freshUid(profile);
    const token = await mint(capped, uid, "007", T0 + 3600);
    const a = recordedClient(capped.url, APP_ID, profile);
    try {
      const login = await a.client.login({ uid, token });
      expect(login.expiresAt).toBe(T0 + DAY);
      await settle(10);
      a.clear();
      await capped.clock.set(T0 + DAY - 31);
      await settle(10);
      expect(a.seen).toEqual([]);
      await capped.clock.set(T0 + DAY - 30);
      await settle(10);
      expect(a.seen).toEqual([{ type: "willExpire", expiresAt: T0 + DAY, remainingSeconds: 30 }]);
      a.clear();
      await capped.clock.set(T0 + DAY);
      await settle(10);
      expect(a.seen).toEqual([]); // the capped expiry second itself is still valid
      await capped.clock.set(T0 + DAY + 1);
      expect(await a.closed()).toBe(4503);
      expect(a.states()).toEqual(profile === "rtm1" ? ["ABORTED/TOKEN_EXPIRED"] : ["CONNECTED>FAILED/SERVER_REJECT/TOKEN_EXPIRED"]);
      if (profile === "rtm1") expect(a.seen[0]).toEqual({ type: "tokenExpired" });
      const ended = await waitForDecision(capped.httpUrl, { uid, op: "session_end" });
      expect({ reason: ended.reason, at: ended.at, closeCode: ended.closeCode }).toEqual({ reason: "session_token_expired", at: T0 + DAY + 1, closeCode: 4503 });
    } finally {
      await a.client.close();
    }
  });

  it("a 7-day 007 token used 25 h after issue is refused token_expired (the profile's code), the message saying why", async () => {
    await capped.clock.set(T0);
    const uid = freshUid(profile);
    const token = await mint(capped, uid, "007", 7 * DAY);
    await capped.clock.set(T0 + 25 * 3600);
    const a = recordedClient(capped.url, APP_ID, profile);
    try {
      const r = await refusal(a.client.login({ uid, token }));
      expect({ code: r.code, name: r.name, reason: r.reason }).toEqual(
        profile === "rtm1" ? { code: 6, name: "LOGIN_ERR_TOKEN_EXPIRED", reason: "token_expired" } : { code: -10009, name: "RTM_ERROR_TOKEN_EXPIRED", reason: "token_expired" },
      );
      expect(r.message).toMatch(/^The token has expired\. \[lifetime_capped\] The token asks to stay valid until .*, 604800 s after its issue time; lifetimes are capped at 86400 s/);
      // 24 h after issue it still logs in, expiring at the cap.
      await capped.clock.set(T0 + DAY - 60);
      const b = recordedClient(capped.url, APP_ID, profile);
      try {
        expect((await b.client.login({ uid, token })).expiresAt).toBe(T0 + DAY);
      } finally {
        await b.client.close();
      }
    } finally {
      await a.client.close();
    }
  });

  it("explain gives the capped expiresAt and the hints, for the accept and for the refusal", async () => {
    await capped.clock.set(T0);
    const uid = freshUid(profile);
    const [mistake, week] = await Promise.all([mint(capped, uid, "007", T0 + 3600), mint(capped, uid, "007", 7 * DAY)]);
    const accepted = await capped.admin.explain({ appId: APP_ID, uid, token: mistake, profile });
    expect(accepted).toMatchObject({ decision: "accept", reason: "ok", expiresAt: T0 + DAY });
    expect(accepted.hints.map((h) => h.code)).toEqual(["expire_looks_like_timestamp", "lifetime_capped"]);
    await capped.clock.set(T0 + 25 * 3600);
    const refused = await capped.admin.explain({ appId: APP_ID, uid, token: week, profile });
    expect(refused).toMatchObject({ decision: "refuse", reason: "token_expired", code: profile === "rtm1" ? 6 : -10009, failedCheck: "token-valid", expiresAt: null });
    expect(refused.detail).toBe(`007 expiry ${T0 + 7 * DAY} capped to issueTs + 86400 s = ${T0 + DAY} < now ${T0 + 25 * 3600}`);
    expect(refused.hints.map((h) => h.code)).toEqual(["lifetime_capped"]);
  });

  it("renewing with a capped token re-arms the timers at the capped expiry", async () => {
    await capped.clock.set(T0);
    const uid = freshUid(profile);
    const a = recordedClient(capped.url, APP_ID, profile);
    try {
      await a.client.login({ uid, token: await mint(capped, uid, "007", 600) });
      await capped.clock.set(T0 + 500);
      const renewed = await a.client.renewToken(await mint(capped, uid, "007", 7 * DAY));
      expect(renewed.expiresAt).toBe(T0 + 500 + DAY);
      await settle(10);
      a.clear();
      await capped.clock.set(T0 + 500 + DAY - 30);
      await settle(10);
      expect(a.seen).toEqual([{ type: "willExpire", expiresAt: T0 + 500 + DAY, remainingSeconds: 30 }]);
    } finally {
      await a.client.close();
    }
  });

  it("MAX_TOKEN_LIFETIME_SECONDS=0 switches the cap off: the mistake lives as long as it says", async () => {
    await uncapped.clock.set(T0);
    const uid = freshUid(profile);
    const token = await mint(uncapped, uid, "007", T0 + 3600);
    const a = recordedClient(uncapped.url, APP_ID, profile);
    try {
      expect((await a.client.login({ uid, token })).expiresAt).toBe(T0 + T0 + 3600);
    } finally {
      await a.client.close();
    }
    const explained = await uncapped.admin.explain({ appId: APP_ID, uid, token, profile });
    expect(explained.hints.map((h) => h.code)).toEqual(["expire_looks_like_timestamp"]);
  });
});

describe("a cap under 24 h shortens 006 tokens too (counted from ts - 86400)", () => {
  it("rtm2 + 006, privilege 0: expires at issue + 3600, warned 30 s before, ended after", async () => {
    await hourCap.clock.set(T0);
    const uid = freshUid("006");
    const token = await mint(hourCap, uid, "006", 0);
    const a = recordedClient(hourCap.url, APP_ID, "rtm2");
    try {
      expect((await a.client.login({ uid, token })).expiresAt).toBe(T0 + 3600);
      await settle(10);
      a.clear();
      await hourCap.clock.set(T0 + 3570);
      await settle(10);
      expect(a.seen).toEqual([{ type: "willExpire", expiresAt: T0 + 3600, remainingSeconds: 30 }]);
      await hourCap.clock.set(T0 + 3601);
      expect(await a.closed()).toBe(4503);
    } finally {
      await a.client.close();
    }
  });

  it("rtm1 + 006 logs in again after the capped expiry: refused token_expired (6)", async () => {
    await hourCap.clock.set(T0);
    const uid = freshUid("006");
    const token = await mint(hourCap, uid, "006", 0);
    await hourCap.clock.set(T0 + 3601);
    const a = recordedClient(hourCap.url, APP_ID, "rtm1");
    try {
      const r = await refusal(a.client.login({ uid, token }));
      expect({ code: r.code, reason: r.reason }).toEqual({ code: 6, reason: "token_expired" });
      expect(r.message).toContain("[lifetime_capped]");
    } finally {
      await a.client.close();
    }
  });

  it("the admin mint reports the expiry the gateway will apply", async () => {
    await hourCap.clock.set(T0);
    const minted = await hourCap.admin.tokens.mint({ appId: APP_ID, uid: "m", version: "007", expireSeconds: 7 * DAY });
    expect(minted.expiresAt).toBe(T0 + 3600);
  });
});
