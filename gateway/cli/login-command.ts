/**
 * `rtm-auth login`: one login against a gateway through the client SDK, printing every event
 * and the outcome. The quickest way to try a token by hand. When the socket closes before the
 * gateway said anything (close 1006), one more upgrade through the load generator's reader
 * (client/load/probe.ts) names the cause: connection refused, the host not found, the HTTP status
 * of a refused upgrade (404 for a wrong path), or no answer in time.
 */
import { createRtmClient, isRtmError } from "../../client/index.js";
import { describeConnectionFailure, probeWebSocket } from "../../client/load/probe.js";
import { PROFILES, type Profile } from "../../core/protocol/wire.js";
import { EXIT, parseArgsMessage, parseCliArgs, usageError, type CliIo } from "./cli-io.js";

/** How long the probe that explains a failed connection may take, ms. */
const PROBE_TIMEOUT_MS = 5_000;

const HELP = `Usage: rtm-auth login --url ws://HOST:PORT/rtm --app-id A --uid U [--token T] [--profile rtm1|rtm2] [--hold SECONDS] [--json]

Logs in once through the client SDK and prints the state events and the reply.
  --token T      a 006/007 token (omit for an App ID login; "-" reads it from stdin)
  --profile P    rtm1 (default) or rtm2: decides the codes and events
  --hold S       stay logged in S seconds and print events (e.g. token expiry), then log out (default 0);
                 a session the gateway ends (token expired, kicked) ends the hold
  --json         print one JSON object per line
Exit: 0 logged in, 1 refused (the error's code, name and reason are printed) or the gateway could not
be reached (the cause is named: connection refused, HTTP status of a refused upgrade, wrong path),
2 usage error.
`;

export async function runLoginCommand(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    values = parseCliArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        "app-id": { type: "string" },
        uid: { type: "string" },
        token: { type: "string" },
        profile: { type: "string" },
        hold: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    return usageError(io, "login", parseArgsMessage(err));
  }
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const missing = (["url", "app-id", "uid"] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) return usageError(io, "login", `missing --${missing.join(", --")}`);
  let url: URL;
  try {
    url = new URL(values.url as string);
  } catch {
    return usageError(io, "login", `--url ${JSON.stringify(values.url)} is not a URL (ws://HOST:PORT/rtm)`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") return usageError(io, "login", `--url must be ws://HOST:PORT/rtm (or wss://), not ${url.protocol}//`);
  const profile = (values.profile ?? "rtm1") as Profile;
  if (!PROFILES.includes(profile)) return usageError(io, "login", "--profile must be rtm1 or rtm2");
  const hold = Number(values.hold ?? "0");
  if (values.hold?.trim() === "" || !Number.isFinite(hold) || hold < 0) return usageError(io, "login", "--hold must be a number of seconds ≥ 0");
  let token = values.token ?? null;
  if (token === "-") token = (await readStdin()).trim();

  const print = (kind: string, payload: unknown): void => {
    io.out(values.json ? `${JSON.stringify({ kind, ...(payload as object) })}\n` : `${kind.padEnd(10)} ${JSON.stringify(payload)}\n`);
  };
  const client = createRtmClient({ url: values.url as string, appId: values["app-id"] as string, profile });
  client.on("connectionStateChanged", (e) => print("event", e));
  client.on("linkState", (e) => print("event", e));
  client.on("tokenPrivilegeWillExpire", (e) => print("event", e));
  client.on("tokenExpired", (e) => print("event", e));
  let closeCode: number | null = null;
  // The hold ends early when the gateway ends the session (token expired, kicked, shutting down).
  let endHold: () => void = () => undefined;
  client.on("closed", (e) => {
    closeCode = e.code;
    print("closed", e);
    endHold();
  });
  try {
    const result = await client.login({ uid: values.uid as string, token });
    print("logged-in", result);
    if (hold > 0 && closeCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, hold * 1000);
        endHold = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (client.state === "CONNECTED") await client.logout().catch(() => undefined);
    return EXIT.ok;
  } catch (err) {
    if (!isRtmError(err)) throw err;
    // 1006: the socket ended without a close frame, so the gateway never answered: say why.
    if (err.reason === "connection_closed" && closeCode === 1006 && url.protocol === "ws:") {
      const failure = await probeWebSocket(url, PROBE_TIMEOUT_MS);
      if (failure !== null) {
        const why = describeConnectionFailure(failure, url);
        print("unreachable", { failure: failure.kind, detail: failure.detail, message: why });
        io.err(`rtm-auth login: cannot reach the gateway at ${url.href}: ${why}\n`);
        return EXIT.negative;
      }
    }
    print("refused", { code: err.code, name: err.name, reason: err.reason, message: err.message });
    return EXIT.negative;
  } finally {
    await client.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
