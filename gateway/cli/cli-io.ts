import { parseArgs, type ParseArgsConfig } from "node:util";

/** Where a command writes; injected so commands can be run in-process too. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes (docs/protocol.md, "Exit codes"). `running` is internal: a server was started. */
export const EXIT = { ok: 0, negative: 1, usage: 2, running: -1 } as const;

/**
 * The end of every usage error of `rtm-auth COMMAND`: `; see 'rtm-auth COMMAND --help'` and a
 * newline, so the last thing a user reads is where the options are explained. `command` is the
 * command as typed after `rtm-auth`, e.g. `load` or `migrate rehearse`.
 */
export function helpPointer(command: string): string {
  return `; see 'rtm-auth ${command} --help'\n`;
}

/**
 * Writes a usage error of `rtm-auth COMMAND` to stderr as one line,
 * `rtm-auth COMMAND: MESSAGE; see 'rtm-auth COMMAND --help'`, and returns {@link EXIT.usage} (2).
 * `message` must not hold a secret: it is printed as is (a trailing period or newline is dropped).
 */
export function usageError(io: CliIo, command: string, message: string): number {
  io.err(`rtm-auth ${command}: ${message.replace(/[.\s]+$/, "")}${helpPointer(command)}`);
  return EXIT.usage;
}

/**
 * `args` with each string option followed by a negative number, with or without a unit, joined to
 * it (`--processes -1` → `--processes=-1`, `--step -5m` → `--step=-5m`). `parseArgs` refuses the
 * spaced form as "argument is ambiguous" (a value that starts with a dash could be an option);
 * joined, the value reaches the option's own check, whose message says what is allowed. No option
 * of ours starts with a digit, so nothing else can match. Anything else is left as it is.
 */
export function joinNegativeValues(args: readonly string[], options: Readonly<Record<string, { readonly type: "string" | "boolean" }>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next !== undefined && /^-\d+(\.\d+)?[A-Za-z%]*$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * `node:util`'s `parseArgs`, for every `rtm-auth` command: a string option followed by a negative
 * number takes it as its value ({@link joinNegativeValues}), so `--port -1` reaches the option's
 * own range check instead of failing as "ambiguous". Throws what `parseArgs` throws.
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  // The same config with only `args` rewritten: the parsed shape is the one T describes.
  if (config.args === undefined) return parseArgs(config);
  return parseArgs({ ...config, args: joinNegativeValues(config.args, config.options ?? {}) }) as ReturnType<typeof parseArgs<T>>;
}

/**
 * The first sentence of a `node:util` `parseArgs` error, e.g. `Unknown option '--bogus'` (Node
 * goes on with advice about positionals that only adds noise before the help pointer).
 */
export function parseArgsMessage(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
  const end = line.indexOf(". ");
  return (end < 0 ? line : line.slice(0, end)).replace(/\.$/, "");
}
