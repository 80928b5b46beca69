/**
 * `rtm-auth token build`: a token built as Agora's builders build it. By default the RTM login
 * token of RtmTokenBuilder (006) / RtmTokenBuilder2.buildToken (007); with the options of
 * docs/token-services.md, RTM2 tokens, 007 tokens of any services and 006 tokens of any layout,
 * so that every official vector can be rebuilt from its inputs.
 */
import type { ServiceSpec, TokenVersion } from "../../core/token/index.js";
import { EXIT, type CliIo } from "./cli-io.js";
import { hex32, integer, parseStrict, requiredString, TokenUsageError, U32_MAX, type TokenCommandEnv } from "./token-args.js";
import { parsePrivilegeArg, parseServiceArg } from "./token-service-arg.js";

/**
 * 006 tokens expire this long after issue (core's TOKEN_006_LIFETIME_SECONDS; docs/tokens.md,
 * "The 006 format"). Repeated here so that help and usage errors need not load the token core.
 */
const TOKEN_006_LIFETIME_SECONDS = 86_400;

export const BUILD_USAGE = `Usage: rtm-auth token build --version 006|007 --app-id APP_ID --certificate CERT --uid UID
                          --expire SECONDS [--issue-ts T] [--salt S] [--json]
       rtm-auth token build --version 007 ... --uid UID --expire SECONDS --permissions SPEC
       rtm-auth token build --version 007 ... --expire SECONDS [--uid UID] --service JSON...
       rtm-auth token build --version 006 ... --uid UID [--channel CHANNEL] [--ts T]
                          (--expire SECONDS | --privilege ID=T...)

Builds a token as Agora's builders do and prints it alone on stdout. By default it is the RTM
login token of --uid (RtmTokenBuilder, RtmTokenBuilder2.buildToken); the options below build
RTM2 tokens, 007 tokens of several services and 006 tokens of any layout
(docs/token-services.md).

Options:
  --version 006|007    token format
  --app-id APP_ID      the App ID, 32 hexadecimal characters
  --certificate CERT   the App Certificate, 32 hexadecimal characters (never printed)
  --uid UID            the RTM user id the token is for (006: see --channel)
  --expire SECONDS     lifetime from the issue time, 0..4294967295.
                         007: token expiry, and the login privilege of the --uid service
                         (0 = expired at issue).
                         006: login privilege (0 = no privilege limit); the token itself
                         expires at --ts, by default ${TOKEN_006_LIFETIME_SECONDS} s after issue.
  --issue-ts T         issue time, Unix seconds (default: now)
  --salt S             salt, 0..4294967295 (default: random, 007 1..99999999, 006 0..4294967294)
  --json               print {token, version, appId, uid, issueTs, salt, expiresAt}: uid and
                       expiresAt are the RTM login the token grants (the last valid second,
                       007 capped at issue + 86400 as the gateway's default
                       MAX_TOKEN_LIFETIME_SECONDS does), null when it grants none
  -h, --help           show this help

007 only:
  --permissions SPEC   make the --uid service an RTM2 (type 8) service with these resource
                       permissions, as RtmTokenBuilder2.buildTokenWithPermissions:
                         RESOURCE:PERM[,PERM...]=[NAME[,NAME...]][;...]
                       e.g. --permissions 'message:read,write=chan1,chan2;user:read=*'
                       RESOURCE: message, stream, group, server-group, user, or 0..65535;
                       PERM: read, write, or 0..65535; '' for no permission at all;
                       in a NAME, \\ escapes the next character (\\, \\; \\\\)
  --service JSON       add a service, any of types 1..10; repeatable. One JSON object as
                       'token inspect --json' prints a service, e.g.
                         '{"type":1,"privileges":{"1":600},"channelName":"room","uid":"42"}'
                         '{"name":"chat","privileges":{"1":600},"userId":"u1"}'
                       privilege values are seconds after the issue time. Without --uid the
                       token holds only these services. Services are written sorted by type.

006 only:
  --channel CHANNEL    the RTC layout AccessToken(appId, cert, CHANNEL, UID): CHANNEL in the
                       channel slot and --uid in the uid slot ('' for uid 0). Its signature
                       matches an RTM login of CHANNEL followed by UID.
  --ts T               the token expiry, Unix seconds (default: --issue-ts + ${TOKEN_006_LIFETIME_SECONDS})
  --privilege ID=T     a privilege and its absolute expiry, Unix seconds (0 = no limit), instead
                       of --expire; repeatable. ID: a number, or joinChannel,
                       publishAudioStream, publishVideoStream, publishDataStream, rtmLogin

Exit status: 0 built, 2 usage error.
`;

