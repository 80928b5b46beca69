/**
 * A worker thread of the load generator: hosts one {@link LoadEngine} and answers the driver's
 * messages (load-driver.ts). Started with the engine's options as `workerData`; exits when the
 * driver sends `exit` or goes away.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LoadEngine, type EngineOptions } from "./load-engine.js";
import type { DriverMessage, WorkerMessage } from "./worker-protocol.js";

const port = parentPort;
if (port === null) throw new Error("load-worker.js runs as a worker thread of the load generator");
const engine = new LoadEngine(workerData as EngineOptions);
const post = (m: WorkerMessage): void => port.postMessage(m);

port.on("message", (m: DriverMessage) => {
  switch (m.type) {
    case "prepare":
      engine.prepare(m.phase, m.cap).then(
        (ready) => post({ type: "prepared", ready }),
        (err: unknown) => post({ type: "error", message: (err as Error).message }),
      );
      return;
    case "run":
      engine.run(m.phase, m.startAt, (report) => post({ type: "interval", report })).catch((err: unknown) => post({ type: "error", message: (err as Error).message }));
      return;
    case "stop":
      engine.stop();
      return;
    case "exit":
      port.close();
      return;
  }
});
post({ type: "ready" });
