/**
 * One WebSocket upgrade to see whether a gateway answers at a URL, and a sentence saying why not.
 * It reads the server's answer with the load generator's own reader ({@link RawWsConnection},
 * `readUpgradeResponse` of ws-frames.ts), so `rtm-auth login` and `rtm-auth load` name a failure
 * the same way: connection refused, the host not found, no answer in time, the HTTP status of a
 * refused upgrade (404 for a wrong path, 503 at the connection limit or while draining, 429 over
 * a per-address limit), or a server that is not a WebSocket endpoint.
 */
import { lookup } from "node:dns/promises";
import { RawWsConnection, type ConnectionFailure } from "./raw-ws-connection.js";
import { upgradeRequest } from "./ws-frames.js";

/** The path the gateway serves its WebSocket on (docs/robustness.md; anything else is HTTP 404). */
const GATEWAY_WS_PATH = "/rtm";

/**
 * Opens one WebSocket to `url` (`ws://` only: the raw reader speaks no TLS), upgrades, and closes
 * it with 1000 at once. Resolves null when the upgrade succeeded, otherwise the failure:
 * `connect` (detail: a system error code such as `ECONNREFUSED` or `ENOTFOUND`, or `timeout`),
 * `upgrade` (detail: the status line, e.g. `HTTP/1.1 404 Not Found`, or the missing accept) or
 * `protocol`. Never rejects. `timeoutMs` bounds the whole probe, name lookup included.
 */
export async function probeWebSocket(url: URL, timeoutMs: number): Promise<ConnectionFailure | null> {
  if (url.protocol !== "ws:") throw new TypeError(`probeWebSocket: ws:// only, got ${url.protocol}//`);
  let host: string;
  try {
    host = (await lookup(url.hostname.replace(/^\[|\]$/g, ""))).address;
  } catch (err) {
    return { kind: "connect", detail: (err as NodeJS.ErrnoException).code ?? "ENOTFOUND" };
  }
  const port = url.port === "" ? 80 : Number(url.port);
  const request = upgradeRequest({ host, port, path: `${url.pathname}${url.search}`, hostHeader: url.host });
  return new Promise((resolve) => {
    let opened = false;
    const conn = new RawWsConnection(host, port, request, {
      onOpen() {
        opened = true;
        conn.close();
      },
      onText() {},
      onClose(code, _byServer, failure) {
        clearTimeout(timer);
        if (opened) resolve(null);
        else resolve(failure ?? { kind: "connect", detail: `closed ${code} before the upgrade` });
      },
    });
    const timer = setTimeout(() => conn.destroy("timeout"), timeoutMs);
  });
}

/**
 * A connection failure of `url` in words a user can act on, e.g. `connection refused: nothing
 * listens on 127.0.0.1:8080 (is the gateway running?)` or `HTTP 404 Not Found: no WebSocket
 * endpoint at /socket (the gateway's is /rtm)`. `failure` is what {@link probeWebSocket} or a
 * load run's connection reported (`kind` and `detail`).
 */
export function describeConnectionFailure(failure: ConnectionFailure, url: URL): string {
  const where = url.host;
  if (failure.kind === "connect") {
    switch (failure.detail) {
      case "ECONNREFUSED":
        return `connection refused: nothing listens on ${where} (is the gateway running? \`npm start\` starts one on 127.0.0.1:8080)`;
      case "ENOTFOUND":
      case "EAI_AGAIN":
      case "EAI_NONAME":
        return `the host ${url.hostname} could not be resolved (${failure.detail})`;
      case "timeout":
        return `no answer from ${where} in time: the connection or the upgrade timed out (a firewall, or a busy server?)`;
      case "ECONNRESET":
        return `${where} reset the connection before answering the upgrade`;
      case "EHOSTUNREACH":
      case "ENETUNREACH":
        return `${where} is unreachable from here (${failure.detail})`;
      default:
        return `cannot connect to ${where}: ${failure.detail}`;
    }
  }
  if (failure.kind === "upgrade") {
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(failure.detail);
    if (m === null) return `${where} is not a WebSocket endpoint (${failure.detail})`;
    const status = Number(m[1]);
    const line = `HTTP ${status}${m[2] === undefined || m[2] === "" ? "" : ` ${m[2]}`}`;
    const path = url.pathname;
    switch (status) {
      case 404:
        return `${line}: no WebSocket endpoint at ${path}${path === GATEWAY_WS_PATH ? "" : ` (the gateway's is ${GATEWAY_WS_PATH})`}`;
      case 503:
        return `${line}: the gateway refused the upgrade (at MAX_CONNECTIONS, or shutting down)`;
      case 429:
        return `${line}: too many connections from this address (MAX_CONNECTIONS_PER_IP or PER_IP_CONNECTIONS_PER_SECOND)`;
      case 400:
      case 426:
        return `${line}: ${where} refused the WebSocket upgrade`;
      default:
        return `${line}: ${where} answered the upgrade with a refusal${status >= 200 && status < 300 ? " (a plain HTTP server, not a WebSocket endpoint?)" : ""}`;
    }
  }
  return `${where} broke the WebSocket protocol: ${failure.detail}`;
}
