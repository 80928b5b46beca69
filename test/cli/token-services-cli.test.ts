/**
 * `rtm-auth token build|inspect|verify` on RTM2 tokens, multi-service 007 tokens, 006 tokens of
 * any layout, and Agora's own 112 vectors (docs/token-services.md).
 *
 * The real command (`node bin/rtm-auth.js`, no shell) runs the RTM2 and multi-service round trips,
 * the usage errors and one official vector per language. Every one of the 112 vectors also goes
 * through the same CLI code in-process (`runTokenCommand`, the function `bin/rtm-auth.js token`
 * runs): 224 process starts would cost most of a minute of CPU for nothing the sample does not
 * already show.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRtmToken, parseRtm2Permissions } from "../../core/token/index.js";
import { runTokenCommand } from "../../gateway/cli/token-command.js";
import { OFFICIAL_VECTORS, officialVector, rebuildable, type OfficialVector } from "../conformance/official-vectors.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/rtm-auth.js", import.meta.url));

const APP_ID = "1de22a3147335f512f2ea7f21b1cc47a";
const CERT = "bc9862a1bc79df352e11f61137115e27";
const ISSUE = 1_718_000_000;
/** No output of any run may contain one of these. */
const SECRETS = [...new Set([CERT, ...OFFICIAL_VECTORS.map((v) => v.appCertificate)])];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function checkSecrets(args: readonly string[], r: Run): Run {
  for (const secret of SECRETS) {
    if (r.stdout.includes(secret) || r.stderr.includes(secret)) throw new Error(`rtm-auth ${args.join(" ")} printed a certificate`);
  }
  return r;
}

/** Runs the real `rtm-auth ARGS` (stdin closed). */
function rtmAuth(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve(checkSecrets(args, { code, stdout, stderr }));
      } catch (err) {
        reject(err as Error);
      }
    });
    child.stdin.end("");
  });
}

/** The same command in-process: `runTokenCommand` with a fixed clock and salt. */
async function inProcess(args: string[], now = ISSUE): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runTokenCommand(
    args,
    { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    { nowSeconds: () => now, readStdin: async () => "", randomInt: async (min) => min },
  );
  return checkSecrets(["token", ...args], { code, stdout, stderr });
}

const inflated = (token007: string): string => inflateSync(Buffer.from(token007.slice(3), "base64")).toString("hex");

/** `token build` arguments that rebuild an official case from its inputs. */
function buildArgsFor(v: OfficialVector): string[] {
  const common = ["build", "--version", v.version, "--app-id", v.appId, "--certificate", v.appCertificate, "--salt", String(v.salt)];
  if (v.version === "006") {
    const privileges = (v.privileges ?? []).flatMap((p) => ["--privilege", `${p.id}=${p.expiresAt}`]);
    return [...common, `--channel=${v.channel as string}`, `--uid=${v.tokenUid as string}`, "--ts", String(v.ts), ...privileges];
  }
  const services = (v.services ?? []).flatMap((s) => ["--service", JSON.stringify(s)]);
  return [...common, "--issue-ts", String(v.issueTs), "--expire", String(v.expire), ...services];
}

function verifyArgsFor(v: OfficialVector): string[] {
  return ["verify", "--json", `--app-id=${v.appId}`, `--certificate=${v.appCertificate}`, `--uid=${v.uid}`, `--now=${v.now}`, "--", v.token];
}

beforeAll(() => {
  // `npm test` builds first; build here only when running this file alone on a fresh checkout.
  if (existsSync(fileURLToPath(new URL("../../dist/gateway/cli/token-service-arg.js", import.meta.url)))) return;
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
});

const BASE = ["token", "build", "--version", "007", "--app-id", APP_ID, "--certificate", CERT, "--issue-ts", String(ISSUE), "--salt", "1"];

