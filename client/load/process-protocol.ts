/**
 * The messages between `rtm-auth load --processes N` (the parent, process-hosts.ts) and each of
 * its child processes (load-process.ts), over the child's IPC channel. A child hosts several
 * engines; `engine` is the engine's index within that child.
 */
import type { EngineOptions, IntervalReport, PhaseSpec } from "./load-engine.js";

/** Parent → child. */
export type ParentMessage =
  /** The child's engines (their options, tokens' certificate included: sent over IPC, never on a command line); `threads`: one worker thread each, else the one engine on the child's main thread. */
  | { readonly type: "start"; readonly engines: readonly EngineOptions[]; readonly threads: boolean }
  | { readonly type: "prepare"; readonly engine: number; readonly phase: PhaseSpec; readonly cap: number }
  | { readonly type: "run"; readonly engine: number; readonly phase: PhaseSpec; readonly startAt: number }
  | { readonly type: "stop"; readonly engine: number }
  /** Asks for the child's CPU time so far (all its threads). */
  | { readonly type: "cpu" }
  | { readonly type: "exit" };

/** Child → parent. */
export type ChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "prepared"; readonly engine: number; readonly ready: number }
  | { readonly type: "interval"; readonly engine: number; readonly report: IntervalReport }
  /** An engine's prepare or run failed; the run cannot be completed. */
  | { readonly type: "failed"; readonly engine: number; readonly message: string }
  /** CPU time so far, microseconds. */
  | { readonly type: "cpu"; readonly us: number }
  /** The child could not start its engines. */
  | { readonly type: "error"; readonly message: string };
