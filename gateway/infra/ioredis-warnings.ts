/**
 * ioredis (5.x) prints three AUTH-related notices with `console.warn`, as plain text on standard
 * error, and has no option to turn them off: `[WARN] Redis server does not require a password,
 * but a password was supplied.`, the same for the `default` user, and `[ERROR] The server
 * returned "wrong number of arguments for 'auth' command" …`. The gateway's logs are JSON lines
 * (docs/redis.md, "Start-up failures"), so while a Redis backend is running these three notices
 * go to its logger as one `warn` entry each (`{"source":"ioredis", "msg": …}`); any other
 * `console.warn` call is passed through unchanged.
 */
import type { Logger } from "../logger.js";

/** The start of each notice ioredis prints (node_modules/ioredis/built/redis/event_handler.js). */
const NOTICES = [
  /^\[WARN\] Redis server does not require a password/,
  /^\[WARN\] This Redis server's `default` user does not require a password/,
  /^\[ERROR\] The server returned "wrong number of arguments for 'auth' command"/,
];

const loggers: Logger[] = [];
let original: typeof console.warn | undefined;

function routed(...args: unknown[]): void {
  const text = args[0];
  const logger = loggers.at(-1);
  if (logger !== undefined && args.length === 1 && typeof text === "string" && NOTICES.some((n) => n.test(text))) {
    logger.warn({ source: "ioredis" }, text.replace(/^\[(WARN|ERROR)\] /, ""));
    return;
  }
  (original ?? console.warn).apply(console, args);
}

/**
 * Sends ioredis's AUTH notices to `logger` (the last one attached, when several gateways share a
 * process) until the returned function is called; the first attach replaces `console.warn`, the
 * last detach puts it back. Detaching twice is harmless.
 */
export function routeIoredisWarnings(logger: Logger): () => void {
  if (loggers.length === 0) {
    original = console.warn;
    console.warn = routed;
  }
  loggers.push(logger);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    loggers.splice(loggers.lastIndexOf(logger), 1);
    if (loggers.length === 0 && original !== undefined) {
      if (console.warn === routed) console.warn = original;
      original = undefined;
    }
  };
}
