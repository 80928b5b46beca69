/**
 * `POST /admin/reset` and the dev seed (issue 14, item 3): with the dev seed on, a reset brings the
 * dev projects back in their start state and says so (200, their App IDs); with it off, a reset
 * leaves no project (204). Either way the clock runs at real time again, fault rules and other
 * projects are gone.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { adminApi } from "../support/admin-api.js";

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const EITHER = DEV_PROJECTS.find((p) => p.mode === "either")!;

/** A gateway whose world was changed every way a reset undoes. */
async function changed(devSeed: boolean) {
  gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed, journalSize: 100 } });
  const api = adminApi(gw.httpUrl);
  expect((await api.call("POST", "/admin/projects", { mechanism: "appid", appId: "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0" })).status).toBe(201);
  if (devSeed) expect((await api.call("DELETE", `/admin/projects/${EITHER.appId}/no-certificate`)).status).toBe(200);
  expect((await api.call("POST", "/admin/faults", { op: "login", action: { type: "never_reply" } })).status).toBe(201);
  expect((await api.call("POST", "/admin/clock/advance", { seconds: 86_400 })).status).toBe(200);
  return api;
}

describe("POST /admin/reset", () => {
  it("dev seed on: 200 naming the dev projects, which exist again in their start state; the clock at real time; no faults", async () => {
    const api = await changed(true);
    const r = await api.call("POST", "/admin/reset");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ devSeed: true, projects: DEV_PROJECTS.map((p) => p.appId), message: expect.stringContaining("seeded again") });

    const projects = (await api.call("GET", "/admin/projects")).body as { projects: Array<{ appId: string; mode: string; noCertificate: boolean }> };
    expect(projects.projects.map((p) => [p.appId, p.mode]).sort()).toEqual(DEV_PROJECTS.map((p) => [p.appId, p.mode]).sort());
    // The "either" project had lost "No certificate" before the reset: it is back.
    expect(projects.projects.find((p) => p.appId === EITHER.appId)?.noCertificate).toBe(true);
    const either = (await api.call("GET", `/admin/projects/${EITHER.appId}`)).body as { certificates: { primary: { value: string; status: string } } };
    expect(either.certificates.primary).toMatchObject({ value: EITHER.certificate, status: "active" });

    const clock = (await api.call("GET", "/admin/clock")).body as { now: number; frozen: boolean };
    expect(clock.frozen).toBe(false);
    expect(Math.abs(clock.now - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(2);
    expect((await api.call("GET", "/admin/faults")).body).toEqual({ faults: [] });
  });

  it("dev seed on: a token minted after the reset logs in on the re-seeded token project (the certificate is active now)", async () => {
    const api = await changed(true);
    expect((await api.call("POST", "/admin/reset")).status).toBe(200);
    const token = DEV_PROJECTS.find((p) => p.mode === "token")!;
    const minted = await api.call("POST", "/admin/tokens", { appId: token.appId, uid: "alice", version: "007", expireSeconds: 600 });
    expect(minted.status).toBe(200);
    const client = createRtmClient({ url: gw!.url, appId: token.appId, profile: "rtm2" });
    try {
      expect(await client.login({ uid: "alice", token: minted.body.token })).toMatchObject({ credential: "token", tokenVersion: "007" });
    } finally {
      await client.close();
    }
  });

  it("dev seed off: 204 and no projects", async () => {
    const api = await changed(false);
    const r = await api.call("POST", "/admin/reset");
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect((await api.call("GET", "/admin/projects")).body).toEqual({ projects: [] });
  });
});
