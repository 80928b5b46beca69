/**
 * `rtm-auth login`: one login against a gateway through the client SDK, printing every event
 * and the outcome. The quickest way to try a token by hand.
 */
import { parseArgs } from "node:util";
import { createRtmClient, isRtmError } from "../../client/index.js";
import { PROFILES, type Profile } from "../../core/protocol/wire.js";
import { EXIT, type CliIo } from "./cli-io.js";

const HELP = `Usage: rtm-auth login --url ws://HOST:PORT/rtm --app-id A --uid U [--token T] [--profile rtm1|rtm2] [--hold SECONDS] [--json]

Logs in once through the client SDK and prints the state events and the reply.
  --token T      a 006/007 token (omit for an App ID login; "-" reads it from stdin)
  --profile P    rtm1 (default) or rtm2: decides the codes and events
  --hold S       stay logged in S seconds and print events (e.g. token expiry), then log out (default 0)
  --json         print one JSON object per line
Exit: 0 logged in, 1 refused (the error's code, name and reason are printed), 2 usage error.
`;

export async function runLoginCommand(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
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
    io.err(`rtm-auth login: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const missing = (["url", "app-id", "uid"] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) {
    io.err(`rtm-auth login: missing --${missing.join(", --")}\n`);
    return EXIT.usage;
  }
  const profile = (values.profile ?? "rtm1") as Profile;
  if (!PROFILES.includes(profile)) {
    io.err(`rtm-auth login: --profile must be rtm1 or rtm2\n`);
    return EXIT.usage;
  }
  const hold = Number(values.hold ?? "0");
  if (!Number.isFinite(hold) || hold < 0) {
    io.err("rtm-auth login: --hold must be a number of seconds ≥ 0\n");
    return EXIT.usage;
  }
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
  client.on("closed", (e) => print("closed", e));
  try {
    const result = await client.login({ uid: values.uid as string, token });
    print("logged-in", result);
    if (hold > 0) await new Promise((r) => setTimeout(r, hold * 1000));
    if (client.state === "CONNECTED") await client.logout().catch(() => undefined);
    return EXIT.ok;
  } catch (err) {
    if (!isRtmError(err)) throw err;
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
