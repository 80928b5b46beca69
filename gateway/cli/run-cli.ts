/**
 * The `rtm-auth` command line as a function (docs/protocol.md, "Command line"): what bin/rtm-auth.js
 * runs (through main.ts), and what tests call in-process. Every subcommand has `--help` and
 * `--json`; the result is the exit status: 0 on success, 1 on a negative answer, 2 on a usage error.
 */
import { runTokenCommand } from "./token-command.js";
import { EXIT, type CliIo } from "./cli-io.js";
import type { TokenCommandEnv } from "./token-args.js";

export const CLI_USAGE = `Usage: rtm-auth <command> [options]

Commands:
  token build|inspect|verify   build, decode or verify Agora 006/007 RTM tokens
  serve                        start the gateway (what \`npm start\` runs)
  login                        log in once against a gateway and print the events
  load                         load-test logins: virtual users, outcomes by reason and code, latency
  migrate status|plan|advance|pause|resume|rollback|abort|rehearse
                               a project's staged rollout on a running gateway (docs/rollouts.md)
  admin-token                  mint a bearer JWT for an admin API started with ADMIN_JWT_SECRET

Run \`rtm-auth <command> --help\` for a command's options.
`;

type Command = (args: string[], io: CliIo) => Promise<number>;

/** What an in-process caller may replace; the process's own by default. */
export interface CliOptions {
  /** The clock, stdin and random source of `rtm-auth token`. */
  readonly token?: TokenCommandEnv;
}

function commands(options: CliOptions): Record<string, () => Promise<Command>> {
  return {
    token: async () => (options.token === undefined ? runTokenCommand : (args, io) => runTokenCommand(args, io, options.token)),
    serve: async () => (await import("./serve-command.js")).runServeCommand,
    login: async () => (await import("./login-command.js")).runLoginCommand,
    load: async () => (await import("./load-command.js")).runLoadCommand,
    migrate: async () => (await import("./migrate-command.js")).runMigrateCommand,
    "admin-token": async () => (await import("./admin-token-command.js")).runAdminTokenCommand,
  };
}

/**
 * Runs `rtm-auth ARGV…` writing to `io` and resolves to the exit status, or {@link EXIT.running}
 * when `serve` started a server. Never rejects: an unexpected error is printed as
 * `rtm-auth: MESSAGE` and is a usage error (2).
 */
export async function runCli(argv: readonly string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.out(CLI_USAGE);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    const load = commands(options)[name];
    if (!load) {
      io.err(`rtm-auth: unknown command '${name}'\n\n${CLI_USAGE}`);
      return EXIT.usage;
    }
    return await (await load())(rest, io);
  } catch (err) {
    io.err(`rtm-auth: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.usage;
  }
}
