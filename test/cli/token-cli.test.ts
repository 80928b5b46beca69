/**
 * `rtm-auth token build|inspect|verify` (docs/protocol.md, "Command line"). Exit codes and outputs
 * are asserted exactly, and no output of any run may contain a certificate. Most cases run the
 * command in-process (test/support/cli-in-process.ts); the ones that read stdin, the system clock
 * and the random salt spawn the real command, `node bin/rtm-auth.js …`, no shell.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess } from "../support/cli-in-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/rtm-auth.js", import.meta.url));

interface Vector {
  name: string;
  version: "006" | "007" | null;
  appId: string;
  appCertificate: string;
  activeCertificates: string[];
  uid: string;
  now: number;
  token: string;
  expect: { valid: boolean; reason?: string };
}

const VECTORS = JSON.parse(readFileSync(new URL("../conformance/vectors/rtm-tokens.json", import.meta.url), "utf8")) as Vector[];

function vector(name: string): Vector {
  const v = VECTORS.find((x) => x.name === name);
  if (!v) throw new Error(`vector ${name} missing`);
  return v;
}

const APP_ID = "1de22a3147335f512f2ea7f21b1cc47a";
const CERT = "bc9862a1bc79df352e11f61137115e27";
const CERT2 = "336b1812c2a92c486b17bdb011128787";
/** Every certificate a run may be given: none may ever appear in its output. */
const SECRETS = [...new Set([CERT, CERT2, ...VECTORS.flatMap((v) => v.activeCertificates)])];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails when a run printed a certificate. */
function noSecret(args: readonly string[], run: Run): Run {
  for (const secret of SECRETS) {
    if (run.stdout.includes(secret) || run.stderr.includes(secret)) throw new Error(`rtm-auth ${args.join(" ")} printed a certificate`);
  }
  return run;
}

/** Runs `rtm-auth ARGS` in-process, `input` being what `-` reads. */
async function rtmAuth(args: string[], input = ""): Promise<Run> {
  return noSecret(args, await cliInProcess(args, input));
}

/** Spawns `rtm-auth ARGS` with `input` on stdin (stdin is always closed, so `-` never waits). */
function rtmAuthSpawned(args: string[], input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve(noSecret(args, { code, stdout, stderr }));
      } catch (err) {
        reject(err);
      }
    });
    child.stdin.end(input);
  });
}

/** `token verify` for a vector, with its App ID, active certificates, uid and clock. */
function verifyArgs(v: Vector, ...extra: string[]): string[] {
  return [
    "token",
    "verify",
    `--app-id=${v.appId}`,
    ...v.activeCertificates.map((c) => `--certificate=${c}`),
    `--uid=${v.uid}`,
    `--now=${v.now}`,
    ...extra,
    "--",
    v.token,
  ];
}

function buildArgs(version: "006" | "007", expire: number, issueTs: number, salt: number, ...extra: string[]): string[] {
  const args = ["token", "build", "--version", version, "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice"];
  return [...args, "--expire", String(expire), "--issue-ts", String(issueTs), "--salt", String(salt), ...extra];
}

beforeAll(() => {
  // `npm test` builds first; build here only when running this file alone on a fresh checkout.
  if (existsSync(fileURLToPath(new URL("../../dist/gateway/cli/main.js", import.meta.url)))) return;
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
});

