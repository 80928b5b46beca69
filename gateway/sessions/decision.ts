/**
 * A decision of the gateway, as the metrics and the journal see it: the shape the journal serves
 * lives in core/protocol/admin.ts; this file adds what only the gateway holds, and the observer type.
 */
import type { Decision as DecisionView } from "../../core/protocol/admin.js";
import type { ParsedToken } from "../../core/token/parsed-token.js";

/**
 * One decision as observers receive it: the served shape. The decoded token of a login or renew
 * goes alongside it (see {@link DecisionObserver}), so that the decision itself can be kept as it
 * is (the journal keeps it, no copy) while no token is ever kept.
 */
export type Decision = DecisionView;

/**
 * Receives every decision; must be cheap and must not throw. `decodedToken` is the login's or
 * renew's decoded token (verified or not), null or absent when there was none: the journal derives its
 * `tokenId` from it (docs/tokens.md, "Token identity"). It is a reference the session manager
 * already holds (no cost when unused); an observer must not keep it, log it or send it anywhere.
 */
export type DecisionObserver = (d: Decision, decodedToken?: ParsedToken | null) => void;
