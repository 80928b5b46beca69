import { describe, expect, it } from "vitest";
import { compileUidPattern, isRegexPattern, MAX_MATCHED_UID_LENGTH, MAX_UID_PATTERN_LENGTH, uidPatternProblem } from "../../../../core/fault/uid-pattern.js";

describe("uid patterns (core/fault/uid-pattern.ts)", () => {
  it.each([
    ["alice", "alice", true],
    ["alice", "alicE", false],
    ["user-*", "user-", true],
    ["user-*", "user-42", true],
    ["user-*", "xuser-42", false],
    ["*-bot", "a-bot", true],
    ["*-bot", "a-bot-2", false],
    ["u?", "u1", true],
    ["u?", "u", false],
    ["u?", "u12", false],
    ["*a*b*", "xxaxxbxx", true],
    ["*a*b*", "xxbxxaxx", false],
    ["用户*", "用户-1", true],
    ["?", "😀", true],
    ["/^user-\\d+$/", "user-42", true],
    ["/^user-\\d+$/", "user-x", false],
    ["/^ALICE$/i", "alice", true],
    ["/^ALICE$/", "alice", false],
    ["/(?:ab)+c/", "ababc", true],
  ])("%s ~ %s → %s", (pattern, uid, expected) => {
    expect(uidPatternProblem(pattern)).toBeNull();
    expect(compileUidPattern(pattern)(uid)).toBe(expected);
  });

  it("tells a regex from a glob", () => {
    expect(isRegexPattern("/a/")).toBe(true);
    expect(isRegexPattern("/a/i")).toBe(true);
    expect(isRegexPattern("/a")).toBe(false);
    expect(isRegexPattern("a/b/")).toBe(false);
  });

  it.each([
    ["", "must not be empty"],
    ["x".repeat(MAX_UID_PATTERN_LENGTH + 1), `must be at most ${MAX_UID_PATTERN_LENGTH} characters`],
    ["/(a+)+b/", "a quantified group may not hold a quantifier or an alternation"],
    ["/(a|ab)*c/", "a quantified group may not hold a quantifier or an alternation"],
    ["/((a)*)+/", "a quantified group may not hold a quantifier or an alternation"],
    ["/(x(a+))*/", "a quantified group may not hold a quantifier or an alternation"],
    ["/(a)\\1/", "backreferences are not allowed"],
    ["/(?<n>a)\\k<n>/", "backreferences are not allowed"],
    ["/a(?=b)/", "lookarounds are not allowed"],
    ["/(?<!a)b/", "lookarounds are not allowed"],
    ["/a*b*c*d*/", "at most 3 unbounded quantifiers (*, +, {n,})"],
    ["/a{2,}b+c*d+/", "at most 3 unbounded quantifiers (*, +, {n,})"],
  ])("refuses %j: %s", (pattern, problem) => {
    expect(uidPatternProblem(pattern)).toBe(problem);
    expect(() => compileUidPattern(pattern)).toThrow(new TypeError(`uid pattern ${problem}`));
  });

  it("refuses an invalid regular expression", () => {
    expect(uidPatternProblem("/a[/")).toMatch(/^not a valid regular expression/);
  });

  it("accepts bounded quantifiers and character classes holding quantifier characters", () => {
    for (const p of ["/^[a-z]{1,8}$/", "/^[*+?]+$/", "/^(ab){2}$/", "/^a*?b+?c??$/"]) expect(uidPatternProblem(p)).toBeNull();
    expect(compileUidPattern("/^[*+?]+$/")("*+?")).toBe(true);
  });

  it("a uid longer than the bound never matches a wildcard or regex pattern", () => {
    const long = "a".repeat(MAX_MATCHED_UID_LENGTH + 1);
    expect(compileUidPattern("*")(long)).toBe(false);
    expect(compileUidPattern("/^a+$/")(long)).toBe(false);
    expect(compileUidPattern("*")("a".repeat(MAX_MATCHED_UID_LENGTH))).toBe(true);
  });

  it("a glob with many stars stays fast on a long non-matching uid", () => {
    const match = compileUidPattern("*a*a*a*a*a*a*a*a*a*a*b");
    const started = performance.now();
    expect(match("a".repeat(MAX_MATCHED_UID_LENGTH))).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