describe.concurrent("rtm-auth token build → verify round trips", () => {
  const ISSUE = 1_718_000_000;
  it.each([
    { version: "006", expire: 3600, salt: 12345678, expiresAt: ISSUE + 3600 },
    { version: "006", expire: 0, salt: 0, expiresAt: ISSUE + 86_400 }, // privilege 0: the 24 h token expiry only
    { version: "007", expire: 3600, salt: 7654321, expiresAt: ISSUE + 3600 },
  ] as const)("$version, --expire $expire", async ({ version, expire, salt, expiresAt }) => {
    const [built, asJson] = await Promise.all([rtmAuth(buildArgs(version, expire, ISSUE, salt)), rtmAuth(buildArgs(version, expire, ISSUE, salt, "--json"))]);
    expect(built).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^${version}[A-Za-z0-9+/=]+\\n$`)), stderr: "" });
    const token = built.stdout.trim();
    expect(asJson.code).toBe(0);
    expect(asJson.stdout).toBe(`${JSON.stringify({ token, version, appId: APP_ID, uid: "alice", issueTs: ISSUE, salt, expiresAt })}\n`);

    const verify = (...extra: string[]) =>
      rtmAuth(["token", "verify", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", ...extra, token]);
    const iso = new Date(expiresAt * 1000).toISOString().replace(".000Z", "Z");
    const [text, json, last, after] = await Promise.all([
      verify("--now", String(ISSUE + 1)),
      verify("--now", String(ISSUE + 1), "--json"),
      verify("--now", String(expiresAt)),
      verify("--now", String(expiresAt + 1), "--json"),
    ]);
    expect(text).toEqual({ code: 0, stdout: `valid (${version}, expires ${iso})\n`, stderr: "" });
    expect(json).toEqual({ code: 0, stdout: `${JSON.stringify({ valid: true, reason: "ok", version, expiresAt, slot: "primary" })}\n`, stderr: "" });
    expect(last).toEqual(text);
    const expiredReason = version === "006" && expire !== 0 ? "privilege_expired" : "token_expired";
    expect(after).toEqual({ code: 1, stdout: `{"valid":false,"reason":"${expiredReason}"}\n`, stderr: "" });
  });

  it.each(["006-rtm-basic", "007-rtm-basic"])("reproduces vector %s byte for byte", async (name) => {
    const v = vector(name);
    const raw = v as unknown as { issueTs?: number; ts?: number; salt: number; expireSeconds?: number; privilegeExpireTs?: number };
    const issueTs = v.version === "006" ? (raw.ts as number) - 86_400 : (raw.issueTs as number);
    const expire = v.version === "006" ? (raw.privilegeExpireTs as number) - issueTs : (raw.expireSeconds as number);
    const r = await rtmAuth(buildArgs(v.version as "006" | "007", expire, issueTs, raw.salt));
    expect(r).toEqual({ code: 0, stdout: `${v.token}\n`, stderr: "" });
  });

  it.each(["006", "007"] as const)("%s: defaults to the system clock and a random salt", async (version) => {
    const before = Math.floor(Date.now() / 1000);
    const args = ["token", "build", "--version", version, "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--expire", "600", "--json"];
    const [a, b] = await Promise.all([rtmAuthSpawned(args), rtmAuthSpawned(args)]);
    const after = Math.floor(Date.now() / 1000);
    const outA = JSON.parse(a.stdout) as { token: string; issueTs: number; salt: number; expiresAt: number };
    const outB = JSON.parse(b.stdout) as { salt: number };
    expect(a.code).toBe(0);
    expect(outA.issueTs).toBeGreaterThanOrEqual(before);
    expect(outA.issueTs).toBeLessThanOrEqual(after);
    expect(outA.expiresAt).toBe(outA.issueTs + 600);
    const [lo, hi] = version === "007" ? [1, 99_999_999] : [0, 4_294_967_294];
    for (const salt of [outA.salt, outB.salt]) {
      expect(Number.isInteger(salt) && salt >= lo && salt <= hi).toBe(true);
    }
    expect(outA.salt).not.toBe(outB.salt); // chance of a collision: 1e-8 (007), 2e-10 (006)
    // Verified with the default clock too.
    const v = await rtmAuthSpawned(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", outA.token]);
    expect(v).toEqual({ code: 0, stdout: `${JSON.stringify({ valid: true, reason: "ok", version, expiresAt: outA.expiresAt, slot: "primary" })}\n`, stderr: "" });
  });

  it("007 --expire 0 builds, with a warning, a token valid only at its issue second", async () => {
    const built = await rtmAuth(buildArgs("007", 0, 1_718_000_000, 1));
    expect(built.code).toBe(0);
    expect(built.stderr).toBe("rtm-auth token build: warning: --expire 0 gives a 007 token that has expired one second after its issue time\n");
    const token = built.stdout.trim();
    const at = (now: number) => rtmAuth(["token", "verify", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--now", String(now), token]);
    const [same, next] = await Promise.all([at(1_718_000_000), at(1_718_000_001)]);
    expect(same).toEqual({ code: 0, stdout: "valid (007, expires 2024-06-10T06:13:20Z)\n", stderr: "" });
    expect(next).toEqual({ code: 1, stdout: "invalid: token_expired\n", stderr: "" });
  });

  it("006 --expire beyond 24 h warns that the token expiry wins", async () => {
    const r = await rtmAuth(buildArgs("006", 100_000, 1_718_000_000, 5, "--json"));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("rtm-auth token build: warning: --expire 100000 exceeds 86400: a 006 token expires 86400 s after issue anyway\n");
    expect((JSON.parse(r.stdout) as { expiresAt: number }).expiresAt).toBe(1_718_086_400);
  });
});

describe.concurrent("rtm-auth token verify", () => {
  // One vector per reason and version (the conformance suite runs all of them in-process).
  const SAMPLE = [
    "006-rtm-basic",
    "006-rtm-wrong-uid",
    "006-rtc-token-channel-equals-uid",
    "006-app-id-mismatch",
    "006-rtm-privilege-expired",
    "007-rtm-unicode-uid",
    "007-rtc-plus-rtm-token",
    "007-rtm-other-certificate",
    "007-rtc-only-token",
    "007-rtm-privilege-expired",
    "empty-token",
  ];
  it("answers conformance vectors as the core does (--json)", async () => {
    const vectors = SAMPLE.map(vector);
    const runs = await Promise.all(vectors.map((v) => rtmAuth(verifyArgs(v, "--json"))));
    vectors.forEach((v, i) => {
      const r = runs[i] as Run;
      const reason = v.expect.valid ? "ok" : v.expect.reason;
      expect({ name: v.name, code: r.code, stderr: r.stderr, answer: JSON.parse(r.stdout) as unknown }).toEqual({
        name: v.name,
        code: v.expect.valid ? 0 : 1,
        stderr: "",
        // Refusals may add diagnostic hints (docs/hints.md; asserted in test/cli/token-hints.test.ts).
        answer: v.expect.valid ? expect.objectContaining({ valid: true, reason, version: v.version }) : expect.objectContaining({ valid: false, reason }),
      });
    });
  });

  it.each([
    ["007-zlib-bomb", "invalid: malformed\n"],
    ["006-wrong-version-prefix", "invalid: unsupported_version\n"],
    [
      "006-rtc-token-empty-channel",
      "invalid: not_rtm_token\nhint rtc_token: This is an RTC token: it carries RTC privileges and no RTM login, so Agora's documented rules refuse it for RTM (only ACCEPT_006_RTC_AS_RTM, as observed, takes an 006 one whose channel is the account); build the login token with an RTM token builder (RtmTokenBuilder) for this user id.\n",
    ],
  ])("text answer for %s", async (name, stdout) => {
    const v = vector(name);
    expect(await rtmAuth(verifyArgs(v))).toEqual({ code: stdout.startsWith("valid") ? 0 : 1, stdout, stderr: "" });
  });

  it.each(["006-rtm-secondary-certificate-active", "007-rtm-secondary-certificate-active"])(
    "%s: valid through the second --certificate, and only through it",
    async (name) => {
      const v = vector(name);
      const version = v.version as string;
      const ok = (slot: string) => `${JSON.stringify({ valid: true, reason: "ok", version, expiresAt: 1_718_003_600, slot })}\n`;
      const [both, swapped, primaryOnly, secondaryOnly] = await Promise.all([
        rtmAuth(verifyArgs({ ...v, activeCertificates: [CERT, CERT2] }, "--json")),
        rtmAuth(verifyArgs({ ...v, activeCertificates: [CERT2, CERT] }, "--json")),
        rtmAuth(verifyArgs({ ...v, activeCertificates: [CERT] }, "--json")),
        rtmAuth(verifyArgs({ ...v, activeCertificates: [CERT2] })),
      ]);
      expect(both).toEqual({ code: 0, stdout: ok("secondary"), stderr: "" });
      expect(swapped).toEqual({ code: 0, stdout: ok("primary"), stderr: "" });
      expect(primaryOnly).toEqual({ code: 1, stdout: '{"valid":false,"reason":"invalid_signature"}\n', stderr: "" });
      expect(secondaryOnly).toEqual({ code: 0, stdout: `valid (${version}, expires 2024-06-10T07:13:20Z)\n`, stderr: "" });
    },
  );

  it.each([
    // 007-rtm-basic: token and privilege both end at 1718003600; 006-rtm-basic: privilege 1718003600, token 1718086400.
    ["007-rtm-basic", 1_718_003_600, 0, "valid (007, expires 2024-06-10T07:13:20Z)\n"],
    ["007-rtm-basic", 1_718_003_601, 1, "invalid: token_expired\n"],
    ["006-rtm-basic", 1_718_003_600, 0, "valid (006, expires 2024-06-10T07:13:20Z)\n"],
    ["006-rtm-basic", 1_718_003_601, 1, "invalid: privilege_expired\n"],
    ["006-rtm-privilege-zero", 1_718_086_400, 0, "valid (006, expires 2024-06-11T06:13:20Z)\n"],
    ["006-rtm-privilege-zero", 1_718_086_401, 1, "invalid: token_expired\n"],
  ] as const)("%s at --now %i: the expiry second is still valid", async (name, now, code, stdout) => {
    expect(await rtmAuth(verifyArgs({ ...vector(name), now }))).toEqual({ code, stdout, stderr: "" });
  });

  it("reads TOKEN from stdin when it is -, trimmed", async () => {
    const v = vector("007-rtm-basic");
    const args = verifyArgs(v).slice(0, -2);
    const [piped, bomb] = await Promise.all([
      rtmAuthSpawned([...args, "-"], `  ${v.token}\r\n`),
      rtmAuthSpawned([...args, "--json", "-"], vector("007-zlib-bomb").token),
    ]);
    expect(piped).toEqual({ code: 0, stdout: "valid (007, expires 2024-06-10T07:13:20Z)\n", stderr: "" });
    expect(bomb).toEqual({ code: 1, stdout: '{"valid":false,"reason":"malformed"}\n', stderr: "" });
  });

  it("uses a token argument exactly as given (no trimming)", async () => {
    const v = vector("007-rtm-basic");
    expect(await rtmAuth(verifyArgs({ ...v, token: `${v.token} ` }))).toEqual({ code: 1, stdout: "invalid: malformed\n", stderr: "" });
  });
});

describe.concurrent("rtm-auth token inspect", () => {
  const NOTE = "(decoded only: the signature was not checked, so these fields are unverified claims)\n";

  it("prints every field of 006-rtm-basic, times with ISO-8601", async () => {
    const r = await rtmAuth(["token", "inspect", vector("006-rtm-basic").token]);
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "version                  006",
        "appId                    1de22a3147335f512f2ea7f21b1cc47a",
        "signatureLength          32",
        "crcChannel               663665735 (0x278ebc47)",
        "crcUid                   0 (0x00000000)",
        "salt                     12345678",
        "ts                       1718086400 (2024-06-11T06:13:20Z)",
        "privileges[0].id         1000",
        "privileges[0].name       rtmLogin",
        "privileges[0].value      1718003600",
        "privileges[0].expiresAt  1718003600 (2024-06-10T07:13:20Z)",
        NOTE,
      ].join("\n"),
    });
  });

  it("prints every field of 007-rtm-basic, from stdin too", async () => {
    const v = vector("007-rtm-basic");
    const [arg, piped] = await Promise.all([rtmAuth(["token", "inspect", v.token]), rtmAuth(["token", "inspect", "-"], `${v.token}\n`)]);
    expect(arg).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "version                              007",
        "appId                                1de22a3147335f512f2ea7f21b1cc47a",
        "signatureLength                      32",
        "issueTs                              1718000000 (2024-06-10T06:13:20Z)",
        "expire                               3600",
        "expiresAt                            1718003600 (2024-06-10T07:13:20Z)",
        "salt                                 7654321",
        "serviceCount                         1",
        "services[0].type                     2",
        "services[0].name                     rtm",
        "services[0].privileges[0].id         1",
        "services[0].privileges[0].name       login",
        "services[0].privileges[0].value      3600",
        "services[0].privileges[0].expiresAt  1718003600 (2024-06-10T07:13:20Z)",
        "services[0].userId                   alice",
        "unknownServiceType                   null",
        "trailingBytes                        0",
        NOTE,
      ].join("\n"),
    });
    expect(piped).toEqual(arg);
  });

  it.each([
    [
      "006-rtm-basic",
      { decoded: true, version: "006", appId: APP_ID, signatureLength: 32, crcChannel: 0x278ebc47, crcUid: 0, salt: 12345678, ts: 1718086400, privileges: [{ id: 1000, name: "rtmLogin", value: 1718003600, expiresAt: 1718003600 }] },
    ],
    [
      "007-rtm-basic",
      {
        decoded: true,
        version: "007",
        appId: APP_ID,
        signatureLength: 32,
        issueTs: 1718000000,
        expire: 3600,
        expiresAt: 1718003600,
        salt: 7654321,
        serviceCount: 1,
        services: [{ type: 2, name: "rtm", privileges: [{ id: 1, name: "login", value: 3600, expiresAt: 1718003600 }], userId: "alice" }],
        unknownServiceType: null,
        trailingBytes: 0,
      },
    ],
  ])("--json for %s", async (name, fields) => {
    const r = await rtmAuth(["token", "inspect", "--json", vector(name).token]);
    expect(r).toEqual({ code: 0, stdout: `${JSON.stringify(fields)}\n`, stderr: "" });
  });

  it("shows a unicode user id as text", async () => {
    const r = await rtmAuth(["token", "inspect", vector("007-rtm-unicode-uid").token]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^services\[0\]\.userId +Łukasz-用户-😀$/m);
  });

  it.each([
    ["007-zlib-bomb", "malformed"],
    ["006-wrong-version-prefix", "unsupported_version"],
    ["empty-token", "malformed"],
  ])("%s does not decode: exit 1, %s", async (name, reason) => {
    const token = vector(name).token;
    const [text, json] = await Promise.all([rtmAuth(["token", "inspect", "--", token]), rtmAuth(["token", "inspect", "--json", "--", token])]);
    expect(text).toEqual({ code: 1, stdout: expect.stringMatching(new RegExp(`^undecodable: ${reason} \\([^\\n]+\\)\\n$`)), stderr: "" });
    expect(json.code).toBe(1);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toEqual({ decoded: false, reason, detail: expect.any(String) });
  });
});

describe.concurrent("usage", () => {
  const HELP: ReadonlyArray<readonly [string[], string, string[]]> = [
    [["--help"], "Usage: rtm-auth <command>", ["token"]],
    [["token", "--help"], "Usage: rtm-auth token <subcommand>", ["build", "inspect", "verify", "--json", "--help"]],
    [["token", "-h"], "Usage: rtm-auth token <subcommand>", []],
    [
      ["token", "build", "--help"],
      "Usage: rtm-auth token build --version 006|007",
      ["--app-id", "--certificate", "--uid", "--expire", "--issue-ts", "--salt", "--json", "--help", "--permissions", "message:read,write=chan1,chan2;user:read=*", "--service", "--channel", "--ts", "--privilege"],
    ],
    [["token", "inspect", "--help"], "Usage: rtm-auth token inspect [--json] TOKEN", ["--json", "--help", "stdin", "RTM2", "--permissions"]],
    [["token", "verify", "--help"], "Usage: rtm-auth token verify --app-id APP_ID", ["--certificate", "--uid", "--now", "--json", "--help", "TOKEN", "stdin"]],
    [["token", "verify", "-h", "--bogus"], "Usage: rtm-auth token verify --app-id APP_ID", []],
    [["token", "help", "build"], "Usage: rtm-auth token build --version 006|007", []],
  ];
  it.each(HELP)("%j prints usage on stdout, exit 0", async (args, first, mentions) => {
    const r = await rtmAuth(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.startsWith(first)).toBe(true);
    for (const m of mentions) expect(r.stdout).toContain(m);
  });

  const B = ["token", "build"];
  const ID = ["--app-id", APP_ID];
  const C = ["--certificate", CERT];
  const BUILD = [...B, "--version", "007", ...ID, ...C, "--uid", "alice", "--expire", "60"];
  const V = ["token", "verify", ...ID, ...C, "--uid", "alice"];
  const TOKEN = vector("007-rtm-basic").token;
  const see = (sub: string) => `; see 'rtm-auth token ${sub} --help'\n`;
  const USAGE_ERRORS: ReadonlyArray<readonly [string, string[], string]> = [
    ["no subcommand", ["token"], "rtm-auth token: missing subcommand (build, inspect or verify); see 'rtm-auth token --help'\n"],
    ["unknown subcommand", ["token", "sign"], "rtm-auth token: unknown subcommand 'sign' (expected build, inspect or verify); see 'rtm-auth token --help'\n"],
    ["build: no --version", [...B, ...ID, ...C, "--uid", "a", "--expire", "1"], `rtm-auth token build: missing required option --version${see("build")}`],
    ["build: no --app-id", [...B, "--version", "007", ...C, "--uid", "a", "--expire", "1"], `rtm-auth token build: missing required option --app-id${see("build")}`],
    ["build: no --certificate", [...B, "--version", "007", ...ID, "--uid", "a", "--expire", "1"], `rtm-auth token build: missing required option --certificate${see("build")}`],
    ["build: no --uid", [...B, "--version", "007", ...ID, ...C, "--expire", "1"], `rtm-auth token build: missing required option --uid (or give the services with --service)${see("build")}`],
    ["build: 006 no --uid", [...B, "--version", "006", ...ID, ...C, "--expire", "1"], `rtm-auth token build: missing required option --uid${see("build")}`],
    ["build: no --expire", [...B, "--version", "007", ...ID, ...C, "--uid", "a"], `rtm-auth token build: missing required option --expire${see("build")}`],
    ["build: --version 008", [...B, "--version", "008", ...ID, ...C, "--uid", "a", "--expire", "1"], `rtm-auth token build: --version must be 006 or 007, got '008'${see("build")}`],
    ["build: non-hex --app-id", [...B, "--version", "007", "--app-id", "z".repeat(32), ...C, "--uid", "a", "--expire", "1"], `rtm-auth token build: --app-id must be 32 hexadecimal characters${see("build")}`],
    ["build: non-hex --certificate", [...B, "--version", "007", ...ID, "--certificate", `${CERT.slice(0, 31)}g`, "--uid", "a", "--expire", "1"], `rtm-auth token build: --certificate must be 32 hexadecimal characters (value not shown)${see("build")}`],
    ["build: --expire abc", [...BUILD.slice(0, -2), "--expire", "abc"], `rtm-auth token build: --expire must be a non-negative decimal integer, got 'abc'${see("build")}`],
    ["build: --expire=-1", [...BUILD.slice(0, -2), "--expire=-1"], `rtm-auth token build: --expire must be a non-negative decimal integer, got '-1'${see("build")}`],
    // A spaced negative number is the option's value (every command parses alike): its own check answers.
    ["build: --expire -1", [...BUILD.slice(0, -2), "--expire", "-1"], `rtm-auth token build: --expire must be a non-negative decimal integer, got '-1'${see("build")}`],
    ["build: a value that starts with '-' and is no number", [...B, "--version", "007", ...ID, ...C, "--uid", "-x", "--expire", "1"], `rtm-auth token build: option --uid needs a value (write --uid=VALUE for a value that starts with '-')${see("build")}`],
    ["build: --expire 2^32", [...BUILD.slice(0, -2), "--expire", "4294967296"], `rtm-auth token build: --expire must be in 0..4294967295, got 4294967296${see("build")}`],
    ["build: --issue-ts 2^32", [...BUILD, "--issue-ts", "4294967296"], `rtm-auth token build: --issue-ts must be in 0..4294967295, got 4294967296${see("build")}`],
    ["build: 006 --issue-ts past u32 - 24 h", [...B, "--version", "006", ...ID, ...C, "--uid", "a", "--expire", "0", "--issue-ts", "4294900000"], `rtm-auth token build: --issue-ts must be at most 4294880895 for 006 (the token expires 86400 s after issue)${see("build")}`],
    ["build: 006 --issue-ts + --expire past u32", [...B, "--version", "006", ...ID, ...C, "--uid", "a", "--expire", "4000000000", "--issue-ts", "1718000000"], `rtm-auth token build: --expire too large for 006: --issue-ts + --expire must be at most 4294967295${see("build")}`],
    ["build: --salt 2^32", [...BUILD, "--salt", "4294967296"], `rtm-auth token build: --salt must be in 0..4294967295, got 4294967296${see("build")}`],
    ["build: --salt 0x10", [...BUILD, "--salt", "0x10"], `rtm-auth token build: --salt must be a non-negative decimal integer, got '0x10'${see("build")}`],
    ["build: 007 --uid over 65535 bytes", [...B, "--version", "007", ...ID, ...C, "--uid", "é".repeat(40_000), "--expire", "1"], `rtm-auth token build: --uid is 80000 bytes in UTF-8; a 007 token holds at most 65535${see("build")}`],
    ["build: unknown option", [...BUILD, "--room", "x"], `rtm-auth token build: unknown option --room${see("build")}`],
    ["build: positional", [...BUILD, "extra"], `rtm-auth token build: unexpected positional argument (this subcommand takes options only)${see("build")}`],
    ["build: option repeated", [...BUILD, "--uid", "bob"], `rtm-auth token build: option --uid given more than once${see("build")}`],
    ["build: value missing", [...BUILD, "--salt"], `rtm-auth token build: option --salt needs a value${see("build")}`],
    ["build: --json=1", [...BUILD, "--json=1"], `rtm-auth token build: option --json takes no value${see("build")}`],
    ["inspect: no TOKEN", ["token", "inspect"], `rtm-auth token inspect: missing TOKEN (give the token, or - to read it from stdin)${see("inspect")}`],
    ["inspect: unknown option", ["token", "inspect", "--certificate", CERT, TOKEN], `rtm-auth token inspect: unknown option --certificate${see("inspect")}`],
    ["verify: no TOKEN", [...V, "--json"], `rtm-auth token verify: missing TOKEN (give the token, or - to read it from stdin)${see("verify")}`],
    ["verify: two TOKENs", [...V, TOKEN, TOKEN], `rtm-auth token verify: expected one TOKEN, got 2 arguments${see("verify")}`],
    ["verify: no --app-id", ["token", "verify", ...C, "--uid", "a", TOKEN], `rtm-auth token verify: missing required option --app-id${see("verify")}`],
    ["verify: no --certificate", ["token", "verify", ...ID, "--uid", "a", TOKEN], `rtm-auth token verify: missing required option --certificate${see("verify")}`],
    ["verify: no --uid", ["token", "verify", ...ID, ...C, TOKEN], `rtm-auth token verify: missing required option --uid${see("verify")}`],
    ["verify: three certificates", [...V, "--certificate", CERT2, "--certificate", CERT, TOKEN], `rtm-auth token verify: --certificate given 3 times; at most two (primary, then secondary)${see("verify")}`],
    ["verify: bad second certificate", [...V, "--certificate", "secret", TOKEN], `rtm-auth token verify: --certificate must be 32 hexadecimal characters (value not shown)${see("verify")}`],
    ["verify: non-hex --app-id", ["token", "verify", "--app-id", "my-app", ...C, "--uid", "a", TOKEN], `rtm-auth token verify: --app-id must be 32 hexadecimal characters${see("verify")}`],
    ["verify: --now soon", [...V, "--now", "soon", TOKEN], `rtm-auth token verify: --now must be a non-negative decimal integer, got 'soon'${see("verify")}`],
    ["verify: --now too large", [...V, "--now", "99999999999999999999", TOKEN], `rtm-auth token verify: --now must be in 0..9007199254740991, got 99999999999999999999${see("verify")}`],
    ["verify: unknown option", [...V, "--slot", "primary", TOKEN], `rtm-auth token verify: unknown option --slot${see("verify")}`],
  ];
  it.each([
    ["verify", [...V, "-"], ""],
    ["verify", [...V, "--json", "-"], " \r\n\t"],
    ["inspect", ["token", "inspect", "-"], "\n"],
  ] as const)("%s: TOKEN - with an empty stdin (%j) → exit 2, not a malformed token", async (sub, args, input) => {
    expect(await rtmAuth([...args], input)).toEqual({
      code: 2,
      stdout: "",
      stderr: `rtm-auth token ${sub}: TOKEN is -, but stdin was empty (pipe the token in, e.g. echo "$TOKEN" | rtm-auth token … -)${see(sub)}`,
    });
  });

  it.each(USAGE_ERRORS)("%s → exit 2 with a one-line message", async (_name, args, stderr) => {
    expect(await rtmAuth(args)).toEqual({ code: 2, stdout: "", stderr });
  });

  it("never echoes a certificate given in the wrong place", async () => {
    const runs = await Promise.all([
      rtmAuth(["token", CERT]),
      rtmAuth([...BUILD.slice(0, -2), "--expire", CERT]),
      rtmAuth(["token", "build", `--${CERT}`]),
      rtmAuth([...V, "--now", CERT2, TOKEN]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs[0]?.stderr).toBe("rtm-auth token: unknown subcommand '<redacted>' (expected build, inspect or verify); see 'rtm-auth token --help'\n");
    expect(runs[1]?.stderr).toBe(`rtm-auth token build: --expire must be a non-negative decimal integer, got '<redacted>'${see("build")}`);
    // rtmAuth itself fails the run when any output contains a certificate.
  });
});
