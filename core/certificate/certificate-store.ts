import type { ProjectAuth, ProjectRecord } from "./project.js";

/** A function that computes a project's next record from its current one (undefined = absent). */
export type ProjectUpdate = (current: ProjectRecord | undefined) => ProjectRecord | undefined;

/**
 * The CertificateStore port: where projects and their certificates live.
 *
 * Reads are **synchronous** and served from the process's own copy: a login never waits on a
 * network round trip for certificates. Implementations backed by a remote store keep that copy
 * current (load at start, change notifications, full reload after a reconnect).
 *
 * - `auth(appId, now)` → the project's auth view at `now` (Unix seconds), or `undefined` when
 *   no such project exists or it is disabled (→ `unknown_app_id`). It **throws
 *   `StoreUnavailable`** when the copy cannot be trusted (e.g. the backend has been unreachable
 *   for longer than the allowed staleness): "could not look" is never "not found", and never
 *   an accept.
 * - Writes are atomic per project: `update` applies `fn` to the current record and stores the
 *   result (or deletes the project when it returns undefined), incrementing `version`. It rejects
 *   with `StoreUnavailable` when the backend cannot be written, and then changes nothing.
 */
export interface CertificateStore {
  auth(appId: string, now: number): ProjectAuth | undefined;
  /** The stored record (from the local copy), or undefined. */
  get(appId: string): ProjectRecord | undefined;
  /** Every project (from the local copy), in App ID order. */
  list(): readonly ProjectRecord[];
  /** Atomically replaces one project's record; resolves to the stored result. */
  update(appId: string, fn: ProjectUpdate): Promise<ProjectRecord | undefined>;
  /** Removes every project. */
  clear(): Promise<void>;
  /** Calls `listener(appId)` after each change to a project, local or remote. Returns an unsubscribe function. */
  onChange(listener: (appId: string) => void): () => void;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
