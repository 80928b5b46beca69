/** Recorders for the compat modules' events, for sequence assertions (test/compat). */
import type { RtmClient as Rtm1Client } from "../../compat/agora-rtm-sdk.js";
import type { RTMClient as Rtm2Client } from "../../compat/agora-rtm.js";

/** An ordered record of event names, and a wait for one of them (at once if it was already seen). */
function sequence(): { seen: string[]; push(entry: string): void; next(what: string): Promise<void> } {
  const seen: string[] = [];
  let waiters: Array<{ what: string; resolve: () => void }> = [];
  return {
    seen,
    push(entry) {
      seen.push(entry);
      for (const w of waiters.filter((w) => w.what === entry)) w.resolve();
      waiters = waiters.filter((w) => w.what !== entry);
    },
    next: (what) => (seen.includes(what) ? Promise.resolve() : new Promise((resolve) => waiters.push({ what, resolve }))),
  };
}

/** Everything a 1.x compat client emitted, in order: "STATE/REASON", "TokenPrivilegeWillExpire", "TokenExpired". */
export function record1(client: Rtm1Client): { readonly seen: string[]; states(): string[]; next(what: string): Promise<void> } {
  const { seen, push, next } = sequence();
  client.on("ConnectionStateChanged", (state, reason) => push(`${state}/${reason}`));
  client.on("TokenPrivilegeWillExpire", () => push("TokenPrivilegeWillExpire"));
  client.on("TokenExpired", () => push("TokenExpired"));
  return {
    seen,
    states: () => seen.filter((s) => s.includes("/")),
    next,
  };
}

/**
 * Everything a 2.x compat client emitted, in order: linkState as "PREV>CUR/OPERATION/REASONCODE",
 * status as "status:STATE/REASON", "tokenPrivilegeWillExpire:<channelName>", "token:<eventType>".
 */
export function record2(client: Rtm2Client): { readonly seen: string[]; links(): string[]; next(what: string): Promise<void> } {
  const { seen, push, next } = sequence();
  client.addEventListener("linkState", (e) => push(`${e.previousState}>${e.currentState}/${e.operation}/${e.reasonCode}`));
  client.addEventListener("status", (e) => push(`status:${e.state}/${e.reason}`));
  client.addEventListener("tokenPrivilegeWillExpire", (channel) => push(`tokenPrivilegeWillExpire:${channel}`));
  client.addEventListener("token", (e) => push(`token:${e.eventType}`));
  return {
    seen,
    links: () => seen.filter((s) => s.includes(">")),
    next,
  };
}

/** The rejection of `p` (fails the test when it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<any> {
  return p.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Lets queued socket frames arrive. */
export function settle(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
