/**
 * The journal's `tokenId` (issue 11, Build item 8): derived from the decoded token when the
 * decision is recorded (the decoded token reaches the observer beside the decision), equal for
 * malleated strings of one token, and no token bytes kept.
 */
import { describe, expect, it } from "vitest";
import { buildRtmToken, parseToken, tokenIdentity, type ParsedToken } from "../../../../core/token/index.js";
import type { Decision } from "../../../../gateway/sessions/decision.js";
import { DecisionJournal } from "../../../../gateway/sessions/journal.js";
import { redeflate007, withCrc006 } from "../../../chaos/support/token-variants.js";

const APP = "f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3";
const CERT = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

const base: Decision = {
  op: "login",
  result: "accepted",
  reason: "ok",
  profile: "rtm1",
  appId: APP,
  uid: "alice",
  mode: "token",
  credential: "token",
  tokenVersion: "007",
  slot: "primary",
  sessionId: "s-1",
  at: 1_718_000_000,
  latencyMs: 0.01,
  failedCheck: null,
  closeCode: null,
};

function decoded(token: string): ParsedToken {
  const r = parseToken(token);
  if (!r.ok) throw new Error(r.detail);
  return r.token;
}

const token = (version: "006" | "007", salt = 1) => buildRtmToken({ version, appId: APP, certificate: CERT, uid: "alice", expireSeconds: 3600, issueTs: 1_718_000_000, salt });

describe("DecisionJournal tokenId", () => {
  it("records the identity of the decoded token; null without one", () => {
    const j = new DecisionJournal(10, () => 0);
    const t = token("007");
    j.observer({ ...base }, decoded(t));
    j.observer({ ...base, credential: "appid", tokenVersion: null }, null);
    j.observer({ ...base, op: "logout" });
    const [logout, appid, login] = j.query({ limit: 10 });
    expect(login?.tokenId).toBe(tokenIdentity(decoded(t)));
    expect(login?.tokenId).toMatch(/^[0-9a-f]{32}$/);
    expect(appid?.tokenId).toBeNull();
    expect(logout?.tokenId).toBeNull();
  });

  it("gives malleated strings of one token the same tokenId, another token another", () => {
    const j = new DecisionJournal(10, () => 0);
    const t7 = token("007");
    const t6 = token("006");
    const variants = [t7, redeflate007(t7, { level: 9 }), redeflate007(t7, { level: 0 }), t6, withCrc006(t6, 1, 2), token("007", 2)];
    expect(new Set(variants).size).toBe(variants.length);
    for (const t of variants) j.observer({ ...base, uid: t.slice(0, 3) }, decoded(t));
    const ids = j
      .query({ limit: 10 })
      .reverse()
      .map((e) => e.tokenId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[3]).toBe(ids[4]);
    expect(new Set(ids).size).toBe(3);
  });

  it("keeps no token bytes: entries carry only the identity, and a refused decoded token too", () => {
    const j = new DecisionJournal(10, () => 0);
    const t = token("006");
    j.observer({ ...base, result: "refused", reason: "invalid_signature" }, decoded(t));
    const [e] = j.query({ limit: 1 });
    expect(e).not.toHaveProperty("decodedToken");
    expect(e?.tokenId).toBe(tokenIdentity(decoded(t)));
    const json = JSON.stringify(j.query({ limit: 10 }));
    expect(json).not.toContain(t.slice(35, 60));
    expect(json).not.toContain(decoded(t).signature.toString("hex").slice(0, 16));
    // The ring holds no reference to the token (reached through the stored decision, not just the view).
    const stored = (j as unknown as { decisions: Array<Decision | undefined> }).decisions[0];
    expect(stored).toBeDefined();
    expect(Object.values(stored as object).some((v) => v === decoded(t) || Buffer.isBuffer(v))).toBe(false);
    expect(JSON.stringify(stored)).not.toContain(decoded(t).signature.toString("hex").slice(0, 16));
  });

  it("stores the decision of a login with a token as it is, every field kept, and the token's identity beside it", () => {
    const full: Decision = {
      ...base,
      faultId: "f-1",
      shadow: { target: "token_only", result: "refused", reason: "invalid_signature" },
      cohort: { revision: 3, stage: 1, stageName: "canary" },
      rollout: { at: 1_718_000_001, cause: "advance", by: "operator", fromStage: 0, toStage: 1, status: "running", revision: 3, note: "n" },
    };
    const withToken = new DecisionJournal(1, () => 5);
    const without = new DecisionJournal(1, () => 5);
    withToken.observer(full, decoded(token("007")));
    without.observer(full);
    const [a] = withToken.query({ limit: 1 });
    const [b] = without.query({ limit: 1 });
    expect({ ...a, tokenId: null }).toEqual(b);
    const stored = (withToken as unknown as { decisions: Array<Decision | undefined> }).decisions[0];
    expect(stored).toEqual(full);
  });

  it("forgets identities on clear()", () => {
    const j = new DecisionJournal(2, () => 0);
    j.observer({ ...base }, decoded(token("007")));
    j.clear();
    j.observer({ ...base });
    expect(j.query({ limit: 10 }).map((e) => e.tokenId)).toEqual([null]);
  });
});
