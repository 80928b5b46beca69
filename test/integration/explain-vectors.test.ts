/**
 * Explain agrees with the real login (issue 5): for every vector of
 * test/conformance/vectors/rtm-tokens.json and both profiles, the project is set up with the
 * vector's App ID and active certificates (primary, then secondary), the simulated clock is set to
 * the vector's `now`, and `POST /admin/explain` must give the reason (and the reply code) that a
 * real login through the client SDK gets.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient, isRtmError } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import type { Profile } from "../../core/protocol/wire.js";

interface Vector {
  readonly name: string;
  readonly appId: string;
  readonly activeCertificates: readonly string[];
  readonly uid: string;
  readonly now: number;
  readonly token: string;
}

const vectors = JSON.parse(readFileSync(new URL("../conformance/vectors/rtm-tokens.json", import.meta.url), "utf8")) as Vector[];

let tg: TestGateway;
beforeAll(async () => {
  tg = await startGateway({ clock: "manual", config: { callsPerSecond: 1000 } });
});
afterAll(async () => {
  await tg.close();
});

/** What a real login through the client SDK gets: `ok`, or the refusal's reason and code. */
async function realLogin(v: Vector, profile: Profile): Promise<{ reason: string; code: number | null }> {
  const client = createRtmClient({ url: tg.url, appId: v.appId, profile, loginTimeoutMs: 5000 });
  try {
    await client.login({ uid: v.uid, token: v.token });
    return { reason: "ok", code: null };
  } catch (err) {
    if (!isRtmError(err)) throw err;
    return { reason: err.reason, code: err.code };
  } finally {
    await client.close();
  }
}

describe("explain agrees with the real login on every shared token vector", () => {
  it("holds the 38 vectors", () => {
    expect(vectors).toHaveLength(38);
  });

  describe.each(["rtm1", "rtm2"] as Profile[])("profile %s", (profile) => {
    it.each(vectors.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
      const [primary, secondary] = v.activeCertificates;
      await tg.admin.populate([{ appId: v.appId, mode: "token", ...(primary === undefined ? {} : { primary }), ...(secondary === undefined ? {} : { secondary }) }]);
      await tg.clock.set(v.now);
      const explained = await tg.admin.explain({ appId: v.appId, uid: v.uid, token: v.token, profile });
      const real = await realLogin(v, profile);
      expect({ reason: explained.reason, code: explained.code }).toEqual(real);
      expect(explained.decision).toBe(real.reason === "ok" ? "accept" : "refuse");
      // The journal recorded the same decision.
      const [entry] = (await tg.admin.journal.query({ appId: v.appId, op: "login", limit: 1 })).entries;
      expect(entry?.reason).toBe(real.reason);
      expect(entry?.failedCheck ?? null).toBe(explained.failedCheck);
    });
  });
});
