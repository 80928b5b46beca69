/** Where a command writes; injected so commands can be run in-process too. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes of gateway-protocol.md §4. `running` is internal: a server was started. */
export const EXIT = { ok: 0, negative: 1, usage: 2, running: -1 } as const;
