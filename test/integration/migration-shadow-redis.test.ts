/**
 * A shadow target lives in its project's record (docs/migration.md): with two gateways on one
 * Redis, a target set through one is applied by the other, a target cleared on the other is gone
 * from both, and a gateway started later finds it. Runs on its own redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { redisServerUnavailable, startOwnRedisServer, uniquePrefix, type OwnRedisServer } from "../support/redis.js";

const noServer = redisServerUnavailable();
if (noServer !== undefined && process.env.CI === "true") throw new Error(`the shared-shadow Redis test is required in CI (CI=true): ${noServer}`);

const APP = "5eed0000000000000000000000000004";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(noServer !== undefined)("shadow targets shared by two gateways on one Redis", () => {
  let redis: OwnRedisServer;
  let a: Gateway;
  let b: Gateway;
  let prefix: string;
  const start = (): Promise<Gateway> => startGateway({ config: { port: 0, logLevel: "silent", devSeed: false, redisUrl: redis.url, redisKeyPrefix: prefix } });
  const admin = (gw: Gateway, method: string, path: string, body?: unknown) =>
    fetch(`${gw.httpUrl}/admin${path}`, { method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });
  /** Polls `gw`'s explain of an App-ID login until its shadow outcome is `want` (bounded). */
  async function shadowOn(gw: Gateway, want: unknown): Promise<unknown> {
    let got: unknown;
    for (let i = 0; i < 100; i++) {
      got = ((await (await admin(gw, "POST", "/explain", { appId: APP, uid: "legacy", token: null })).json()) as { shadow: unknown }).shadow;
      if (JSON.stringify(got) === JSON.stringify(want)) return got;
      await sleep(20);
    }
    return got;
  }

  beforeAll(async () => {
    redis = await startOwnRedisServer();
    prefix = uniquePrefix("shadow");
    a = await start();
    b = await start();
    expect((await admin(a, "POST", "/projects", { mechanism: "appid", appId: APP })).status).toBe(201);
    expect((await admin(a, "POST", `/projects/${APP}/certificates/primary`)).status).toBe(200);
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.dispose();
  });

  it("set on one gateway, applied by the other; a login there records it; cleared there, gone from both; a later gateway finds it", async () => {
    expect((await admin(a, "PUT", `/projects/${APP}/shadow`, { target: "token_only" })).status).toBe(200);
    const refused = { target: "token_only", result: "refused", reason: "token_required" };
    expect(await shadowOn(b, refused)).toEqual(refused);

    const client = createRtmClient({ url: b.url, appId: APP });
    await client.login({ uid: "legacy", token: null }); // accepted for real: the project is in its migration window
    await client.logout();
    const entry = ((await (await admin(b, "GET", `/journal?op=login&uid=legacy&limit=1`)).json()) as { entries: Array<{ result: string; shadow?: unknown }> }).entries[0];
    expect(entry).toMatchObject({ result: "accepted", shadow: refused });

    const c = await start();
    try {
      expect(await (await admin(c, "GET", `/projects/${APP}/shadow`)).json()).toEqual({ appId: APP, target: { target: "token_only" } });
    } finally {
      await c.close();
    }

    expect((await admin(b, "DELETE", `/projects/${APP}/shadow`)).status).toBe(204);
    expect(await shadowOn(a, null)).toBeNull();
    expect(await (await admin(a, "GET", `/projects/${APP}/shadow`)).json()).toEqual({ appId: APP, target: null });
  }, 30_000);
});
