/** The threshold grammar of `rtm-auth load --threshold` (client/load/threshold.ts): parsing and evaluation. */
import { describe, expect, it } from "vitest";
import { LoadOptionError } from "../../../../client/load/mix.js";
import { evaluateThreshold, parseThreshold, type ThresholdInputs } from "../../../../client/load/threshold.js";

describe("parseThreshold", () => {
  it.each([
    ["p99<50ms", { kind: "latency", of: "login", stat: "p99" }, "<", 50, false],
    ["p50 <= 2", { kind: "latency", of: "login", stat: "p50" }, "<=", 2, false],
    ["max<1.5s", { kind: "latency", of: "login", stat: "max" }, "<", 1500, false],
    ["p90<250us", { kind: "latency", of: "login", stat: "p90" }, "<", 0.25, false],
    ["renew.p99<20ms", { kind: "latency", of: "renew", stat: "p99" }, "<", 20, false],
    ["connect.max<=100", { kind: "latency", of: "connect", stat: "max" }, "<=", 100, false],
    ["login.p99<10ms", { kind: "latency", of: "login", stat: "p99" }, "<", 10, false],
    ["rate>=950", { kind: "rate" }, ">=", 950, false],
    ["rate>=950/s", { kind: "rate" }, ">=", 950, false],
    ["unexpected==0", { kind: "all", count: "unexpected" }, "==", 0, false],
    ["errors<1%", { kind: "all", count: "errors" }, "<", 1, true],
    ["accepted>100", { kind: "count", of: "login", count: "accepted" }, ">", 100, false],
    ["login.errors==0", { kind: "count", of: "login", count: "errors" }, "==", 0, false],
    ["renew.refused!=0", { kind: "count", of: "renew", count: "refused" }, "!=", 0, false],
    ["refused<=5%", { kind: "count", of: "login", count: "refused" }, "<=", 5, true],
    ["refused{invalid_signature}>0", { kind: "refusedReason", reason: "invalid_signature" }, ">", 0, false],
    ["  attempts >= 10  ", { kind: "count", of: "login", count: "attempts" }, ">=", 10, false],
  ] as const)("%s", (text, metric, op, value, percent) => {
    expect(parseThreshold(text)).toEqual({ text: text.trim(), metric, op, value, percent });
  });

  it.each([
    ["p99<<5", /expected METRIC OP NUMBER/],
    ["p99", /expected METRIC OP NUMBER/],
    ["p99<", /expected METRIC OP NUMBER/],
    ["p99=5", /expected METRIC OP NUMBER/],
    ["p99<-5", /expected METRIC OP NUMBER/],
    ["p98<5ms", /unknown metric "p98"/],
    ["latency<5ms", /unknown metric "latency"/],
    ["logout.p99<5", /unknown metric "logout.p99"/],
    ["renew.unexpected==0", /unknown metric "renew.unexpected"/],
    ["a.b.p99<5", /unknown metric "a.b.p99"/],
    ["refused{}>0", /expected METRIC OP NUMBER/],
    ["p99<5%", /a latency takes ms, s or us, not %/],
    ["rate>5ms", /rate is per second/],
    ["unexpected==0ms", /a count takes no unit or %/],
  ])("%s is refused", (text, message) => {
    expect(() => parseThreshold(text)).toThrow(LoadOptionError);
    expect(() => parseThreshold(text)).toThrow(message);
  });
});

describe("evaluateThreshold", () => {
  const none = { p50: null, p90: null, p99: null, max: null };
  const inputs: ThresholdInputs = {
    latency: { login: { p50: 1.2, p90: 4, p99: 12.5, max: 80 }, renew: none, connect: { p50: 0.5, p90: 1, p99: 3, max: 9 } },
    rate: 998.4,
    login: { attempts: 1000, accepted: 940, refused: 50, errors: 10, refusedBy: { invalid_signature: { "5 LOGIN_ERR_INVALID_TOKEN": 48 }, token_required: { "5 LOGIN_ERR_INVALID_TOKEN": 2 } } },
    renew: { attempts: 0, accepted: 0, refused: 0, errors: 0 },
    errors: 12,
    unexpected: 14,
  };
  it.each([
    ["p99<50ms", 12.5, true],
    ["p99<12.5", 12.5, false],
    ["p99<=12.5", 12.5, true],
    ["max<0.05s", 80, false],
    ["connect.p99<5", 3, true],
    ["rate>=950", 998.4, true],
    ["rate>=1000/s", 998.4, false],
    ["accepted>900", 940, true],
    ["login.errors==10", 10, true],
    ["errors==12", 12, true],
    ["errors<1%", 1.2, false],
    ["refused<=5%", 5, true],
    ["unexpected==0", 14, false],
    ["refused{invalid_signature}==48", 48, true],
    ["refused{token_required}==0", 2, false],
    ["refused{banned}==0", 0, true],
    ["renew.accepted>=0", 0, true],
  ])("%s → %s", (text, actual, pass) => {
    expect(evaluateThreshold(parseThreshold(text), inputs)).toEqual({ threshold: text, actual, pass });
  });

  it("a latency with no values fails (no evidence), whatever the comparison", () => {
    expect(evaluateThreshold(parseThreshold("renew.p99<1000s"), inputs)).toEqual({ threshold: "renew.p99<1000s", actual: null, pass: false });
    expect(evaluateThreshold(parseThreshold("renew.max>=0"), inputs)).toEqual({ threshold: "renew.max>=0", actual: null, pass: false });
  });

  it("a percentage of zero attempts has no value and fails", () => {
    const empty = { ...inputs, login: { ...inputs.login, attempts: 0 } };
    expect(evaluateThreshold(parseThreshold("errors<1%"), empty)).toEqual({ threshold: "errors<1%", actual: null, pass: false });
  });
});
