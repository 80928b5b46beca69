/** Records everything a client SDK instance observes, in order, for sequence assertions. */
import { expect } from "vitest";
import { createRtmClient, isRtmError, type RtmClient } from "../../client/index.js";
import type { Profile } from "../../core/protocol/wire.js";

export type Observed =
  | { type: "state"; state: string; reason: string; previous?: string; operation?: string; reasonCode: number }
  | { type: "willExpire"; expiresAt: number; remainingSeconds: number }
  | { type: "tokenExpired" }
  | { type: "closed"; code: number };

export interface Recorded {
  readonly client: RtmClient;
  readonly seen: Observed[];
  /** Only the state changes, as "STATE/REASON" (rtm2: "PREV>CUR/OPERATION/REASON"). */
  states(): string[];
  /** Resolves with the close code once the socket closed. */
  closed(): Promise<number>;
  clear(): void;
}

export function recordedClient(url: string, appId: string, profile: Profile, loginTimeoutMs?: number): Recorded {
  const client = createRtmClient({ url, appId, profile, ...(loginTimeoutMs === undefined ? {} : { loginTimeoutMs }) });
  const seen: Observed[] = [];
  let closeWaiters: Array<(code: number) => void> = [];
  client.on("connectionStateChanged", (e) => seen.push({ type: "state", state: e.state, reason: e.reason, reasonCode: e.reasonCode }));
  client.on("linkState", (e) =>
    seen.push({ type: "state", state: e.currentState, previous: e.previousState, operation: e.operation, reason: e.reason, reasonCode: e.reasonCode }),
  );
  client.on("tokenPrivilegeWillExpire", (e) => seen.push({ type: "willExpire", expiresAt: e.expiresAt, remainingSeconds: e.remainingSeconds }));
  client.on("tokenExpired", () => seen.push({ type: "tokenExpired" }));
  client.on("closed", (e) => {
    seen.push({ type: "closed", code: e.code });
    for (const w of closeWaiters) w(e.code);
    closeWaiters = [];
  });
  return {
    client,
    seen,
    states: () =>
      seen.flatMap((o) =>
        o.type !== "state" ? [] : o.previous === undefined ? [`${o.state}/${o.reason}`] : [`${o.previous}>${o.state}/${o.operation}/${o.reason}`],
      ),
    closed: () => {
      const c = seen.find((o) => o.type === "closed");
      if (c !== undefined && c.type === "closed") return Promise.resolve(c.code);
      return new Promise((resolve) => closeWaiters.push(resolve));
    },
    clear: () => {
      seen.length = 0;
    },
  };
}

/** Asserts that `p` rejects with an RtmError carrying exactly this code, name and reason. */
export async function expectRtmError(p: Promise<unknown>, expected: { code: number; name?: string; reason: string }): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRtmError(err)) throw new Error(`expected an RtmError, got ${String(err)}`);
  expect({ code: err.code, reason: err.reason, ...(expected.name === undefined ? {} : { name: err.name }) }).toEqual(expected);
}

/** Lets queued socket frames arrive. */
export function settle(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