const OPTIONS = {
  version: { type: "string" },
  "app-id": { type: "string" },
  certificate: { type: "string" },
  uid: { type: "string" },
  expire: { type: "string" },
  "issue-ts": { type: "string" },
  salt: { type: "string" },
  permissions: { type: "string" },
  service: { type: "string", multiple: true },
  channel: { type: "string" },
  ts: { type: "string" },
  privilege: { type: "string", multiple: true },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseStrict>["values"];
type TokenCore = typeof import("../../core/token/index.js");

function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Options that belong to the other version: a usage error naming them. */
function refuseOtherVersion(values: Values, version: TokenVersion): void {
  const only = version === "007" ? ["channel", "ts", "privilege"] : ["permissions", "service"];
  for (const name of only) {
    if (values[name] !== undefined) throw new TokenUsageError(`--${name} is for ${version === "007" ? "006" : "007"} tokens only`);
  }
}

/** What the built token grants an RTM login: the uid and last valid second, or nulls. */
interface Login {
  readonly uid: string | null;
  readonly expiresAt: number | null;
}

interface Built {
  readonly token: string;
  readonly login: Login;
  readonly warnings: string[];
}

function build007(core: TokenCore, values: Values, base: { appId: string; certificate: string; issueTs: number; salt: number }): Built {
  const warnings: string[] = [];
  const expire = integer("expire", requiredString(values, "expire"), 0, U32_MAX);
  const uid = typeof values["uid"] === "string" ? values["uid"] : undefined;
  const notation = typeof values["permissions"] === "string" ? values["permissions"] : undefined;
  const serviceArgs = list(values, "service");
  if (uid === undefined && serviceArgs.length === 0) throw new TokenUsageError("missing required option --uid (or give the services with --service)");
  if (notation !== undefined && uid === undefined) throw new TokenUsageError("--permissions needs --uid (the RTM2 service's user id)");

  const parseNotation = (text: string) => {
    try {
      return core.parseRtm2Permissions(text);
    } catch (err) {
      if (err instanceof core.Rtm2PermissionsSyntaxError) throw new TokenUsageError(`the permissions: ${err.message}`);
      throw err;
    }
  };
  const services: ServiceSpec[] = [];
  if (uid !== undefined) {
    const bytes = Buffer.byteLength(uid, "utf8");
    if (bytes > 0xffff) throw new TokenUsageError(`--uid is ${bytes} bytes in UTF-8; a 007 token holds at most 65535`);
    if (uid === "") warnings.push("an empty --uid matches no login in a 007 token (uid_mismatch)");
    services.push(notation === undefined ? core.rtmService(uid, expire) : core.rtm2Service(uid, parseNotation(notation), expire));
  }
  serviceArgs.forEach((text, i) => services.push(parseServiceArg(text, i + 1, parseNotation)));
  if (expire === 0) warnings.push("--expire 0 gives a 007 token that has expired one second after its issue time");

  const token = core.build007({ ...base, expire, services });
  // Read back without the verifier's size limits (an oversize token gets its own warning below);
  // a command line cannot carry anywhere near 64 MiB.
  const parsed = core.parseToken(token, { maxTokenLength: Number.MAX_SAFE_INTEGER, maxInflatedBytes: 64 * 1024 * 1024 });
  const login = parsed.ok && parsed.token.version === "007" ? core.rtmLogin007(parsed.token) : null;
  if (login === null) {
    warnings.push("the token grants no RTM login (no RTM or RTM2 service with privilege 1): a login with it is not_rtm_token");
    return { token, login: { uid: null, expiresAt: null }, warnings };
  }
  // Only the first RTM (type 2) and the first RTM2 (type 8) service count for a login: say so when a later one names someone else.
  if (parsed.ok && parsed.token.version === "007") {
    for (const type of [2, 8]) {
      const users = parsed.token.services.filter((sv) => sv.type === type).map((sv) => (sv.fields["userId"] as Buffer).toString("utf8"));
      if (new Set(users).size > 1) warnings.push(`it has ${users.length} type-${type} services for different users: only the first (${JSON.stringify(users[0])}) counts for a login`);
    }
  }
  const userIds = [login.rtm, login.rtm2].flatMap((s) => (s === null ? [] : [(s.fields["userId"] as Buffer).toString("utf8")]));
  const loginUid = userIds.every((u) => u === userIds[0]) && userIds[0] !== "" ? (userIds[0] as string) : null;
  if (loginUid === null && userIds.length > 1) warnings.push("its RTM and RTM2 services name different users: every login with it is uid_mismatch");
  const tokenExpiresAt = base.issueTs + expire;
  let expiresAt = login.privilege === 0 ? tokenExpiresAt : Math.min(tokenExpiresAt, base.issueTs + login.privilege);
  // What a gateway with the default MAX_TOKEN_LIFETIME_SECONDS accepts (docs/token-lifetime.md).
  const capAt = base.issueTs + DEFAULT_MAX_LIFETIME_SECONDS;
  if (expiresAt > capAt) {
    const stated = expiresAt - base.issueTs;
    warnings.push(
      `a lifetime of ${stated} s is over ${DEFAULT_MAX_LIFETIME_SECONDS} s: a gateway with the default MAX_TOKEN_LIFETIME_SECONDS ends its login at issue + ${DEFAULT_MAX_LIFETIME_SECONDS} s${stated > 1e9 ? " (--expire is a duration in seconds, not a Unix time)" : ""}`,
    );
    expiresAt = capAt;
  }
  return { token, login: { uid: loginUid, expiresAt: loginUid === null ? null : expiresAt }, warnings };
}

function build006(core: TokenCore, values: Values, base: { appId: string; certificate: string; issueTs: number; salt: number }): Built {
  const warnings: string[] = [];
  const uid = requiredString(values, "uid");
  const channel = typeof values["channel"] === "string" ? values["channel"] : undefined;
  const privilegeArgs = list(values, "privilege");
  const tsText = values["ts"];
  const { issueTs } = base;
  let ts: number;
  if (typeof tsText === "string") ts = integer("ts", tsText, 0, U32_MAX);
  else if (issueTs + TOKEN_006_LIFETIME_SECONDS > U32_MAX) {
    throw new TokenUsageError(`--issue-ts must be at most ${U32_MAX - TOKEN_006_LIFETIME_SECONDS} for 006 (the token expires ${TOKEN_006_LIFETIME_SECONDS} s after issue)`);
  } else ts = issueTs + TOKEN_006_LIFETIME_SECONDS;

  let privileges: Array<readonly [number, number]>;
  if (privilegeArgs.length > 0) {
    if (values["expire"] !== undefined) throw new TokenUsageError("--expire and --privilege are alternatives for 006: give one of them");
    privileges = privilegeArgs.map(parsePrivilegeArg);
    const ids = privileges.map(([id]) => id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined) throw new TokenUsageError(`--privilege ${twice} given more than once`);
  } else {
    const expire = integer("expire", requiredString(values, "expire"), 0, U32_MAX);
    if (expire !== 0 && issueTs + expire > U32_MAX) throw new TokenUsageError(`--expire too large for 006: --issue-ts + --expire must be at most ${U32_MAX}`);
    if (expire > TOKEN_006_LIFETIME_SECONDS && typeof tsText !== "string") {
      warnings.push(`--expire ${expire} exceeds ${TOKEN_006_LIFETIME_SECONDS}: a 006 token expires ${TOKEN_006_LIFETIME_SECONDS} s after issue anyway`);
    }
    privileges = [[core.PRIVILEGE_RTM_LOGIN, expire === 0 ? 0 : issueTs + expire]];
  }

  // The RTM layout puts the account in the channel slot; the RTC layout the channel there and
  // the uid in the uid slot. The MAC covers the two joined, so the login uid is the same join.
  const token = core.build006({ appId: base.appId, certificate: base.certificate, channel: channel ?? uid, uid: channel === undefined ? "" : uid, salt: base.salt, ts, privileges });
  let privilege: number | undefined;
  for (const [id, value] of privileges) if (id === core.PRIVILEGE_RTM_LOGIN) privilege = value;
  if (privilege === undefined) {
    warnings.push(`the token has no RTM login privilege (${core.PRIVILEGE_RTM_LOGIN}): a login with it is not_rtm_token`);
    return { token, login: { uid: null, expiresAt: null }, warnings };
  }
  const loginUid = channel === undefined ? uid : channel + uid;
  return { token, login: { uid: loginUid, expiresAt: privilege === 0 ? ts : Math.min(ts, privilege) }, warnings };
}

/** The gateway's default MAX_TOKEN_LIFETIME_SECONDS: `--json`'s `expiresAt` is capped to it (docs/token-lifetime.md). */
const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;

export async function runTokenBuild(args: string[], io: CliIo, env: TokenCommandEnv): Promise<number> {
  const { values } = parseStrict(args, OPTIONS, false);
  const versionText = requiredString(values, "version");
  if (versionText !== "006" && versionText !== "007") throw new TokenUsageError(`--version must be 006 or 007, got '${versionText}'`);
  const version: TokenVersion = versionText;
  const appId = hex32("app-id", requiredString(values, "app-id"));
  const certificate = hex32("certificate", requiredString(values, "certificate"));
  refuseOtherVersion(values, version);
  const issueTsText = values["issue-ts"];
  const issueTs = typeof issueTsText === "string" ? integer("issue-ts", issueTsText, 0, U32_MAX) : env.nowSeconds();
  const saltText = values["salt"];
  const salt =
    typeof saltText === "string"
      ? integer("salt", saltText, 0, U32_MAX)
      : version === "007"
        ? await env.randomInt(1, 100_000_000) // agora-token's Node builder: 1..99999999
        : await env.randomInt(0, U32_MAX); // agora-access-token: floor(random * 0xFFFFFFFF)

  // Loaded only now: help and usage errors never need the token core (nor its crypto).
  const core = await import("../../core/token/index.js");
  if (core.TOKEN_006_LIFETIME_SECONDS !== TOKEN_006_LIFETIME_SECONDS) throw new Error("token core and CLI disagree on the 006 token lifetime");
  const base = { appId, certificate, issueTs, salt };
  let built: Built;
  try {
    built = version === "007" ? build007(core, values, base) : build006(core, values, base);
  } catch (err) {
    // The core's argument checks (a uid over 65535 bytes, a number out of its field's range);
    // they never quote the certificate.
    if (err instanceof TypeError || err instanceof RangeError) throw new TokenUsageError(err.message);
    throw err;
  }
  const { token, login, warnings } = built;
  if (token.length > core.DEFAULT_TOKEN_LIMITS.maxTokenLength) {
    warnings.push(`the token is ${token.length} characters, over the ${core.DEFAULT_TOKEN_LIMITS.maxTokenLength} a verifier accepts (it will be malformed)`);
  }

  for (const w of warnings) io.err(`rtm-auth token build: warning: ${w}\n`);
  if (values["json"] === true) {
    io.out(`${JSON.stringify({ token, version, appId, uid: login.uid, issueTs, salt, expiresAt: login.expiresAt })}\n`);
  } else {
    io.out(`${token}\n`);
  }
  return EXIT.ok;
}
