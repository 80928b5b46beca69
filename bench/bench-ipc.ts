/**
 * The little IPC layer of the gateway benchmark: the orchestrator forks each server and each
 * load process (`child_process.fork` of the compiled js) and talks to it with request/reply
 * messages. Children announce `{type: "ready"}` once they can take requests and exit by
 * themselves when the orchestrator goes away (IPC disconnect).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A message between the orchestrator and a child. `rid` pairs a request with its reply. */
export interface Message {
  readonly type: string;
  readonly rid?: number;
  readonly [key: string]: unknown;
}

/** A reply carrying an error instead of a result. */
interface ErrorReply extends Message {
  readonly type: "error";
  readonly message: string;
}

/** A forked benchmark process. */
export class BenchChild {
  readonly name: string;
  private readonly child: ChildProcess;
  private nextRid = 1;
  private readonly waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly listeners = new Map<string, (m: Message) => void>();
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        for (const w of this.waiting.values()) {
          clearTimeout(w.timer);
          w.reject(new Error(`${name} exited (code ${code}, signal ${signal}) before replying`));
        }
        this.waiting.clear();
        resolve(code);
      });
    });
    child.on("message", (raw) => {
      const m = raw as Message;
      if (m.rid !== undefined) {
        const w = this.waiting.get(m.rid);
        if (w === undefined) return;
        this.waiting.delete(m.rid);
        clearTimeout(w.timer);
        if (m.type === "error") w.reject(new Error(`${name}: ${(m as ErrorReply).message}`));
        else w.resolve(m);
        return;
      }
      this.listeners.get(m.type)?.(m);
    });
  }

  /**
   * Forks `module` (a path relative to this compiled file, e.g. "./gateway-bench-server.js") and
   * resolves with its `ready` message once it sent it.
   */
  static async start(name: string, module: string, args: readonly string[], execArgv: readonly string[] = [], timeoutMs = 30_000): Promise<{ child: BenchChild; ready: Message }> {
    const path = fileURLToPath(new URL(module, import.meta.url));
    const cp = fork(path, [...args], { execArgv: [...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const child = new BenchChild(name, cp);
    const ready = await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
      child.listeners.set("ready", (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      void child.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} while starting`));
      });
    });
    child.listeners.delete("ready");
    return { child, ready };
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Listens to unsolicited messages of one type (one listener per type). */
  on(type: string, fn: (m: Message) => void): void {
    this.listeners.set(type, fn);
  }

  /** Sends a request and resolves with the reply. */
  request(message: Message, timeoutMs = 60_000): Promise<Message> {
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} has exited`));
    const rid = this.nextRid++;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rid);
        reject(new Error(`${this.name}: no reply to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(rid, { resolve, reject, timer });
      this.child.send({ ...message, rid });
    });
  }

  /** Sends a message without waiting for a reply. */
  send(message: Message): void {
    if (this.exitCode === undefined && this.child.connected) this.child.send(message);
  }

  /** Asks the child to exit; kills it (by its pid, SIGKILL) if it has not within `graceMs`. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.send({ type: "exit" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** A request handler in a child: returns the reply (its `type` defaults to the request's). */
export type Handler = (m: Message) => Promise<Record<string, unknown>> | Record<string, unknown>;

/**
 * Runs the child side: answers requests with `handlers`, exits on `{type: "exit"}` (after
 * `onExit`) and when the parent goes away. Sends `ready` (with `info`) at once.
 */
export function serveChild(handlers: Readonly<Record<string, Handler>>, info: Record<string, unknown>, onExit: () => Promise<void> | void = () => {}): void {
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.error("this file is a child process of the gateway benchmark; run dist/bench/gateway-bench.js");
    process.exit(2);
  }
  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    try {
      await onExit();
    } finally {
      process.disconnect?.();
      process.exit(code);
    }
  };
  process.on("disconnect", () => void exit(0));
  process.on("message", (raw) => {
    const m = raw as Message;
    if (m.type === "exit") {
      void exit(0);
      return;
    }
    const handler = handlers[m.type];
    if (handler === undefined) {
      send({ type: "error", rid: m.rid, message: `unknown request ${m.type}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(m))
      .then(
        (reply) => send({ type: m.type, ...reply, rid: m.rid }),
        (err: unknown) => send({ type: "error", rid: m.rid, message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  send({ type: "ready", ...info });
}

/** Sends an unsolicited message to the parent (no-op outside a child). */
export function notifyParent(message: Message): void {
  process.send?.(message);
}
