/**
 * The compat modules answer every row of the login matrix (test/support/login-matrix-table.ts, the
 * table test/integration/login-matrix.test.ts runs through the client SDK) exactly as the client SDK
 * does: the same outcome, code, code name and reason, and the same state events in the same order.
 * Both run against one gateway, row by row; the row's expected code is asserted too, so two empty
 * answers cannot pass as equal.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRtmError } from "../../client/rtm-error.js";
import type { Profile } from "../../core/protocol/wire.js";
import AgoraRTM1, { AgoraRtmError } from "../../compat/agora-rtm-sdk.js";
import AgoraRTM2, { RTMBaseError } from "../../compat/agora-rtm.js";
import { connectRtmEmulator, resetRtmEmulator } from "../../compat/emulator.js";
import { startHarness, type Harness } from "../support/gateway-harness.js";
import { LOGIN_MATRIX, rowAppId, type LoginMatrixRow } from "../support/login-matrix-table.js";
import { recordedClient, settle } from "../support/recorder.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  connectRtmEmulator(h.gateway.url);
});
afterAll(async () => {
  resetRtmEmulator();
  await h.close();
});

/** What one login showed: its outcome and the state events, in the recorder's notation. */
interface Seen {
  outcome: "ok" | { code: number; name: string; reason: string };
  states: string[];
}

async function throughClientSdk(row: LoginMatrixRow, profile: Profile, token: string | null | undefined): Promise<Seen> {
  const r = recordedClient(h.gateway.url, rowAppId(row), profile);
  try {
    let outcome: Seen["outcome"] = "ok";
    try {
      await r.client.login({ uid: row.uid, token });
    } catch (error) {
      if (!isRtmError(error)) throw error;
      outcome = { code: error.code, name: error.name, reason: error.reason };
    }
    await settle(10);
    const states = r.states();
    if (outcome === "ok") await r.client.logout();
    return { outcome, states };
  } finally {
    await r.client.close();
  }
}

async function throughRtm1Compat(row: LoginMatrixRow, token: string | null | undefined): Promise<Seen> {
  const client = AgoraRTM1.createInstance(rowAppId(row));
  const states: string[] = [];
  client.on("ConnectionStateChanged", (state, reason) => states.push(`${state}/${reason}`));
  let outcome: Seen["outcome"] = "ok";
  try {
    await client.login({ uid: row.uid, token: token as string | undefined });
  } catch (error) {
    if (!(error instanceof AgoraRtmError)) throw error;
    outcome = { code: error.code, name: error.codeName, reason: error.gatewayReason };
  }
  await settle(10);
  const seen = [...states];
  if (outcome === "ok") await client.logout();
  return { outcome, states: seen };
}

async function throughRtm2Compat(row: LoginMatrixRow, token: string | null | undefined): Promise<Seen> {
  const client = new AgoraRTM2.RTM(rowAppId(row), row.uid);
  const states: string[] = [];
  client.addEventListener("linkState", (e) => states.push(`${e.previousState}>${e.currentState}/${e.operation}/${e.reasonCode}`));
  let outcome: Seen["outcome"] = "ok";
  try {
    await client.login({ token: token as string | undefined });
  } catch (error) {
    if (!(error instanceof RTMBaseError)) throw error;
    outcome = { code: error.errorCode, name: error.codeName ?? "", reason: error.gatewayReason ?? "" };
  }
  await settle(10);
  const seen = [...states];
  if (outcome === "ok") await client.logout();
  return { outcome, states: seen };
}

describe.each(["rtm1", "rtm2"] as Profile[])("login matrix through the compat module, profile %s", (profile) => {
  it.each(LOGIN_MATRIX.map((r) => [r.situation, r] as const))("%s", async (_s, row) => {
    // One token for both logins: a row's token may be minted fresh each call (salt), the answer must not depend on it.
    const token = row.token(h);
    const own = await throughClientSdk(row, profile, token);
    const compat = profile === "rtm1" ? await throughRtm1Compat(row, token) : await throughRtm2Compat(row, token);
    expect(compat).toEqual(own);
    const expected = profile === "rtm1" ? row.rtm1 : row.rtm2;
    expect(compat.outcome).toEqual(expected === "ok" ? "ok" : { ...expected, reason: row.reason });
    if (expected === "ok") expect(compat.states).toHaveLength(2); // connecting, then connected
  });
});
