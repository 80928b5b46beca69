import type { ProjectAuth, ProjectRecord } from "./project.js";

/** A function that computes a project's next record from its current one (undefined = absent). */
export type ProjectUpdate = (current: ProjectRecord | undefined) => ProjectRecord | undefined;

/** Options of one write (`update`, `clear`). */
export interface WriteOptions {
  /**
   * The caller's key for this write (for the admin API: the `Idempotency-Key` header, already
   * scoped by the request). A store that honours it applies a write with a given key at most once
   * per project while it remembers the key (Redis: 24 h); a repeat resolves to the project as it
   * is now, without running `fn`. At most 512 characters. The in-memory store ignores it: its
   * writes never have an unknown outcome, so nothing ever needs to repeat one.
   */
  readonly idempotencyKey?: string;
}

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
 *   result (or deletes the project when it returns undefined), incrementing `version`. A write
 *   ends in exactly one of three ways (docs/redis.md, "Write outcomes"):
 *   - it resolves: the write was applied (or, with an idempotency key, had been applied before);
 *   - it rejects with `StoreUnavailable`: the write was **not** applied and never will be (the
 *     backend was not reached, refused it, or a read-back proved it absent and fenced it out);
 *   - it rejects with `WriteOutcomeUnknown` (a subclass of `StoreUnavailable`): the write was
 *     sent but its outcome could not be confirmed; it may have been applied. Read the project
 *     back (or repeat the write with the same idempotency key) before acting on it.
 *   Errors thrown by `fn` itself (e.g. a LifecycleError) pass through and change nothing.
 */
export interface CertificateStore {
  auth(appId: string, now: number): ProjectAuth | undefined;
  /** The stored record (from the local copy), or undefined. */
  get(appId: string): ProjectRecord | undefined;
  /** Every project (from the local copy), in App ID order. */
  list(): readonly ProjectRecord[];
  /** Atomically replaces one project's record; resolves to the stored result (outcomes above). */
  update(appId: string, fn: ProjectUpdate, options?: WriteOptions): Promise<ProjectRecord | undefined>;
  /** Removes every project; the same three outcomes as `update`. */
  clear(options?: WriteOptions): Promise<void>;
  /** Calls `listener(appId)` after each change to a project, local or remote. Returns an unsubscribe function. */
  onChange(listener: (appId: string) => void): () => void;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
