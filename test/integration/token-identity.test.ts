/**
 * Token identity over the wire (issue 11, Build item 8): malleated strings of one real token both
 * log in, and the journal shows one tokenId for both; another token gets another; a renew records
 * its token's identity; an App ID login and an undecodable token record null.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseToken, tokenIdentity } from "../../core/token/index.js";
import { redeflate007, withCrc006, withStoredPadding007 } from "../chaos/support/token-variants.js";
import { APPS, startHarness, type Harness } from "../support/gateway-harness.js";

type Frame = Record<string, unknown>;

/** Opens a socket, sends the frames one by one, resolves with each reply (by id); then closes. */
async function exchange(url: string, frames: ReadonlyArray<Frame & { id: number }>): Promise<Frame[]> {
  const ws = new WebSocket(url);
  const replies = new Map<number, Frame>();
  let wake: (() => void) | undefined;
  ws.on("message", (data) => {
    const f = JSON.parse(data.toString()) as Frame;
    if (typeof f["id"] === "number") replies.set(f["id"], f);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const out: Frame[] = [];
  for (const f of frames) {
    ws.send(JSON.stringify(f));
    const deadline = Date.now() + 3_000;
    while (!replies.has(f.id)) {
      if (Date.now() > deadline) throw new Error(`no reply to ${f.id}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    out.push(replies.get(f.id)!);
  }
  ws.close();
  return out;
}

function idOf(token: string): string {
  const r = parseToken(token);
  if (!r.ok) throw new Error(r.detail);
  return tokenIdentity(r.token);
}

describe("tokenId in the journal (real gateway)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ callsPerSecond: 100 });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function journalFor(uid: string): Promise<Array<{ op: string; result: string; reason: string; tokenId: string | null }>> {
    const res = await fetch(`${h.gateway.httpUrl}/admin/journal?uid=${encodeURIComponent(uid)}&limit=50`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: Array<{ op: string; result: string; reason: string; tokenId: string | null }> };
    return body.entries.reverse().filter((e) => e.op === "login" || e.op === "renewToken");
  }

  it.each([
    ["006, a changed CRC field", "006" as const, (t: string) => withCrc006(t, 0x12345678, 0x9abcdef0)],
    ["007, re-deflated at level 9", "007" as const, (t: string) => redeflate007(t, { level: 9 })],
    ["007, stored blocks with padding bits set", "007" as const, (t: string) => withStoredPadding007(t, 0x15)],
  ])("%s: both strings log in; one tokenId for both; another token, another tokenId", async (_label, version, malleate) => {
    const uid = `ident-${version}-${Math.random().toString(36).slice(2, 8)}`;
    const original = h.token("token", uid, { version });
    const variant = malleate(original);
    const other = h.token("token", uid, { version });
    expect(variant).not.toBe(original);

    for (const t of [original, variant, other]) {
      const [r] = await exchange(h.gateway.url, [{ id: 1, op: "login", appId: APPS.token.appId, uid, token: t }]);
      expect(r).toMatchObject({ id: 1, ok: true, op: "login", result: { credential: "token", tokenVersion: version } });
    }
    const entries = await journalFor(uid);
    expect(entries.map((e) => [e.op, e.result])).toEqual([
      ["login", "accepted"],
      ["login", "accepted"],
      ["login", "accepted"],
    ]);
    const [a, b, c] = entries.map((e) => e.tokenId);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toBe(a);
    expect(a).toBe(idOf(original));
    expect(c).toBe(idOf(other));
    expect(c).not.toBe(a);
  });

  it("a renew records its new token's identity; refused decoded tokens keep theirs; App ID logins and undecodable tokens record null", async () => {
    const uid = `ident-renew-${Math.random().toString(36).slice(2, 8)}`;
    const first = h.token("token", uid);
    const renewal = h.token("token", uid, { expireSeconds: 7200 });
    const forged = h.token("token", uid, { certificate: "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" });
    const replies = await exchange(h.gateway.url, [
      { id: 1, op: "login", appId: APPS.token.appId, uid, token: first },
      { id: 2, op: "renewToken", token: redeflate007(renewal, { level: 1 }) },
      { id: 3, op: "renewToken", token: forged },
      { id: 4, op: "renewToken", token: "007notbase64!" },
    ]);
    expect(replies.map((r) => [r["ok"], (r["error"] as Frame | undefined)?.["reason"] ?? null])).toEqual([
      [true, null],
      [true, null],
      [false, "invalid_signature"],
      [false, "malformed"],
    ]);
    const appUid = `${uid}-appid`;
    const [appLogin] = await exchange(h.gateway.url, [{ id: 1, op: "login", appId: APPS.appid.appId, uid: appUid }]);
    expect(appLogin).toMatchObject({ ok: true, result: { credential: "appid" } });

    expect((await journalFor(uid)).map((e) => [e.op, e.result, e.tokenId])).toEqual([
      ["login", "accepted", idOf(first)],
      ["renewToken", "accepted", idOf(renewal)],
      ["renewToken", "refused", idOf(forged)],
      ["renewToken", "refused", null],
    ]);
    expect((await journalFor(appUid)).map((e) => e.tokenId)).toEqual([null]);
  });
});
