/**
 * The `rtm-auth` process (docs/protocol.md, "Command line"): {@link runCli} on the process's
 * arguments, stdout and stderr, its result as the exit status.
 */
import { EXIT, type CliIo } from "./cli-io.js";
import { runCli } from "./run-cli.js";

const io: CliIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

void runCli(process.argv.slice(2), io).then((code) => {
  // `serve` keeps the process alive through its server; every other command ends here.
  if (code !== EXIT.running) process.exitCode = code;
});
