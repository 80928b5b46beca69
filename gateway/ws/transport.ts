/**
 * What the session logic needs of a connection: send one text frame, close with a code. Wraps
 * `ws` in the server and a recording fake in unit tests (centrifuge's transport.go).
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
  /** The peer's address, for per-IP limits and logs. */
  readonly remoteAddress: string;
}
