/**
 * A child process of `rtm-auth load --processes N` (forked by process-hosts.ts): it hosts its
 * share of the run's engines, each on a worker thread or the one on its main thread, and relays
 * the parent's messages to them and their interval reports back (process-protocol.ts). Sockets
 * are per process, so N children hold N times one process's open-file limit.
 *
 * It exits when the parent sends `exit` or goes away (its IPC channel closes): it never outlives
 * the run.
 */
import { inlineHost, workerHost, type EngineHost } from "./load-driver.js";
import type { ChildMessage, ParentMessage } from "./process-protocol.js";

if (process.send === undefined) {
  process.stderr.write("load-process.js is a child process of `rtm-auth load --processes`: it runs only when forked with an IPC channel\n");
  process.exit(2);
}

const post = (m: ChildMessage): void => {
  process.send?.(m);
};
let hosts: EngineHost[] = [];
let exiting = false;

/** Closes the engines (bounded) and exits. */
async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  const all = Promise.all(hosts.map((h) => h.close())).catch(() => {});
  await Promise.race([all, new Promise((r) => setTimeout(r, 2_000).unref())]);
  process.exit(code);
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function host(engine: number): EngineHost | null {
  const h = hosts[engine];
  if (h === undefined) post({ type: "failed", engine, message: `no engine ${engine} in this process` });
  return h ?? null;
}

process.on("message", (m: ParentMessage) => {
  switch (m.type) {
    case "start":
      void (async () => {
        const started: EngineHost[] = [];
        try {
          if (!m.threads) started.push(inlineHost(m.engines[0]!));
          else for (const options of m.engines) started.push(await workerHost(options));
          hosts = started;
          post({ type: "ready" });
        } catch (err) {
          hosts = started;
          post({ type: "error", message: message(err) });
        }
      })();
      return;
    case "prepare": {
      const h = host(m.engine);
      h?.prepare(m.phase, m.cap).then(
        (ready) => post({ type: "prepared", engine: m.engine, ready }),
        (err: unknown) => post({ type: "failed", engine: m.engine, message: message(err) }),
      );
      return;
    }
    case "run": {
      const h = host(m.engine);
      h?.run(m.phase, m.startAt, (report) => post({ type: "interval", engine: m.engine, report })).catch((err: unknown) => post({ type: "failed", engine: m.engine, message: message(err) }));
      return;
    }
    case "stop":
      hosts[m.engine]?.stop();
      return;
    case "cpu": {
      const c = process.cpuUsage();
      post({ type: "cpu", us: c.user + c.system });
      return;
    }
    case "exit":
      void exit(0);
      return;
  }
});
// The parent went away (ended, or killed): nothing is left to report to.
process.on("disconnect", () => void exit(0));
// Ctrl-C on a terminal reaches the whole process group: the parent ends the arrivals and drains
// (its SIGINT handler), then tells this child to exit.
process.on("SIGINT", () => {});
