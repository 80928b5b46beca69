import type { CertificateStore, ProjectUpdate } from "./certificate-store.js";
import type { ProjectAuth, ProjectRecord } from "./project.js";
import { ProjectAuthCache } from "./project-auth-cache.js";

/**
 * The in-memory CertificateStore: the embedded default when no Redis is configured. One
 * process, so every update is trivially atomic.
 */
export class MemoryCertificateStore implements CertificateStore {
  private readonly projects = new Map<string, ProjectRecord>();
  private readonly cache = new ProjectAuthCache();
  private readonly listeners = new Set<(appId: string) => void>();

  auth(appId: string, now: number): ProjectAuth | undefined {
    const p = this.projects.get(appId);
    if (p === undefined || !p.enabled) return undefined;
    return this.cache.view(p, now);
  }

  get(appId: string): ProjectRecord | undefined {
    return this.projects.get(appId);
  }

  list(): readonly ProjectRecord[] {
    return [...this.projects.values()].sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0));
  }

  async update(appId: string, fn: ProjectUpdate): Promise<ProjectRecord | undefined> {
    const current = this.projects.get(appId);
    const next = fn(current);
    if (next === current) return current;
    if (next === undefined) {
      this.projects.delete(appId);
    } else {
      if (next.appId !== appId) throw new TypeError("an update may not change the App ID");
      const stored = { ...next, version: (current?.version ?? 0) + 1 };
      this.projects.set(appId, stored);
    }
    this.cache.invalidate(appId);
    this.emit(appId);
    return this.projects.get(appId);
  }

  async clear(): Promise<void> {
    const ids = [...this.projects.keys()];
    this.projects.clear();
    this.cache.clear();
    for (const id of ids) this.emit(id);
  }

  onChange(listener: (appId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(appId: string): void {
    for (const l of this.listeners) l(appId);
  }
}
