import { EXIT, type CliIo } from "./cli-io.js";

/** `rtm-auth token build|inspect|verify`. */
export async function runTokenCommand(_args: string[], io: CliIo): Promise<number> {
  io.err("rtm-auth token: not written yet\n");
  return EXIT.usage;
}
