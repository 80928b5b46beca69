/**
 * The graceful drain of a gateway (SIGTERM; docs/robustness.md, "graceful drain"):
 *
 * 1. `/readyz` answers 503 at once, upgrades are refused (503) and new admin requests get
 *    503 `draining`; `/healthz` and `/metrics` keep answering;
 * 2. admin requests already running finish and get their reply;
 * 3. every session gets close 4002 (gateway shutting down; the client may reconnect elsewhere);
 * 4. the drain waits for those sockets to close, up to DRAIN_SECONDS in all;
 * 5. whatever remains is destroyed.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

const DRAINING_BODY = JSON.stringify({ error: { code: "draining", message: "the gateway is shutting down; retry against another gateway" } });
const POLL_MS = 20;

/** Whether a request is for the admin API (the only requests a drain refuses). */
function isAdmin(req: IncomingMessage): boolean {
  const url = req.url ?? "";
  return url === "/admin" || url.startsWith("/admin/") || url.startsWith("/admin?");
}

export class Drain {
  /** True once the drain has begun. */
  active = false;
  private adminInFlight = 0;

  /** Wraps the plain-HTTP listener: counts admin requests in flight, refuses new ones while draining. */
  wrap(listener: RequestListener): RequestListener {
    const done = (): void => {
      this.adminInFlight--;
    };
    return (req: IncomingMessage, res: ServerResponse) => {
      if (!isAdmin(req)) return listener(req, res);
      if (this.active) {
        res.writeHead(503, { "content-type": "application/json", "content-length": Buffer.byteLength(DRAINING_BODY), connection: "close" });
        res.end(DRAINING_BODY);
        return;
      }
      this.adminInFlight++;
      res.once("close", done);
      listener(req, res);
    };
  }

  /** Admin requests whose reply has not been sent yet. */
  get inFlight(): number {
    return this.adminInFlight;
  }

  /** Resolves once `idle()` is true or `deadline` (performance.now() ms) has passed; true when idle. */
  static async until(idle: () => boolean, deadline: number): Promise<boolean> {
    while (!idle()) {
      if (performance.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return true;
  }
}
