/**
 * A decision of the gateway, as the metrics and the journal see it: the shape the journal serves
 * lives in core/protocol/admin.ts; this file adds what only the gateway holds, and the observer type.
 */
import type { Decision as DecisionView } from "../../core/protocol/admin.js";
import type { ParsedToken } from "../../core/token/parsed-token.js";

/**
 * One decision as observers receive it: the served shape, plus the decoded token of a login or
 * renew so the journal can derive its `tokenId` (docs/tokens.md, "Token identity"). The decoded
 * token is a reference the session manager already holds (no cost when unused); an observer must
 * not keep it, log it or send it anywhere.
 */
export interface Decision extends DecisionView {
  /** The login's or renew's decoded token (verified or not); null or absent when there was none. */
  readonly decodedToken?: ParsedToken | null;
}

/** Receives every decision; must be cheap and must not throw. */
export type DecisionObserver = (d: Decision) => void;
