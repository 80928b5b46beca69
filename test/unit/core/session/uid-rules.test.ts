import { describe, expect, it } from "vitest";
import { DEFAULT_UID_QUIRKS, uidProblem, type UidQuirks } from "../../../../core/session/uid-rules.js";

const NONE: UidQuirks = DEFAULT_UID_QUIRKS;
const LEADING: UidQuirks = { refuseLeadingSpace: true, web2Validator: false };
const WEB2: UidQuirks = { refuseLeadingSpace: false, web2Validator: true };

/** The special characters the RTM docs allow besides letters and digits (docs/agora-behaviour.md, "User ids"). */
const SPECIALS = [" ", "!", "#", "$", "%", "&", "(", ")", "+", "-", ":", ";", "<", "=", ".", ">", "?", "@", "[", "]", "^", "_", "{", "}", "|", "~", ","];

describe("uidProblem (docs/agora-behaviour.md, \"User ids\")", () => {
  it("the default quirks are both off", () => {
    expect(DEFAULT_UID_QUIRKS).toEqual({ refuseLeadingSpace: false, web2Validator: false });
  });

  const CASES: ReadonlyArray<readonly [label: string, uid: unknown, rtm2: boolean, quirks: UidQuirks, valid: boolean]> = [
    ["plain ascii", "alice", false, NONE, true],
    ["digits", "1234567890", false, NONE, true],
    ["mixed case and digits", "AbC123xyZ", true, NONE, true],
    ["empty", "", false, NONE, false],
    ["empty (rtm2)", "", true, NONE, false],
    ['the string "null"', "null", false, NONE, false],
    ['the string "null" (rtm2)', "null", true, NONE, false],
    ['"NULL" is a normal uid', "NULL", false, NONE, true],
    ['"nullable" is a normal uid', "nullable", false, NONE, true],
    ["64 characters", "a".repeat(64), false, NONE, true],
    ["64 characters (rtm2)", "a".repeat(64), true, NONE, true],
    ["65 characters", "a".repeat(65), false, NONE, false],
    ["65 characters (rtm2)", "a".repeat(65), true, NONE, false],
    ["1000 characters", "x".repeat(1000), false, NONE, false],
    ["e acute", "é", false, NONE, false],
    ["e acute in a word", "josé", false, NONE, false],
    ["emoji", "bob😀", false, NONE, false],
    ["typographic apostrophe (iPhone name)", "Bob’s iPhone", false, NONE, false],
    ["tab", "a\tb", false, NONE, false],
    ["newline", "a\nb", false, NONE, false],
    ["NUL", "a\u0000b", false, NONE, false],
    ["double quote", 'a"b', false, NONE, false],
    ["single quote", "a'b", false, NONE, false],
    ["slash", "a/b", false, NONE, false],
    ["backslash", "a\\b", false, NONE, false],
    ["asterisk", "a*b", false, NONE, false],
    ["backtick", "a`b", false, NONE, false],
    ["fullwidth letter", "ａ", false, NONE, false],
    ["not a string: number", 42, false, NONE, false],
    ["not a string: null", null, false, NONE, false],
    ["not a string: undefined", undefined, false, NONE, false],
    ["not a string: object", { uid: "a" }, false, NONE, false],
    ["not a string: array", ["a"], false, NONE, false],
    // Leading space: accepted by default (Web 1.6.0), refused with the quirk.
    ["leading space, no quirk", " alice", false, NONE, true],
    ["leading space, quirk on", " alice", false, LEADING, false],
    ["leading space, quirk on (rtm2)", " alice", true, LEADING, false],
    ["inner space, quirk on", "al ice", false, LEADING, true],
    ["trailing space, quirk on", "alice ", false, LEADING, true],
    ["only a space, no quirk", " ", false, NONE, true],
    // Web 2.3.0 validator: only for rtm2 sessions, only when switched on.
    ["leading _ rtm2 with web2 quirk", "_a", true, WEB2, false],
    ["a.b rtm2 with web2 quirk", "a.b", true, WEB2, false],
    ["trailing . rtm2 with web2 quirk", "ab.", true, WEB2, false],
    ["inner _ rtm2 with web2 quirk", "a_b", true, WEB2, true],
    ["leading _ rtm2 without quirk", "_a", true, NONE, true],
    ["a.b rtm2 without quirk", "a.b", true, NONE, true],
    ["leading _ rtm1 with web2 quirk", "_a", false, WEB2, true],
    ["a.b rtm1 with web2 quirk", "a.b", false, WEB2, true],
  ];

  it.each(CASES)("%s", (_label, uid, rtm2, quirks, valid) => {
    const problem = uidProblem(uid, rtm2, quirks);
    if (valid) expect(problem).toBeNull();
    else expect(problem).toEqual(expect.any(String));
  });

  it.each(SPECIALS.map((c) => [JSON.stringify(c), c] as const))("allows the special character %s (both profiles)", (_label, c) => {
    expect(uidProblem(`a${c}b`, false)).toBeNull();
    expect(uidProblem(`a${c}b`, true)).toBeNull();
    // As the whole uid too.
    expect(uidProblem(c, false)).toBeNull();
  });

  it("every printable ASCII character outside the documented set is refused", () => {
    const allowed = new Set([..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", ...SPECIALS]);
    const refused: string[] = [];
    for (let code = 0x20; code < 0x7f; code++) {
      const c = String.fromCharCode(code);
      const ok = uidProblem(`a${c}`, false) === null;
      expect(ok, `character ${JSON.stringify(c)}`).toBe(allowed.has(c));
      if (!ok) refused.push(c);
    }
    expect(refused.sort()).toEqual(['"', "'", "*", "/", "\\", "`"].sort());
  });

  it("the default quirks argument is the defaults", () => {
    expect(uidProblem(" alice", false)).toBeNull();
    expect(uidProblem("_a", true)).toBeNull();
  });

  it("names the problem", () => {
    expect(uidProblem("", false)).toMatch(/empty/);
    expect(uidProblem("null", false)).toMatch(/null/);
    expect(uidProblem("a".repeat(65), false)).toMatch(/64/);
    expect(uidProblem("é", false)).toMatch(/character/);
    expect(uidProblem(1, false)).toMatch(/string/);
    expect(uidProblem(" a", false, LEADING)).toMatch(/space/);
    expect(uidProblem("a.b", true, WEB2)).toMatch(/2\.x/);
  });
});
