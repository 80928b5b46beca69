/**
 * Shadow decisions (docs/migration.md): with a shadow target set, every login is decided again
 * against it; the client sees only the real outcome. The same traffic, run once in shadow and
 * once after the real step, gives the same refusal counts by reason — for "token only" (deleting
 * No certificate) and for deleting the secondary certificate. The shadow outcome is in the
 * journal, the readiness report and rtm_auth_shadow_decisions_total.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { buildRtmToken } from "../../core/token/index.js";

const APP = "5eed0000000000000000000000000003";
let gw: TestGateway;

interface Attempt {
  readonly uid: string;
  readonly token: string | null;
}

beforeAll(async () => {
  gw = await startGateway({ clock: "manual", projects: [{ appId: APP, mode: "appid" }] });
  await gw.admin.certificates.enablePrimary(APP);
  await gw.admin.certificates.enableSecondary(APP);
});
afterAll(() => gw.close());

async function traffic(): Promise<Attempt[]> {
  const mint = async (uid: string, certificate: "primary" | "secondary", forUid = uid) => (await gw.admin.tokens.mint({ appId: APP, uid: forUid, version: "007", expireSeconds: 86_400, certificate })).token;
  const now = (await gw.admin.clock.get()).now;
  const forged = (uid: string) => buildRtmToken({ version: "007", appId: APP, certificate: "00000000000000000000000000000bad", uid, expireSeconds: 3600, issueTs: now, salt: 7 });
  return [
    ...Array.from({ length: 6 }, (_, i) => ({ uid: `legacy-${i}`, token: null })),
    ...(await Promise.all(Array.from({ length: 5 }, async (_, i) => ({ uid: `primary-${i}`, token: await mint(`primary-${i}`, "primary") })))),
    ...(await Promise.all(Array.from({ length: 4 }, async (_, i) => ({ uid: `secondary-${i}`, token: await mint(`secondary-${i}`, "secondary") })))),
    { uid: "forged-0", token: forged("forged-0") },
    { uid: "forged-1", token: forged("forged-1") },
    { uid: "wrong-uid", token: await mint("wrong-uid", "primary", "someone-else") },
  ];
}

/** Logs every attempt in on its own connection; returns the real outcomes (null = accepted). */
async function run(attempts: readonly Attempt[]): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (const a of attempts) {
    const c = createRtmClient({ url: gw.url, appId: APP, profile: "rtm1" });
    out.push(await c.login({ uid: a.uid, token: a.token }).then(
      async () => {
        await c.logout();
        return null;
      },
      (err: { reason: string }) => err.reason,
    ));
  }
  return out;
}

const countBy = (reasons: ReadonlyArray<string | null>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of reasons) if (r !== null) out[r] = (out[r] ?? 0) + 1;
  return out;
};

async function readiness(): Promise<{ refused: Record<string, number>; shadow: { target: unknown; refused: Record<string, number> } }> {
  return (await fetch(`${gw.httpUrl}/admin/projects/${APP}/readiness?windowSeconds=60`)).json() as never;
}

