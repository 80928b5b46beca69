/**
 * The `rtm-auth` command line (docs/protocol.md, "Command line"). Every subcommand has `--help` and
 * `--json`; exit 0 on success, 1 on a negative answer, 2 on a usage error.
 */
import { runTokenCommand } from "./token-command.js";
import { EXIT, type CliIo } from "./cli-io.js";

const USAGE = `Usage: rtm-auth <command> [options]

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

const COMMANDS: Record<string, () => Promise<Command>> = {
  token: async () => runTokenCommand,
  serve: async () => (await import("./serve-command.js")).runServeCommand,
  login: async () => (await import("./login-command.js")).runLoginCommand,
  load: async () => (await import("./load-command.js")).runLoadCommand,
  migrate: async () => (await import("./migrate-command.js")).runMigrateCommand,
  "admin-token": async () => (await import("./admin-token-command.js")).runAdminTokenCommand,
};

async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(`rtm-auth: unknown command '${name}'\n\n${USAGE}`);
    return EXIT.usage;
  }
  return (await load())(rest, io);
}

const io: CliIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

main(process.argv.slice(2), io).then(
  (code) => {
    // `serve` keeps the process alive through its server; every other command ends here.
    if (code !== EXIT.running) process.exitCode = code;
  },
  (err: unknown) => {
    io.err(`rtm-auth: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.usage;
  },
);
