/**
 * Migration readiness and dry-runs (docs/migration.md), through the client SDK over real sockets
 * on a manual clock: the readiness figures count what the window's logins used; each dry-run
 * changes nothing, and its prediction equals the real outcome of the step that follows (the same
 * logins, replayed after the step, are refused exactly as predicted).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient, type RtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";

const APP = "5eed0000000000000000000000000001";
let gw: TestGateway;
const live: RtmClient[] = [];

beforeAll(async () => {
  gw = await startGateway({ clock: "manual", projects: [{ appId: APP, mode: "appid" }] });
  await gw.admin.certificates.enablePrimary(APP); // App ID and tokens: the migration window
});
afterAll(async () => {
  for (const c of live) c.close?.();
  await gw.close();
});

interface Attempt {
  readonly uid: string;
  readonly token: string | null;
}

/** Logs every attempt in on its own connection; returns the refusal reasons (null = accepted). Keeps accepted clients live. */
async function loginAll(attempts: readonly Attempt[], keep: boolean): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (const a of attempts) {
    const c = createRtmClient({ url: gw.url, appId: APP, profile: "rtm2" });
    try {
      await c.login({ uid: a.uid, token: a.token });
      out.push(null);
      if (keep) live.push(c);
      else await c.logout();
    } catch (err) {
      out.push((err as { reason: string }).reason);
    }
  }
  return out;
}

const get = async (path: string): Promise<{ status: number; body: any }> => {
  const r = await fetch(`${gw.httpUrl}/admin${path}`);
  return { status: r.status, body: await r.json() };
};
const send = async (method: string, path: string): Promise<{ status: number; body: any }> => {
  const r = await fetch(`${gw.httpUrl}/admin${path}`, { method });
  return { status: r.status, body: await r.json() };
};
const mint = async (uid: string, certificate: "primary" | "secondary" = "primary"): Promise<string> =>
  (await gw.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds: 86_400, certificate })).token;

