/**
 * The fidelity presets (docs/fidelity.md): one setting, `FIDELITY=documented|observed`, gives every
 * behaviour switch its value; a switch set on its own still wins. `documented` follows the
 * written rules (the token and protocol rules in docs/, which follow Agora's documentation where it
 * is clear); `observed` does what Agora's service and SDKs were seen to do in public reports and
 * shipped SDK code. The table here is the one in docs/fidelity.md, row for row.
 */

/** The presets, in the order the docs list them. */
export const FIDELITY_PRESETS = ["documented", "observed"] as const;
export type Fidelity = (typeof FIDELITY_PRESETS)[number];

/** Every behaviour switch a preset sets. Each has its environment variable in gateway/config.ts. */
export interface BehaviourSwitches {
  /**
   * Order of the token checks [CHECK_ORDER]. `spec`: signature and uid binding before expiry.
   * `legacy`: a token that fails its signature, uid binding or RTM grant reports its expiry
   * first when its token or 006/007 privilege time has passed (AgoraIO/Tools #234).
   */
  readonly checkOrder: "spec" | "legacy";
  /**
   * The 006 RTM privilege time [PRIVILEGE_006]. `enforce`: a passed privilege refuses the token
   * (`privilege_expired`). `ignore`: only the token's 24-hour `ts` limits a correctly signed 006
   * token (Agora's 006 RTM documentation; AgoraIO/Tools #265).
   */
  readonly privilege006: "enforce" | "ignore";
  /**
   * Accept a 006 token without the RTM login privilege that carries the RTC join privilege (1),
   * when its channel is the login account and its uid slot is empty [ACCEPT_006_RTC_AS_RTM]: the
   * MAC input is then exactly an RTM token's (AgoraIO/RTM #128, #129). The join privilege's time
   * stands in for the RTM privilege's. A token whose channel differs from the account is never
   * accepted this way.
   */
  readonly accept006RtcAsRtm: boolean;
  /** Refuse uids with a leading space (the C++ 1.x header) [UID_REFUSE_LEADING_SPACE]. */
  readonly uidRefuseLeadingSpace: boolean;
  /** For rtm2 sessions, the Web 2.3.0 uid validator: no leading `_`, no `.` [UID_WEB2_VALIDATOR]. */
  readonly uidWeb2Validator: boolean;
  /**
   * RTM 1.x: milliseconds a `login` must follow the connection's previous `login` by, or it is
   * `too_often` (Web 1.6.0 checks 500 ms locally) [RTM1_LOGIN_SPACING_MS]. `0` = no spacing rule,
   * only the per-second window.
   */
  readonly rtm1LoginSpacingMs: number;
}

/** The switch names, in table order. */
export const BEHAVIOUR_SWITCHES = ["checkOrder", "privilege006", "accept006RtcAsRtm", "uidRefuseLeadingSpace", "uidWeb2Validator", "rtm1LoginSpacingMs"] as const satisfies ReadonlyArray<keyof BehaviourSwitches>;

/** The table of switches × presets (docs/fidelity.md). */
export const PRESETS: Readonly<Record<Fidelity, BehaviourSwitches>> = Object.freeze({
  documented: Object.freeze({
    checkOrder: "spec",
    privilege006: "enforce",
    accept006RtcAsRtm: false,
    uidRefuseLeadingSpace: false,
    uidWeb2Validator: false,
    rtm1LoginSpacingMs: 0,
  }),
  observed: Object.freeze({
    checkOrder: "legacy",
    privilege006: "ignore",
    accept006RtcAsRtm: true,
    uidRefuseLeadingSpace: false,
    uidWeb2Validator: true,
    rtm1LoginSpacingMs: 500,
  }),
});

/**
 * The effective switches: the preset's values, each replaced by the one given on its own.
 * `given` fields that are `undefined` mean "unset, from the preset".
 */
export function resolveSwitches(fidelity: Fidelity, given: Partial<BehaviourSwitches> = {}): BehaviourSwitches {
  const preset = PRESETS[fidelity];
  return {
    checkOrder: given.checkOrder ?? preset.checkOrder,
    privilege006: given.privilege006 ?? preset.privilege006,
    accept006RtcAsRtm: given.accept006RtcAsRtm ?? preset.accept006RtcAsRtm,
    uidRefuseLeadingSpace: given.uidRefuseLeadingSpace ?? preset.uidRefuseLeadingSpace,
    uidWeb2Validator: given.uidWeb2Validator ?? preset.uidWeb2Validator,
    rtm1LoginSpacingMs: given.rtm1LoginSpacingMs ?? preset.rtm1LoginSpacingMs,
  };
}
