/**
 * A decision of the gateway, as the metrics and the journal see it: the shape lives in
 * core/protocol/admin.ts (the journal serves it); the observer type is the gateway's.
 */
import type { Decision } from "../../core/protocol/admin.js";

export type { Decision };

/** Receives every decision; must be cheap and must not throw. */
export type DecisionObserver = (d: Decision) => void;
