/**
 * The settings the auth checks run with, built once from the config: the behaviour switches
 * (already resolved against the FIDELITY preset by gateway/config.ts; docs/fidelity.md), the uid
 * quirks and the token limits. Shared by every decision and by explain.
 */
import { DEFAULT_UID_QUIRKS } from "../../core/session/uid-rules.js";
import type { PolicySettings } from "../../policies/index.js";
import type { GatewayConfig } from "../config.js";

/** The frozen policy settings of `config`. */
export function policySettings(config: GatewayConfig): PolicySettings {
  return Object.freeze({
    checkOrder: config.checkOrder,
    privilege006: config.privilege006,
    accept006RtcAsRtm: config.accept006RtcAsRtm,
    rtm1LoginSpacingMs: config.rtm1LoginSpacingMs,
    uidQuirks: Object.freeze({ ...DEFAULT_UID_QUIRKS, refuseLeadingSpace: config.uidRefuseLeadingSpace, web2Validator: config.uidWeb2Validator }),
    tokenLimits: Object.freeze({ maxTokenLength: config.maxTokenLength, maxInflatedBytes: config.maxInflatedBytes }),
    maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
  });
}
