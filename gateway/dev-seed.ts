/**
 * The dev seed: one project per auth mode, with fixed, PUBLIC credentials, so `npm start` is
 * usable at once. Never use these anywhere that matters; the gateway warns loudly when seeded.
 */
import type { CertificateStore } from "../core/certificate/certificate-store.js";
import type { ProjectRecord } from "../core/certificate/project.js";

export interface DevProject {
  readonly mode: "appid" | "either" | "token";
  readonly appId: string;
  readonly certificate: string | null;
}

export const DEV_PROJECTS: readonly DevProject[] = [
  { mode: "appid", appId: "a1000000000000000000000000000001", certificate: null },
  { mode: "either", appId: "e2000000000000000000000000000002", certificate: "e2c0ffee00000000000000000000c0de" },
  { mode: "token", appId: "f3000000000000000000000000000003", certificate: "f3c0ffee00000000000000000000c0de" },
];

/**
 * Writes the dev projects into `store` (certificates active since `now`, Unix seconds), leaving
 * existing ones as they are (a shared store keeps its state across restarts; several gateways
 * seeding at once agree, each write being a compare-and-set). Run at start, and again by the
 * Redis backend when Redis comes back empty. Resolves to the App IDs it created; rejects as
 * `CertificateStore.update` does.
 */
export async function seedDevProjects(store: CertificateStore, now: number): Promise<string[]> {
  const created: string[] = [];
  for (const p of DEV_PROJECTS) {
    const record: ProjectRecord = {
      appId: p.appId,
      noCertificate: p.mode !== "token",
      primary: p.certificate === null ? null : { value: p.certificate, enabledAt: now, activeAt: now },
      secondary: null,
      enabled: true,
      version: 0,
    };
    let wrote = false;
    await store.update(p.appId, (current) => {
      wrote = current === undefined;
      return current ?? record;
    });
    if (wrote) created.push(p.appId);
  }
  return created;
}
