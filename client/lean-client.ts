/**
 * A minimal login cycle for benchmarks and the load generator: connect, send one pre-serialised
 * login frame, wait for the reply with id 1 (events are skipped), close, resolve. No emitter, no
 * state, one closure per cycle. Never rejects.
 */
import { WebSocket, type RawData } from "ws";

/** The outcome of one {@link leanLoginCycle}. */
export interface LeanLoginOutcome {
  /** True when the gateway accepted the login. */
  readonly ok: boolean;
  /** The refusal's profile code (absent on success and on client-side failures). */
  readonly code?: number;
  /** The refusal's reason, or `login_timeout` / `connection_closed` for client-side failures. */
  readonly reason?: string;
  /** Milliseconds from the call (connect included) to the reply, the timeout or the close. */
  readonly latencyMs: number;
}

/** Default time to wait for the reply: the RTM 1.x login timeout. */
export const LEAN_LOGIN_TIMEOUT_MS = 12_000;

/**
 * Runs one login cycle against `url` with `loginFrame` (a serialised login request whose `id` must
 * be 1). Resolves after the socket has closed (the client closes it with 1000 once the reply came).
 */
export function leanLoginCycle(url: string, loginFrame: string, timeoutMs: number = LEAN_LOGIN_TIMEOUT_MS): Promise<LeanLoginOutcome> {
  const start = performance.now();
  return new Promise<LeanLoginOutcome>((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, { perMessageDeflate: false });
    } catch {
      resolve({ ok: false, reason: "connection_closed", latencyMs: performance.now() - start });
      return;
    }
    let outcome: LeanLoginOutcome | undefined;
    const finish = (result: LeanLoginOutcome): void => {
      if (outcome !== undefined) return;
      outcome = result;
      clearTimeout(timer);
      socket.close(1000);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: "login_timeout", latencyMs: performance.now() - start }), timeoutMs);
    socket.on("open", () => socket.send(loginFrame));
    socket.on("message", (data: RawData, isBinary: boolean) => {
      if (outcome !== undefined || isBinary) return;
      const reply = parseReply(data);
      if (reply !== undefined) finish({ ...reply, latencyMs: performance.now() - start });
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(outcome ?? { ok: false, reason: "connection_closed", latencyMs: performance.now() - start });
    });
  });
}

/** The reply with id 1, reduced to ok/code/reason; undefined for anything else. */
function parseReply(data: RawData): { ok: boolean; code?: number; reason?: string } | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(data.toString());
  } catch {
    return undefined;
  }
  if (typeof frame !== "object" || frame === null) return undefined;
  const reply = frame as { id?: unknown; ok?: unknown; error?: { code?: unknown; reason?: unknown } | null };
  if (reply.id !== 1 || typeof reply.ok !== "boolean") return undefined;
  if (reply.ok) return { ok: true };
  const error = typeof reply.error === "object" && reply.error !== null ? reply.error : {};
  return {
    ok: false,
    ...(typeof error.code === "number" ? { code: error.code } : {}),
    reason: typeof error.reason === "string" ? error.reason : "internal_error",
  };
}
