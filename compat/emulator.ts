/**
 * Where the gateway the compat modules talk to is (docs/compat.md, "Pointing at the gateway"), in
 * the style of Firebase's emulators: `connectRtmEmulator(url)` in the test setup, or the environment
 * variable `RTM_AUTH_EMULATOR_URL`. A URL given to `connectRtmEmulator` wins over the variable.
 *
 * The URL is read when a login starts, not when a client is created, so an app may create its client
 * at module load (as Agora's quickstarts do) before the test has started its gateway.
 */

/** The environment variable read when `connectRtmEmulator` was not called. */
export const EMULATOR_URL_VARIABLE = "RTM_AUTH_EMULATOR_URL";

/** The WebSocket path of the gateway, appended to a URL that names none. */
const RTM_PATH = "/rtm";

let connected: string | null = null;

/**
 * The emulator is not set, or its URL is not usable. `name` is `RtmEmulatorConfigError`; the message
 * says how to set it. Thrown by {@link connectRtmEmulator} for a bad URL, and the rejection of a
 * `login()` when no gateway is set.
 */
export class RtmEmulatorConfigError extends Error {
  override readonly name = "RtmEmulatorConfigError";
}

const HOW_TO =
  `call connectRtmEmulator("ws://127.0.0.1:8080/rtm") (exported by rtm-auth-gateway/compat/agora-rtm-sdk and ` +
  `rtm-auth-gateway/compat/agora-rtm) before the first login, or set ${EMULATOR_URL_VARIABLE}=ws://127.0.0.1:8080/rtm ` +
  `(the URL of your gateway; startGateway() from rtm-auth-gateway/client/testing returns it as \`url\`)`;

/**
 * Normalises a gateway URL: `ws:` and `wss:` are kept, `http:` and `https:` become `ws:` and `wss:`,
 * and a URL without a path gets `/rtm`. Throws {@link RtmEmulatorConfigError} for anything else
 * (`source` names where the URL came from, for the message).
 */
export function normaliseEmulatorUrl(url: unknown, source: string): string {
  if (typeof url !== "string" || url.trim() === "") {
    throw new RtmEmulatorConfigError(`${source} must be the gateway's URL, e.g. ws://127.0.0.1:8080/rtm; got ${describe(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new RtmEmulatorConfigError(`${source} is not a URL: ${JSON.stringify(url)}; expected e.g. ws://127.0.0.1:8080/rtm`);
  }
  const scheme = { "ws:": "ws:", "wss:": "wss:", "http:": "ws:", "https:": "wss:" }[parsed.protocol];
  if (scheme === undefined) {
    throw new RtmEmulatorConfigError(`${source} must use ws:, wss:, http: or https:, not ${parsed.protocol} (${JSON.stringify(url)})`);
  }
  parsed.protocol = scheme;
  if (parsed.pathname === "" || parsed.pathname === "/") parsed.pathname = RTM_PATH;
  return parsed.toString();
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : value === null ? "null" : typeof value;
}

/**
 * Points every compat client of this JavaScript realm at the gateway at `url` (e.g. the `url` of
 * `startGateway()`, or `ws://127.0.0.1:8080/rtm`; `http(s)://host:port` means its `/rtm`). Takes
 * effect at the next login; a session already open stays where it is. Throws
 * {@link RtmEmulatorConfigError} for a URL it cannot use.
 */
export function connectRtmEmulator(url: string): void {
  connected = normaliseEmulatorUrl(url, "connectRtmEmulator(url)");
}

/** The URL set by {@link connectRtmEmulator}, else the environment variable's, else null. */
export function configuredEmulatorUrl(): string | null {
  if (connected !== null) return connected;
  const fromEnv = readEnv(EMULATOR_URL_VARIABLE);
  return fromEnv === undefined || fromEnv === "" ? null : normaliseEmulatorUrl(fromEnv, EMULATOR_URL_VARIABLE);
}

/** The gateway URL for a login now; throws {@link RtmEmulatorConfigError} saying how to set one. */
export function requireEmulatorUrl(): string {
  const url = configuredEmulatorUrl();
  if (url === null) throw new RtmEmulatorConfigError(`No RTM emulator is set: ${HOW_TO}.`);
  return url;
}

/** Forgets the URL given to {@link connectRtmEmulator} (the environment variable applies again). For tests. */
export function resetRtmEmulator(): void {
  connected = null;
}

/** `process.env[name]` where there is a `process` (Node, jest, vitest); undefined in a browser. */
function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}