describe("readiness, then each step's dry-run against its real outcome", () => {
  const legacy: Attempt[] = Array.from({ length: 8 }, (_, i) => ({ uid: `legacy-${i}`, token: null }));
  let updated: Attempt[] = [];

  it("counts the window's logins by credential, version and slot, with distinct uids and the App-ID uids newest first", async () => {
    updated = await Promise.all(Array.from({ length: 12 }, async (_, i) => ({ uid: `updated-${i}`, token: await mint(`updated-${i}`) })));
    expect(await loginAll(legacy, true)).toEqual(legacy.map(() => null));
    await gw.clock.advance(5);
    expect(await loginAll(updated, true)).toEqual(updated.map(() => null));
    const r = await get(`/projects/${APP}/readiness`);
    expect(r.status).toBe(200);
    expect(r.body.logins).toEqual({ appid: 8, token: 12, byVersion: { "006": 0, "007": 12 }, bySlot: { primary: 12, secondary: 0 } });
    expect(r.body.distinctUids).toEqual({ appid: { count: 8, exact: true }, token: { count: 12, exact: true } });
    expect(r.body.appIdUids.map((u: { uid: string }) => u.uid)).toEqual([...legacy].reverse().map((a) => a.uid));
    expect(r.body.liveSessions).toEqual({ appid: 8, token: 12, primary: 12, secondary: 0 });
    expect(r.body.lastUse.appid).not.toBeNull();
    expect(r.body.verdicts.delete_no_certificate).toMatchObject({ wouldRefuse: 8, wouldRefuseShare: 0.4, reason: "token_required", liveSessionsAffected: 8, allowed: true, blockedBy: null });
    expect(r.body.verdicts.delete_no_certificate.summary).toBe(
      'Deleting "No certificate" now would refuse 8 of the 20 logins of the last 3600 s (40.0 %, token_required) and leave 8 live sessions that cannot log in again the same way',
    );
    // Steps that are not possible now say so, with the code the step would get.
    expect(r.body.verdicts.swap).toMatchObject({ wouldRefuse: 0, liveSessionsAffected: 0, allowed: false, blockedBy: "secondary_not_found" });
    expect(r.body.verdicts.delete_secondary).toMatchObject({ allowed: false, blockedBy: "secondary_not_found" });
    expect(r.body.verdicts.delete_primary).toMatchObject({ wouldRefuse: 12, allowed: false, blockedBy: "primary_not_deletable" });
  });

  it('deleting "No certificate": the dry-run changes nothing, and the real step refuses exactly what it predicted', async () => {
    const dry = await send("DELETE", `/projects/${APP}/no-certificate?dryRun=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, step: "delete_no_certificate", wouldRefuse: 8, reason: "token_required", liveSessionsAffected: 8 });
    expect((await gw.admin.projects.get(APP)).mode).toBe("either");

    await gw.admin.certificates.deleteNoCertificate(APP);
    expect((await gw.admin.projects.get(APP)).mode).toBe("token");
    const replay = await loginAll([...legacy, ...updated], false);
    expect(replay.filter((r) => r !== null)).toEqual(Array.from({ length: dry.body.wouldRefuse }, () => dry.body.reason));
  });

  it("deleting the secondary certificate: predicted from the logins it verified, then observed", async () => {
    await gw.admin.certificates.enableSecondary(APP);
    const onSecondary = await Promise.all(Array.from({ length: 5 }, async (_, i) => ({ uid: `rotated-${i}`, token: await mint(`rotated-${i}`, "secondary") })));
    expect(await loginAll(onSecondary, false)).toEqual(onSecondary.map(() => null));
    const swapDry = await gw.admin.migration.dryRun(APP, "swap");
    expect(swapDry).toMatchObject({ dryRun: true, step: "swap", wouldRefuse: 0 });
    expect((await gw.admin.migration.readiness(APP, 60)).logins.bySlot.secondary).toBe(5);
    const dry = await send("DELETE", `/projects/${APP}/certificates/secondary?dryRun=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, step: "delete_secondary", wouldRefuse: 5, reason: "invalid_signature" });
    expect((await gw.admin.projects.get(APP)).certificates.secondary).not.toBeNull();

    await gw.admin.certificates.deleteSecondary(APP);
    const replay = await loginAll([...onSecondary, ...updated], false);
    expect(replay.filter((r) => r !== null)).toEqual(Array.from({ length: dry.body.wouldRefuse }, () => "invalid_signature"));
  });

  it("a rotation: after Set as primary the old certificate's logins and live sessions count for the secondary, and deleting it refuses exactly them", async () => {
    await gw.admin.certificates.enableSecondary(APP);
    // Tokens of the current primary: the certificate that will be the old one.
    const onOld = await Promise.all(Array.from({ length: 3 }, async (_, i) => ({ uid: `old-cert-${i}`, token: await mint(`old-cert-${i}`, "primary") })));
    expect(await loginAll(onOld.slice(0, 1), true)).toEqual([null]); // one of them stays logged in
    expect(await loginAll(onOld.slice(1), false)).toEqual([null, null]);
    const before = await gw.admin.migration.readiness(APP, 60);
    await gw.admin.certificates.swap(APP); // "Set as primary": the old primary is now the secondary
    const after = await gw.admin.migration.readiness(APP, 60);
    expect(after.logins.bySlot).toEqual({ primary: before.logins.bySlot.secondary, secondary: before.logins.bySlot.primary });
    expect(after.liveSessions.secondary).toBeGreaterThanOrEqual(1);
    const dry = await send("DELETE", `/projects/${APP}/certificates/secondary?dryRun=true`);
    expect(dry.body).toMatchObject({ dryRun: true, step: "delete_secondary", reason: "invalid_signature" });
    expect(dry.body.wouldRefuse).toBeGreaterThanOrEqual(3);
    expect(dry.body.liveSessionsAffected).toBeGreaterThanOrEqual(1);
    await gw.admin.certificates.deleteSecondary(APP);
    expect(await loginAll(onOld.slice(1), false)).toEqual(["invalid_signature", "invalid_signature"]);
  });

  it("a window reaching back before the gateway started is said to be partial; once the gateway has seen a whole window it is not", async () => {
    const fresh = await startGateway({ clock: "manual", projects: [{ appId: APP, mode: "either" }] });
    try {
      expect((await fresh.admin.migration.readiness(APP, 3600)).partial).toMatch(/^this gateway has kept figures for 0 s of the 3600 s window: they are kept in memory from its start/);
      await fresh.admin.clock.advance(600);
      expect((await fresh.admin.migration.readiness(APP, 600)).partial).toBeNull();
      expect((await fresh.admin.migration.readiness(APP, 3600)).partial).toMatch(/kept figures for 600 s of the 3600 s window/);
    } finally {
      await fresh.close();
    }
  });

  it("anything but dryRun=true|false is a 400 and never the real step (dryRun=1, dryrun=true, repeated, empty)", async () => {
    await gw.admin.certificates.enableSecondary(APP);
    for (const q of ["dryRun=1", "dryRun", "dryRun=", "dryRun=TRUE", "dryRun=yes", "dryrun=true", "dryRun=true&dryRun=true", "force=1"]) {
      const r = await send("DELETE", `/projects/${APP}/certificates/secondary?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe("invalid_request");
    }
    expect((await gw.admin.projects.get(APP)).certificates.secondary).not.toBeNull();
    const explicit = await send("DELETE", `/projects/${APP}/certificates/secondary?dryRun=false`);
    expect(explicit.status).toBe(200);
    expect((await gw.admin.projects.get(APP)).certificates.secondary).toBeNull();
  });

  it("a dry-run of a step that would be refused is refused the same way, and changes nothing", async () => {
    const again = await send("DELETE", `/projects/${APP}/no-certificate?dryRun=true`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("no_certificate_deleted");
    const noSecondary = await send("DELETE", `/projects/${APP}/certificates/secondary?dryRun=true`);
    expect(noSecondary.status).toBe(404);
    expect(noSecondary.body.error.code).toBe("secondary_not_found");
  });

  it("the window slides on the simulated clock; bad windows and unknown projects are refused", async () => {
    const narrow = await get(`/projects/${APP}/readiness?windowSeconds=1`);
    expect(narrow.body.windowSeconds).toBe(1);
    // The counts cover whole 60-second buckets, and the reply says how far back that goes.
    expect(narrow.body.coveredSeconds).toBeGreaterThanOrEqual(1);
    expect(narrow.body.coveredSeconds).toBeLessThanOrEqual(60);
    await gw.clock.advance(3_700);
    const later = await get(`/projects/${APP}/readiness`);
    expect(later.body.logins).toMatchObject({ appid: 0, token: 0 });
    expect(later.body.appIdUids).toEqual([]);
    expect(later.body.lastUse.appid).not.toBeNull(); // last use is kept beyond the window
    const typo = await get(`/projects/${APP}/readiness?windowseconds=60`);
    expect(typo.status).toBe(400);
    expect(typo.body.error.field).toBe("query");
    for (const bad of ["0", "abc", "3601", "1.5", "-5"]) {
      const r = await get(`/projects/${APP}/readiness?windowSeconds=${bad}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
    }
    const unknown = await get(`/projects/0123456789abcdef0123456789abcdef/readiness`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("project_not_found");
  });
});
