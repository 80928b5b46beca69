import { EXIT, type CliIo } from "./cli-io.js";

/** `rtm-auth serve`: starts the gateway. (Being written in the gateway issue.) */
export async function runServeCommand(_args: string[], io: CliIo): Promise<number> {
  io.err("rtm-auth serve: the gateway is not built yet\n");
  return EXIT.usage;
}
