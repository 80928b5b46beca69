/**
 * What the session logic needs of a connection: send one text frame, close with a code. Wraps
 * `ws` in the server and a recording fake in unit tests (centrifuge's transport.go).
 */
export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** The peer's address, for per-IP limits and logs. */
  readonly remoteAddress: string;
}
