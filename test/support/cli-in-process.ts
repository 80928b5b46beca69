/**
 * `rtm-auth ARGS` run in the test process (gateway/cli/run-cli.ts), for the many cases that check
 * what a command prints and its exit status: the same code the spawned `bin/rtm-auth.js` runs,
 * without a Node start-up per case (a large part of a second of CPU each on a small machine). A few
 * cases per file still spawn the real command, for what only a process shows: the exit status as
 * the shell sees it, stdin, the environment.
 */
import { runCli } from "../../gateway/cli/run-cli.js";
import { SYSTEM_TOKEN_ENV } from "../../gateway/cli/token-command.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rtm-auth ARGS` in-process; `stdin` is what `rtm-auth token … -` reads. */
export async function cliInProcess(args: readonly string[], stdin = ""): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io = { out: (s: string) => void (stdout += s), err: (s: string) => void (stderr += s) };
  const code = await runCli(args, io, { token: { ...SYSTEM_TOKEN_ENV, readStdin: async () => stdin } });
  return { code, stdout, stderr };
}
