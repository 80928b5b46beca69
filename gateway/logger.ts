import { pino, type Logger as PinoLogger } from "pino";

/** The gateway's structured logger (pino). Certificates and tokens are redacted by path as a second line of defence. */
export type Logger = PinoLogger;

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = ["token", "*.token", "certificate", "*.certificate", "value", "*.value", "primary.value", "secondary.value", "authorization", "*.authorization"];

/** Creates the process logger. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { service: "rtm-auth-gateway" } };
  return destination === undefined ? pino(options) : pino(options, destination as unknown as pino.DestinationStream);
}
