/**
 * What the session logic needs of a connection: send one text frame, close with a code, and
 * (optionally) stop reading the peer for a while. Wraps `ws` in the server, a client of the same
 * process in the rehearsal (in-process-peer.ts), and a recording fake
 * in unit tests (centrifuge's transport.go).
 */
export interface Transport {
  /** Sends one text frame: a string, or its UTF-8 bytes (pre-encoded frames skip re-encoding). */
  send(text: string | Buffer): void;
  close(code: number, reason: string): void;
  /**
   * Destroys the socket at once, without a close frame (the `drop` fault; the peer sees 1006).
   * Optional for fakes; without it a drop closes with 4002 instead.
   */
  destroy?(): void;
  /**
   * Stops reading the peer's frames for `reason` until {@link resumeReading} with the same reason
   * (backpressure; docs/robustness.md). Reading resumes once no reason is left. Optional for fakes.
   */
  pauseReading?(reason: PauseReason): void;
  resumeReading?(reason: PauseReason): void;
  /** Stops reading for `ms` wall-clock milliseconds for `reason`, then resumes (a later call extends it). */
  pauseReadingFor?(reason: PauseReason, ms: number): void;
  /** The peer's address, for per-IP limits and logs. */
  readonly remoteAddress: string;
}

/**
 * Why the gateway stopped reading a connection (the `reason` label of
 * `rtm_auth_backpressure_pauses_total`):
 * - `write_buffer`: more than MAX_BUFFERED_BYTES of frames wait to be sent to the peer;
 * - `pending_requests`: MAX_PENDING_REQUESTS requests wait behind a delayed one (fault rules);
 * - `ping_budget`: the peer sent more pings than PINGS_PER_SECOND allows.
 */
export const PAUSE_REASONS = ["write_buffer", "pending_requests", "ping_budget"] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];