async function putShadow(body: unknown): Promise<number> {
  return (await fetch(`${gw.httpUrl}/admin/projects/${APP}/shadow`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).status;
}

it("token only: the shadow run's refusals equal the real ones after deleting No certificate; clients saw only the real outcome", async () => {
  expect(await putShadow({ target: "token_only" })).toBe(200);
  const attempts = await traffic();
  const inShadow = await run(attempts);
  // Real outcomes in the migration window: App-ID logins are accepted.
  expect(countBy(inShadow)).toEqual({ invalid_signature: 2, uid_mismatch: 1 });
  const shadowed = await readiness();
  expect(shadowed.shadow.target).toEqual({ target: "token_only" });
  expect(shadowed.shadow.refused).toEqual({ token_required: 6, invalid_signature: 2, uid_mismatch: 1 });
  const journal = await gw.admin.journal.query({ op: "login", uid: "legacy-0", limit: 1 });
  expect((journal.entries[0] as { result: string; shadow?: unknown }).result).toBe("accepted");
  expect((journal.entries[0] as { shadow?: unknown }).shadow).toEqual({ target: "token_only", result: "refused", reason: "token_required" });
  // Explain shows the shadow outcome beside the real decision.
  const explained = await gw.admin.explain({ appId: APP, uid: "legacy-9", token: null });
  expect(explained).toMatchObject({ decision: "accept", shadow: { target: "token_only", result: "refused", reason: "token_required" } });
  const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  expect(metrics).toContain('rtm_auth_shadow_decisions_total{target="token_only",result="refused",reason="token_required"} 6');
  expect(metrics).toContain('rtm_auth_shadow_decisions_total{target="token_only",result="accepted",reason="ok"} 9');

  expect((await fetch(`${gw.httpUrl}/admin/projects/${APP}/shadow`, { method: "DELETE" })).status).toBe(204);
  await gw.admin.certificates.deleteNoCertificate(APP);
  await gw.clock.advance(120);
  const real = await run(attempts);
  expect(countBy(real)).toEqual(shadowed.shadow.refused);
});

it("deleting the secondary: the shadow run's refusals equal the real ones after the step", async () => {
  await gw.clock.advance(120);
  expect(await putShadow({ target: "delete_certificate", slot: "secondary" })).toBe(200);
  const attempts = await traffic();
  const inShadow = await run(attempts);
  const shadowed = await readiness();
  expect(countBy(inShadow)).toEqual(shadowed.refused);
  expect(shadowed.shadow.refused).toEqual({ token_required: 6, invalid_signature: 2 + 4, uid_mismatch: 1 });

  await fetch(`${gw.httpUrl}/admin/projects/${APP}/shadow`, { method: "DELETE" });
  await gw.admin.certificates.deleteSecondary(APP);
  await gw.clock.advance(120);
  const real = await run(attempts); // the same tokens, minted before the step
  expect(countBy(real)).toEqual(shadowed.shadow.refused);
});

it("bad targets and unknown projects are refused; GET shows the target", async () => {
  expect(await putShadow({ target: "delete_certificate" })).toBe(400);
  expect(await putShadow({ target: "token_only", extra: 1 })).toBe(400);
  expect(await putShadow({ target: "delete_everything" })).toBe(400);
  const none = await fetch(`${gw.httpUrl}/admin/projects/${APP}/shadow`);
  expect(await none.json()).toEqual({ appId: APP, target: null });
  expect((await fetch(`${gw.httpUrl}/admin/projects/${APP}/shadow`, { method: "DELETE" })).status).toBe(404);
  const unknown = await fetch(`${gw.httpUrl}/admin/projects/0123456789abcdef0123456789abcdef/shadow`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"target":"token_only"}' });
  expect(unknown.status).toBe(404);
});

it("populate keeps a project's shadow target when it restates the project", async () => {
  const other = "5eed0000000000000000000000000005";
  await gw.admin.populate([{ appId: other, mode: "appid" }]);
  const put = await fetch(`${gw.httpUrl}/admin/projects/${other}/shadow`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"target":"token_only"}' });
  expect(put.status).toBe(200);
  const r = await gw.admin.populate([{ appId: other, mode: "either" }]);
  expect(r.updated).toEqual([other]);
  expect(await (await fetch(`${gw.httpUrl}/admin/projects/${other}/shadow`)).json()).toEqual({ appId: other, target: { target: "token_only" } });
});

it("readiness counts only the current target's shadow refusals, and agrees with the shadow on deleting the last certificate", async () => {
  const p = "5eed0000000000000000000000000006";
  await gw.admin.populate([{ appId: p, mode: "either" }]);
  const put = (body: unknown) => fetch(`${gw.httpUrl}/admin/projects/${p}/shadow`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const report = async () => (await gw.admin.migration.readiness(p, 60)) as unknown as { shadow: { target: unknown; refused: Record<string, number> }; verdicts: Record<string, { reason: string | null }> };
  const login = async (uid: string, token: string | null) => {
    const c = createRtmClient({ url: gw.url, appId: p });
    await c.login({ uid, token });
    await c.logout();
  };
  expect((await put({ target: "token_only" })).status).toBe(200);
  await login("x", null);
  expect((await report()).shadow.refused).toEqual({ token_required: 1 });
  await fetch(`${gw.httpUrl}/admin/projects/${p}/shadow`, { method: "DELETE" });
  expect((await report()).shadow).toEqual({ target: null, refused: {} });
  expect((await put({ target: "delete_certificate", slot: "primary" })).status).toBe(200);
  await login("y", (await gw.admin.tokens.mint({ appId: p, uid: "y", version: "007", expireSeconds: 3600 })).token);
  const r = await report();
  expect(r.shadow.refused).toEqual({ token_not_accepted: 1 });
  expect(r.verdicts["delete_primary"]?.reason).toBe("token_not_accepted");
});