describe.concurrent("RTM2 and multi-service tokens through the real command", () => {
  it("--permissions builds the RTM2 token of buildTokenWithPermissions; it logs in; inspect shows the permissions", async () => {
    const notation = "user:read=*;message:write,read=chan1,chan2";
    const built = await rtmAuth([...BASE, "--uid", "alice", "--expire", "3600", "--permissions", notation, "--json"]);
    expect(built.code).toBe(0);
    expect(built.stderr).toBe("");
    const out = JSON.parse(built.stdout) as { token: string };
    expect(out).toEqual({ token: expect.any(String), version: "007", appId: APP_ID, uid: "alice", issueTs: ISSUE, salt: 1, expiresAt: ISSUE + 3600 });
    // The same bytes as the library's RTM2 builder for the same inputs.
    expect(out.token).toBe(buildRtmToken({ version: "007", appId: APP_ID, certificate: CERT, uid: "alice", expireSeconds: 3600, issueTs: ISSUE, salt: 1, permissions: parseRtm2Permissions(notation) }));

    const verify = (uid: string, now: number) => rtmAuth(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", uid, "--now", String(now), out.token]);
    const [ok, other, last, after, json, text] = await Promise.all([
      verify("alice", ISSUE + 1),
      verify("bob", ISSUE + 1),
      verify("alice", ISSUE + 3600),
      verify("alice", ISSUE + 3601),
      rtmAuth(["token", "inspect", "--json", out.token]),
      rtmAuth(["token", "inspect", out.token]),
    ]);
    expect([ok.code, JSON.parse(ok.stdout)]).toEqual([0, expect.objectContaining({ valid: true, reason: "ok", version: "007", expiresAt: ISSUE + 3600, slot: "primary" })]);
    expect([other.code, JSON.parse(other.stdout)]).toEqual([1, expect.objectContaining({ valid: false, reason: "uid_mismatch" })]);
    expect([last.code, after.code, JSON.parse(after.stdout)]).toEqual([0, 1, expect.objectContaining({ valid: false, reason: "token_expired" })]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { services: unknown }).services).toEqual([
      {
        type: 8,
        name: "rtm2",
        privileges: [{ id: 1, name: "login", value: 3600, expiresAt: ISSUE + 3600 }],
        userId: "alice",
        permissions: [
          {
            resourceType: 0,
            resourceName: "messageChannels",
            permissions: [
              { permType: 0, permissionName: "read", resources: ["chan1", "chan2"] },
              { permType: 1, permissionName: "write", resources: ["chan1", "chan2"] },
            ],
          },
          { resourceType: 4, resourceName: "users", permissions: [{ permType: 0, permissionName: "read", resources: ["*"] }] },
        ],
        permissionSpec: "message:read,write=chan1,chan2;user:read=*",
      },
    ]);
    expect(text.stdout).toMatch(/^services\[0\]\.permissions\[0\]\.permissions\[1\]\.permissionName +write$/m);
    expect(text.stdout).toMatch(/^services\[0\]\.permissionSpec +message:read,write=chan1,chan2;user:read=\*$/m);
  });

  it("--uid with --service builds a multi-service token (sorted by type) that logs in as its RTM user", async () => {
    const rtc = JSON.stringify({ type: 1, privileges: { 1: 600, 2: 600 }, channelName: "room", uid: "42" });
    const chat = JSON.stringify({ name: "chat", privileges: [[1, 600]], userId: "alice" });
    const built = await rtmAuth([...BASE, "--uid", "alice", "--expire", "600", "--service", chat, "--service", rtc, "--json"]);
    expect([built.code, built.stderr]).toEqual([0, ""]);
    const { token, uid, expiresAt } = JSON.parse(built.stdout) as { token: string; uid: string; expiresAt: number };
    expect([uid, expiresAt]).toEqual(["alice", ISSUE + 600]);
    const [inspect, verify] = await Promise.all([
      rtmAuth(["token", "inspect", "--json", token]),
      rtmAuth(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--now", String(ISSUE), token]),
    ]);
    const services = (JSON.parse(inspect.stdout) as { services: Array<{ type: number; name: string }> }).services;
    expect(services.map((s) => [s.type, s.name])).toEqual([
      [1, "rtc"],
      [2, "rtm"],
      [5, "chat"],
    ]);
    expect(JSON.parse(verify.stdout)).toEqual(expect.objectContaining({ valid: true, expiresAt: ISSUE + 600 }));
  });

  it("a token of --service services only grants no RTM login: a warning, uid and expiresAt null, not_rtm_token", async () => {
    const rtc = JSON.stringify({ type: 1, privileges: { 1: 600 }, channelName: "alice", uid: "" });
    const built = await rtmAuth([...BASE, "--expire", "600", "--service", rtc, "--json"]);
    expect(built.code).toBe(0);
    expect(built.stderr).toBe("rtm-auth token build: warning: the token grants no RTM login (no RTM or RTM2 service with privilege 1): a login with it is not_rtm_token\n");
    const out = JSON.parse(built.stdout) as { token: string; uid: unknown; expiresAt: unknown };
    expect([out.uid, out.expiresAt]).toEqual([null, null]);
    const verify = await rtmAuth(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--now", String(ISSUE), out.token]);
    expect([verify.code, JSON.parse(verify.stdout)]).toEqual([1, expect.objectContaining({ valid: false, reason: "not_rtm_token" })]);
  });

  it("an RTM and an RTM2 service for different users: a warning, and every login is uid_mismatch", async () => {
    const rtm2 = JSON.stringify({ name: "rtm2", privileges: { 1: 600 }, userId: "bob", permissions: "user:read=*" });
    const built = await rtmAuth([...BASE, "--uid", "alice", "--expire", "600", "--service", rtm2, "--json"]);
    expect(built.stderr).toBe("rtm-auth token build: warning: its RTM and RTM2 services name different users: every login with it is uid_mismatch\n");
    const out = JSON.parse(built.stdout) as { token: string; uid: unknown };
    expect(out.uid).toBeNull();
    const runs = await Promise.all(
      ["alice", "bob"].map((uid) => rtmAuth(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", uid, "--now", String(ISSUE), out.token])),
    );
    for (const r of runs) expect([r.code, JSON.parse(r.stdout)]).toEqual([1, expect.objectContaining({ valid: false, reason: "uid_mismatch" })]);
  });

  it("an RTM2 --service takes the notation, inspect's permissionSpec alone, or both when they agree", async () => {
    const notation = "message:read,write=chan1;user:read=*";
    const grants = parseRtm2Permissions(notation);
    const forms = [
      { name: "rtm2", privileges: { 1: 600 }, userId: "alice", permissions: notation },
      { name: "rtm2", privileges: { 1: 600 }, userId: "alice", permissionSpec: notation },
      { name: "rtm2", privileges: [{ id: 1, name: "login", value: 600, expiresAt: ISSUE + 600 }], userId: "alice", permissions: grants, permissionSpec: notation },
      { name: "rtm2", privileges: { 1: 600 }, userId: "alice", permissions: grants, permissionSpec: null },
    ];
    const runs = await Promise.all(forms.map((f) => inProcess([...BASE.slice(1), "--expire", "600", "--service", JSON.stringify(f)])));
    const expected = `${buildRtmToken({ version: "007", appId: APP_ID, certificate: CERT, uid: "alice", expireSeconds: 600, issueTs: ISSUE, salt: 1, permissions: grants })}\n`;
    expect(runs).toEqual(forms.map(() => ({ code: 0, stdout: expected, stderr: "" })));
  });

  it("what inspect prints rebuilds the token: its services go back in through --service", async () => {
    const v = officialVector("cpp:TestAccessToken2WithMultiService:007-rtc+rtm+fpa+chat");
    const inspect = await rtmAuth(["token", "inspect", "--json", v.token]);
    const d = JSON.parse(inspect.stdout) as { issueTs: number; expire: number; salt: number; services: unknown[] };
    const args = ["token", "build", "--version", "007", "--app-id", v.appId, "--certificate", v.appCertificate, "--issue-ts", String(d.issueTs), "--salt", String(d.salt), "--expire", String(d.expire)];
    const built = await rtmAuth([...args, ...d.services.flatMap((s) => ["--service", JSON.stringify(s)])]);
    expect([built.code, built.stderr]).toEqual([0, ""]);
    // The vector was compressed by C++'s zlib: the same payload, another deflate stream.
    expect(inflated(built.stdout.trim())).toBe(inflated(v.token));
  });

  it("006: --channel, --ts and --privilege rebuild every official 006 vector byte for byte", async () => {
    const cases = OFFICIAL_VECTORS.filter((v) => v.version === "006" && rebuildable(v) && v.derived === undefined);
    const distinct = [...new Map(cases.map((v) => [v.token, v])).values()];
    expect(distinct).toHaveLength(3);
    const runs = await Promise.all(distinct.map((v) => rtmAuth(["token", ...buildArgsFor(v)])));
    runs.forEach((r, i) => {
      // These RTC tokens carry no RTM login privilege: the build says so.
      expect(r).toEqual({ code: 0, stdout: `${(distinct[i] as OfficialVector).token}\n`, stderr: "rtm-auth token build: warning: the token has no RTM login privilege (1000): a login with it is not_rtm_token\n" });
    });
  });

  it("006 --json: the login uid of the RTC layout is CHANNEL followed by UID; --ts sets the token expiry", async () => {
    const args = ["token", "build", "--version", "006", "--app-id", APP_ID, "--certificate", CERT, "--salt", "5", "--issue-ts", String(ISSUE), "--json"];
    const [rtcLayout, rtm] = await Promise.all([
      rtmAuth([...args, "--channel", "al", "--uid", "ice", "--ts", String(ISSUE + 100), "--privilege", "rtmLogin=0", "--privilege", "joinChannel=0"]),
      rtmAuth([...args, "--uid", "alice", "--ts", String(ISSUE + 100), "--expire", "3600"]),
    ]);
    const a = JSON.parse(rtcLayout.stdout) as { token: string; uid: string; expiresAt: number };
    const b = JSON.parse(rtm.stdout) as { token: string; uid: string; expiresAt: number };
    expect([a.uid, a.expiresAt, b.uid, b.expiresAt]).toEqual(["alice", ISSUE + 100, "alice", ISSUE + 100]);
    const verify = (token: string) => rtmAuth(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--now", String(ISSUE + 100), token]);
    const [va, vb] = await Promise.all([verify(a.token), verify(b.token)]);
    expect([JSON.parse(va.stdout), JSON.parse(vb.stdout)]).toEqual([
      expect.objectContaining({ valid: true, version: "006", expiresAt: ISSUE + 100 }),
      expect.objectContaining({ valid: true, version: "006", expiresAt: ISSUE + 100 }),
    ]);
  });

  it("one official vector per language: verify and inspect answer as the library does", async () => {
    const sample = [...new Map(OFFICIAL_VECTORS.map((v) => [v.language, v])).values()];
    expect(sample).toHaveLength(7);
    const runs = await Promise.all(sample.flatMap((v) => [rtmAuth(["token", ...verifyArgsFor(v)]), rtmAuth(["token", "inspect", "--json", "--", v.token])]));
    sample.forEach((v, i) => {
      const verify = runs[2 * i] as Run;
      const inspect = runs[2 * i + 1] as Run;
      expect({ name: v.name, code: verify.code, answer: JSON.parse(verify.stdout) as unknown }).toEqual({
        name: v.name,
        code: v.expect.valid ? 0 : 1,
        answer: expect.objectContaining(v.expect.valid ? { valid: true, reason: "ok" } : { valid: false, reason: v.expect.reason }),
      });
      expect([v.name, inspect.code, (JSON.parse(inspect.stdout) as { decoded: boolean }).decoded]).toEqual([v.name, v.kind === "malformed" ? 1 : 0, v.kind !== "malformed"]);
    });
  });
});

describe.concurrent("usage errors of the new build options", () => {
  const B006 = ["token", "build", "--version", "006", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice"];
  const B007 = [...BASE, "--expire", "60"];
  const see = "; see 'rtm-auth token build --help'\n";
  const svc = (o: unknown) => ["--service", JSON.stringify(o)];
  const CASES: ReadonlyArray<readonly [string, string[], string]> = [
    ["--permissions on 006", [...B006, "--expire", "1", "--permissions", "user:read=*"], "--permissions is for 007 tokens only"],
    ["--service on 006", [...B006, "--expire", "1", ...svc({ type: 4 })], "--service is for 007 tokens only"],
    ["--channel on 007", [...B007, "--uid", "a", "--channel", "c"], "--channel is for 006 tokens only"],
    ["--ts on 007", [...B007, "--uid", "a", "--ts", "1"], "--ts is for 006 tokens only"],
    ["--privilege on 007", [...B007, "--uid", "a", "--privilege", "1=1"], "--privilege is for 006 tokens only"],
    ["bad notation", [...B007, "--uid", "a", "--permissions", "msg:read=a"], "the permissions: unknown resource type 'msg' (expected message, stream, group, server-group, user, or a number 0..65535)"],
    ["notation with an empty name", [...B007, "--uid", "a", "--permissions", "user:read=a,,b"], "the permissions: group 'user:read=a,,b' has an empty name"],
    ["--permissions without --uid", [...B007, "--permissions", "user:read=*", ...svc({ type: 4 })], "--permissions needs --uid (the RTM2 service's user id)"],
    ["--service not JSON", [...B007, "--service", "rtc"], `--service #1 is not JSON (give one object, e.g. '{"type":1,"privileges":{"1":600},"channelName":"room","uid":"42"}')`],
    ["--service a list", [...B007, ...svc([1])], "--service #1 must be one JSON object"],
    ["--service type 11", [...B007, ...svc({ type: 11 })], "--service #1: unknown service type 11 (1..10)"],
    ["--service without a type", [...B007, ...svc({ privileges: {} })], '--service #1 needs "type" (1..10) or "name"'],
    ["--service with an unknown name", [...B007, ...svc({ name: "rtm3" })], '--service #1: unknown service name "rtm3" (rtc, rtm, streaming, fpa, chat, fcdn, apaas, rtm2, convoai, stt)'],
    ["--service type and name disagree", [...B007, ...svc({ type: 1, name: "rtm", userId: "a" })], '--service #1: type 1 is "rtc", not "rtm"'],
    ["--service missing a field", [...B007, ...svc({ type: 4 }), ...svc({ type: 1, channelName: "x" })], '--service #2: type 1 (rtc) needs "uid", a string'],
    ["--service with a foreign field", [...B007, ...svc({ type: 2, userId: "a", channelName: "x" })], '--service #1: "channelName" is not a field of type 2 (rtm); its fields: type, name, privileges, userId'],
    ["--service privilege id out of range", [...B007, ...svc({ type: 4, privileges: { 65536: 1 } })], "--service #1: a privilege id must be an integer in 0..65535"],
    ["--service privilege value out of range", [...B007, ...svc({ type: 4, privileges: [[1, -1]] })], "--service #1: a privilege value must be an integer in 0..4294967295"],
    ["--service privilege of another shape", [...B007, ...svc({ type: 4, privileges: [1] })], '--service #1: a privilege must be [id, value] or {"id", "value"}'],
    ["--service APaaS role out of range", [...B007, ...svc({ type: 7, roomUuid: "r", userUuid: "u", role: 40_000 })], '--service #1: "role" must be an integer in -32768..32767'],
    ["--service rtm2 without permissions", [...B007, ...svc({ type: 8, userId: "a" })], '--service #1: type 8 (rtm2) needs "permissions": the notation ("" for none) or a list'],
    ["--service rtm2 permissionSpec not a string", [...B007, ...svc({ type: 8, userId: "a", permissionSpec: 5 })], '--service #1: "permissionSpec" must be the notation (a string) or null'],
    [
      "--service rtm2 permissions and permissionSpec disagree",
      [...B007, ...svc({ type: 8, userId: "a", permissions: [{ resourceType: 0, permissions: [{ permType: 0, resources: ["a"] }] }], permissionSpec: "message:read=b" })],
      '--service #1: "permissions" and "permissionSpec" say different things; give one of them',
    ],
    ["--service rtm2 bad notation", [...B007, ...svc({ type: 8, userId: "a", permissions: "user" })], "the permissions: group 'user' is not RESOURCE:PERMISSION[,PERMISSION…]=[NAME[,NAME…]]"],
    ["--service rtm2 resources not strings", [...B007, ...svc({ type: 8, userId: "a", permissions: [{ resourceType: 0, permissions: [{ permType: 0, resources: [1] }] }] })], '--service #1: "resources" must be a list of strings'],
    ["--service string over 65535 bytes", [...B007, ...svc({ type: 5, userId: "x".repeat(70_000) })], "a bytes16 field holds at most 65535 bytes, got 70000"],
    ["006 --privilege not ID=T", [...B006, "--privilege", "1000"], "--privilege must be ID=UNIX_SECONDS (ID a number or joinChannel, publishAudioStream, publishVideoStream, publishDataStream, rtmLogin), got '1000'"],
    ["006 --privilege unknown name", [...B006, "--privilege", "login=5"], "--privilege: unknown privilege 'login' (a number 0..65535 or joinChannel, publishAudioStream, publishVideoStream, publishDataStream, rtmLogin)"],
    ["006 --privilege id too large", [...B006, "--privilege", "65536=5"], "--privilege: the id must be in 0..65535, got 65536"],
    ["006 --privilege time too large", [...B006, "--privilege", "1000=4294967296"], "--privilege: the time must be in 0..4294967295, got 4294967296"],
    ["006 --privilege twice", [...B006, "--privilege", "1000=5", "--privilege", "rtmLogin=6"], "--privilege 1000 given more than once"],
    ["006 --expire and --privilege", [...B006, "--expire", "5", "--privilege", "1000=5"], "--expire and --privilege are alternatives for 006: give one of them"],
    ["006 neither --expire nor --privilege", [...B006], "missing required option --expire"],
    ["006 --ts 2^32", [...B006, "--expire", "5", "--ts", "4294967296"], "--ts must be in 0..4294967295, got 4294967296"],
  ];
  it.each(CASES)("%s → exit 2", async (_name, args, message) => {
    expect(await inProcess(args.slice(1))).toEqual({ code: 2, stdout: "", stderr: `rtm-auth token build: ${message}${see}` });
  });

  it("the real command gives the same one-line usage errors", async () => {
    const picked = CASES.filter(([name]) => ["bad notation", "--service type and name disagree", "006 --privilege twice"].includes(name));
    const runs = await Promise.all(picked.map(([, args]) => rtmAuth(args)));
    expect(runs).toEqual(picked.map(([, , message]) => ({ code: 2, stdout: "", stderr: `rtm-auth token build: ${message}${see}` })));
  });
});

describe("Agora's own 112 vectors through the CLI code (in-process)", () => {
  it.each(OFFICIAL_VECTORS.map((v) => [v.name, v] as const))("%s: verify --json gives its expect; inspect --json decodes it", async (_name, v) => {
    const verify = await inProcess(verifyArgsFor(v), v.now);
    const answer = JSON.parse(verify.stdout) as { valid: boolean; reason: string };
    expect({ code: verify.code, valid: answer.valid, reason: answer.reason, stderr: verify.stderr }).toEqual({
      code: v.expect.valid ? 0 : 1,
      valid: v.expect.valid,
      reason: v.expect.valid ? "ok" : v.expect.reason,
      stderr: "",
    });

    const inspect = await inProcess(["inspect", "--json", "--", v.token], v.now);
    const d = JSON.parse(inspect.stdout) as { decoded: boolean; reason?: string; services?: Array<{ type: number; name: string }>; privileges?: Array<{ id: number }> };
    if (v.kind === "malformed") {
      expect([inspect.code, d.decoded, d.reason]).toEqual([1, false, "malformed"]);
    } else if (v.version === "007") {
      expect([inspect.code, d.services?.map((s) => [s.type, s.name])]).toEqual([0, (v.services ?? []).map((s) => [s.type, s.name])]);
    } else {
      expect([inspect.code, d.privileges?.map((p) => p.id)]).toEqual([0, (v.privileges ?? []).map((p) => p.id)]);
    }
  });

  it("inspect decodes every service type the vectors hold (1–8)", async () => {
    const types = new Set<number>();
    for (const v of OFFICIAL_VECTORS.filter((x) => x.version === "007" && x.kind !== "malformed")) {
      const d = JSON.parse((await inProcess(["inspect", "--json", v.token])).stdout) as { services: Array<{ type: number; name: string }> };
      for (const s of d.services) {
        expect(s.name).not.toBe("unknown");
        types.add(s.type);
      }
    }
    expect([...types].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each(OFFICIAL_VECTORS.filter((v) => rebuildable(v) && v.derived === undefined).map((v) => [v.name, v] as const))("%s: token build rebuilds it from its inputs", async (_name, v) => {
    const r = await inProcess(buildArgsFor(v));
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    if (v.version === "006") expect(token).toBe(v.token);
    else expect(inflated(token)).toBe(inflated(v.token));
  });
});
