/**
 * The 2.x payloads made from the gateway's linkState events (docs/compat.md, "Events"): the
 * linkState fields, and every row of the status table, including those a flow test cannot reach in
 * reasonable time (a login timeout) or that need a kick.
 */
import { expect, it } from "vitest";
import { RTM2_REASON, type LinkStateEvent, type Rtm2Operation, type Rtm2Reason, type Rtm2State } from "../../core/protocol/wire.js";
import { toLinkStateEvent, toStatusEvent } from "../../compat/rtm2-events.js";

const wire = (previousState: Rtm2State, currentState: Rtm2State, operation: Rtm2Operation, reason: Rtm2Reason): LinkStateEvent => ({
  event: "linkState",
  previousState,
  currentState,
  operation,
  reason,
  reasonCode: RTM2_REASON[reason],
});

it("linkState: the gateway's states and operation, the reason's name as reasonCode and its description as reason", () => {
  expect(toLinkStateEvent(wire("CONNECTED", "FAILED", "SERVER_REJECT", "KICKED_OUT_BY_SERVER"), 1234)).toEqual({
    timestamp: 1234,
    currentState: "FAILED",
    previousState: "CONNECTED",
    serviceType: "MESSAGE",
    operation: "SERVER_REJECT",
    reason: "Kicked out by server",
    reasonCode: "KICKED_OUT_BY_SERVER",
    affectedChannels: [],
    unrestoredChannels: [],
    isResumed: false,
  });
  // A reason this version does not know (a newer gateway's) is UNKNOWN.
  const unknown = { ...wire("CONNECTED", "FAILED", "SERVER_REJECT", "UNKNOWN"), reason: "SOMETHING_NEW" } as unknown as LinkStateEvent;
  expect(toLinkStateEvent(unknown, 0)).toMatchObject({ reasonCode: "UNKNOWN", reason: "Unknown" });
});

it.each([
  [wire("IDLE", "CONNECTING", "LOGIN", "LOGIN"), "CONNECTING/CONNECTING"],
  [wire("FAILED", "CONNECTING", "LOGIN", "RELOGIN"), "CONNECTING/CONNECTING"],
  [wire("CONNECTING", "CONNECTED", "LOGIN", "LOGIN_SUCCESS"), "CONNECTED/LOGIN_SUCCESS"],
  [wire("CONNECTING", "FAILED", "LOGIN", "LOGIN_TIMEOUT"), "DISCONNECTED/LOST"],
  [wire("CONNECTING", "FAILED", "LOGIN", "TOKEN_EXPIRED"), "DISCONNECTED/TOKEN_EXPIRED"],
  [wire("CONNECTING", "FAILED", "LOGIN", "INVALID_TOKEN"), "DISCONNECTED/REJECTED_BY_SERVER"],
  [wire("CONNECTING", "FAILED", "LOGIN", "LOGIN_REJECTED"), "DISCONNECTED/REJECTED_BY_SERVER"],
  [wire("IDLE", "FAILED", "LOGIN", "INVALID_USER_ID"), null],
  [wire("CONNECTED", "IDLE", "LOGOUT", "LOGOUT"), "DISCONNECTED/LOGOUT"],
  [wire("FAILED", "IDLE", "LOGOUT", "LOGOUT"), "DISCONNECTED/LOGOUT"],
  [wire("CONNECTED", "FAILED", "SERVER_REJECT", "SAME_UID_LOGIN"), "FAILED/SAME_UID_LOGIN"],
  [wire("CONNECTED", "FAILED", "SERVER_REJECT", "TOKEN_EXPIRED"), "FAILED/TOKEN_EXPIRED"],
  [wire("CONNECTED", "FAILED", "SERVER_REJECT", "KICKED_OUT_BY_SERVER"), "FAILED/INTERRUPTED"],
  [wire("CONNECTED", "FAILED", "SERVER_REJECT", "UNKNOWN"), "FAILED/INTERRUPTED"],
  [wire("CONNECTED", "DISCONNECTED", "SERVER_TIMEOUT", "UNKNOWN"), null],
] as const)("status for %o is %s", (event, expected) => {
  const status = toStatusEvent(event, 99);
  expect(status === null ? null : `${status.state}/${status.reason}`).toBe(expected);
  if (status !== null) expect(status.timestamp).toBe(99);
});
