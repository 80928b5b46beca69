import { afterEach, describe, expect, it } from "vitest";
import { leanLoginCycle } from "../../../client/index.js";
import { APP_ID, loginResult, RTM1_LOGIN_EVENTS, startFakeGateway, type FakeGateway, type Frame, type ScriptContext } from "./fake-gateway.js";

const gateways: FakeGateway[] = [];
afterEach(async () => {
  while (gateways.length > 0) await gateways.pop()?.stop();
});

async function gateway(script: (frame: Frame, ctx: ScriptContext) => void): Promise<FakeGateway> {
  const gw = await startFakeGateway(script);
  gateways.push(gw);
  return gw;
}

const FRAME = JSON.stringify({ id: 1, op: "login", appId: APP_ID, uid: "load-1", token: null, profile: "rtm1" });

describe("leanLoginCycle", () => {
  it("skips events, reports ok with a latency and closes with 1000", async () => {
    const gw = await gateway((frame, ctx) => {
      for (const e of RTM1_LOGIN_EVENTS) ctx.send(e);
      ctx.send("garbage");
      ctx.ok(frame, loginResult("load-1"));
    });
    const outcome = await leanLoginCycle(gw.url, FRAME);
    expect(outcome.ok).toBe(true);
    expect(outcome.code).toBeUndefined();
    expect(outcome.latencyMs).toBeGreaterThan(0);
    expect(gw.frames).toEqual([JSON.parse(FRAME)]);
    expect(gw.clientCloseCodes).toEqual([1000]);
  });

  it("reports a refusal's code and reason", async () => {
    const gw = await gateway((frame, ctx) => ctx.fail(frame, { code: 10, name: "LOGIN_ERR_TOO_OFTEN", reason: "too_often" }));
    expect(await leanLoginCycle(gw.url, FRAME)).toMatchObject({ ok: false, code: 10, reason: "too_often" });
  });

  it("reports login_timeout and connection_closed without rejecting", async () => {
    const silent = await gateway(() => {});
    expect(await leanLoginCycle(silent.url, FRAME, 30)).toMatchObject({ ok: false, reason: "login_timeout" });
    const dropping = await gateway((_frame, ctx) => ctx.socket.terminate());
    expect(await leanLoginCycle(dropping.url, FRAME)).toMatchObject({ ok: false, reason: "connection_closed" });
    expect(await leanLoginCycle("not a url", FRAME)).toMatchObject({ ok: false, reason: "connection_closed" });
  });
});
