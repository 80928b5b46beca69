/**
 * `rtm-auth token build|inspect|verify` (docs/protocol.md, "Command line"). Exit 0 on success, 1 on a
 * negative answer (invalid or undecodable token), 2 on a usage error with a one-line message
 * on stderr. No output ever contains a certificate.
 */
import { EXIT, type CliIo } from "./cli-io.js";
import { readProcessStdin, redact, TokenUsageError, wantsHelp, type TokenCommandEnv } from "./token-args.js";
import { BUILD_USAGE, runTokenBuild } from "./token-build.js";
import { INSPECT_USAGE, runTokenInspect } from "./token-inspect.js";
import { runTokenVerify, VERIFY_USAGE } from "./token-verify.js";

export const TOKEN_USAGE = `Usage: rtm-auth token <subcommand> [options]

Subcommands:
  build     build an RTM login token (006 or 007)
  inspect   decode a token and print its fields, without verifying it
  verify    verify a token for an RTM login, as the gateway does

Every subcommand takes --json and --help. Run \`rtm-auth token <subcommand> --help\` for its options.
Exit status: 0 success, 1 negative answer (invalid or undecodable token), 2 usage error.
`;

type Subcommand = (args: string[], io: CliIo, env: TokenCommandEnv) => Promise<number>;

const SUBCOMMANDS: Readonly<Record<string, { run: Subcommand; usage: string }>> = {
  build: { run: runTokenBuild, usage: BUILD_USAGE },
  inspect: { run: runTokenInspect, usage: INSPECT_USAGE },
  verify: { run: runTokenVerify, usage: VERIFY_USAGE },
};

/** The system clock, stdin and CSPRNG: the gateway side may read them (core may not). */
export const SYSTEM_TOKEN_ENV: TokenCommandEnv = {
  nowSeconds: () => Math.floor(Date.now() / 1000),
  readStdin: readProcessStdin,
  // node:crypto is loaded on use: help and usage errors stay cheap.
  randomInt: async (min, maxExclusive) => (await import("node:crypto")).randomInt(min, maxExclusive),
};

/** `rtm-auth token …`. `env` replaces the clock, stdin and random source (for in-process use). */
export async function runTokenCommand(args: string[], io: CliIo, env: TokenCommandEnv = SYSTEM_TOKEN_ENV): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.err("rtm-auth token: missing subcommand (build, inspect or verify); see 'rtm-auth token --help'\n");
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" && rest[0] !== undefined ? SUBCOMMANDS[rest[0]] : undefined;
    io.out(topic ? topic.usage : TOKEN_USAGE);
    return EXIT.ok;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) {
    io.err(redact(`rtm-auth token: unknown subcommand '${name}' (expected build, inspect or verify); see 'rtm-auth token --help'\n`));
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    io.out(sub.usage);
    return EXIT.ok;
  }
  try {
    return await sub.run(rest, io, env);
  } catch (err) {
    if (!(err instanceof TokenUsageError)) throw err;
    io.err(redact(`rtm-auth token ${name}: ${err.message}; see 'rtm-auth token ${name} --help'\n`));
    return EXIT.usage;
  }
}
