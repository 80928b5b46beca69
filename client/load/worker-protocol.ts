/** The messages between the load driver (main thread) and its worker threads. */
import type { IntervalReport, PhaseSpec } from "./load-engine.js";

/** Driver → worker. */
export type DriverMessage =
  | { readonly type: "prepare"; readonly phase: PhaseSpec; readonly cap: number }
  | { readonly type: "run"; readonly phase: PhaseSpec; readonly startAt: number }
  | { readonly type: "stop" }
  | { readonly type: "exit" };

/** Worker → driver. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "prepared"; readonly ready: number }
  | { readonly type: "interval"; readonly report: IntervalReport }
  | { readonly type: "error"; readonly message: string };
