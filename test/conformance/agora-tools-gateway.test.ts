/**
 * Agora's own vectors (test/conformance/vectors/agora-tools-official.json; SOURCE.md) through a
 * running gateway: every case is a login over the WebSocket, in both profiles, at the case's own
 * `now`, against a project holding the case's App ID and certificate. The gateway gives each
 * case its `expect`: accepted when valid, else refused with the expected reason.
 *
 * The official suites use mixed-case hex (`970CA35de6…`, `5CFd2fd1…`), which the admin API does
 * not take (Agora's console issues lowercase); the projects are written into the store directly.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { MemoryCertificateStore } from "../../core/certificate/certificate-store-memory.js";
import { SimulatedClock, startGateway, type Gateway } from "../../gateway/main.js";

interface Vector {
  readonly name: string;
  readonly appId: string;
  readonly appCertificate: string;
  readonly uid: string;
  readonly now: number;
  readonly token: string;
  readonly expect: { readonly valid: boolean; readonly reason?: string };
}

const VECTORS = JSON.parse(readFileSync(new URL("./vectors/agora-tools-official.json", import.meta.url), "utf8")) as Vector[];
const store = new MemoryCertificateStore();
const clock = new SimulatedClock({ frozenAtSeconds: 1_111_111 });
let gw: Gateway;

let version = 0;

/** The project of a case: its App ID with its certificate as the primary (cases share App IDs with other certificates). */
async function project(v: Vector): Promise<void> {
  version++;
  await store.update(v.appId, () => ({
    appId: v.appId,
    noCertificate: false,
    primary: { value: v.appCertificate, enabledAt: 0, activeAt: 0 },
    secondary: null,
    enabled: true,
    version,
  }));
}

beforeAll(async () => {
  gw = await startGateway({ store, clock, config: { port: 0, logLevel: "silent", devSeed: false, callsPerSecond: 1000 } });
});
afterAll(async () => {
  await gw.close();
});

describe.each(["rtm1", "rtm2"] as const)("every official vector as a WebSocket login (%s)", (profile) => {
  it.each(VECTORS.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    clock.set(v.now);
    await project(v);
    const client = createRtmClient({ url: gw.url, appId: v.appId, profile });
    try {
      const outcome = await client.login({ uid: v.uid, token: v.token }).then(
        () => "accepted",
        (err: { reason: string }) => err.reason,
      );
      expect(outcome).toBe(v.expect.valid ? "accepted" : v.expect.reason);
    } finally {
      await client.close();
    }
  });
});
