/**
 * Starts a real gateway on 127.0.0.1, port 0, with a frozen simulated clock and an in-memory
 * store holding one project per auth mode (plus a project with a secondary certificate), and
 * mints tokens for them.
 */
import { MemoryCertificateStore } from "../../core/certificate/certificate-store-memory.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { buildRtmToken, type TokenVersion } from "../../core/token/index.js";
import { SimulatedClock } from "../../gateway/clock/simulated-clock.js";
import type { GatewayConfigInput } from "../../gateway/config.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import type { DecisionObserver } from "../../gateway/sessions/decision.js";
import { createLogger } from "../../gateway/logger.js";

/** A fixed epoch for tests (2024-06-10T06:13:20Z). */
export const T0 = 1_718_000_000;

export const APPS = {
  appid: { appId: "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", certificate: null },
  either: { appId: "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2", certificate: "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2" },
  token: { appId: "f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3", certificate: "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3" },
  /** Token only, with a secondary certificate too. */
  rotating: { appId: "b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4", certificate: "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4", secondary: "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4" },
} as const;

export interface Harness {
  readonly gateway: Gateway;
  readonly clock: SimulatedClock;
  readonly store: MemoryCertificateStore;
  /** Mints an RTM token issued now (clock) on `app`'s primary certificate unless given. */
  token(app: keyof typeof APPS, uid: string, options?: { version?: TokenVersion; expireSeconds?: number; certificate?: string; issueTs?: number }): string;
  close(): Promise<void>;
}

function record(appId: string, noCertificate: boolean, primary: string | null, secondary: string | null = null): ProjectRecord {
  const cert = (value: string | null) => (value === null ? null : { value, enabledAt: T0 - 86_400, activeAt: T0 - 86_400 });
  return { appId, noCertificate, primary: cert(primary), secondary: cert(secondary), enabled: true, version: 0 };
}

let salt = 1;

export async function startHarness(config: GatewayConfigInput = {}, observers: DecisionObserver[] = []): Promise<Harness> {
  const clock = new SimulatedClock({ frozenAtSeconds: T0 });
  const store = new MemoryCertificateStore();
  await store.update(APPS.appid.appId, () => record(APPS.appid.appId, true, null));
  await store.update(APPS.either.appId, () => record(APPS.either.appId, true, APPS.either.certificate));
  await store.update(APPS.token.appId, () => record(APPS.token.appId, false, APPS.token.certificate));
  await store.update(APPS.rotating.appId, () => record(APPS.rotating.appId, false, APPS.rotating.certificate, APPS.rotating.secondary));
  const gateway = await startGateway({
    config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false, ...config },
    clock,
    store,
    logger: createLogger("silent"),
    observers,
  });
  return {
    gateway,
    clock,
    store,
    token(app, uid, options = {}) {
      const a = APPS[app];
      const certificate = options.certificate ?? a.certificate ?? "0123456789abcdef0123456789abcdef";
      return buildRtmToken({
        version: options.version ?? "007",
        appId: a.appId,
        certificate,
        uid,
        expireSeconds: options.expireSeconds ?? 3600,
        issueTs: options.issueTs ?? clock.nowSeconds(),
        salt: salt++,
      });
    },
    close: () => gateway.close(),
  };
}
