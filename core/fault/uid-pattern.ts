/**
 * The uid pattern of a fault rule: a glob (`*` any run of characters, `?` exactly one, everything
 * else literal) or a regular expression written `/source/` or `/source/i`.
 *
 * Both are bounded, because a rule is matched against every login of the gateway:
 * - a pattern is at most {@link MAX_UID_PATTERN_LENGTH} characters;
 * - a uid longer than {@link MAX_MATCHED_UID_LENGTH} characters never matches (the protocol's
 *   uids are at most 64 bytes; longer ones are refused as `invalid_uid` anyway);
 * - a glob is matched by a linear-time scan, never compiled to a regular expression;
 * - a regular expression may not backtrack badly: no backreferences, no lookarounds, no
 *   quantified group that itself holds a quantifier or an alternation (`(a+)+`, `(a|ab)*`), and
 *   at most {@link MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (`*`, `+`, `{n,}`).
 */

export const MAX_UID_PATTERN_LENGTH = 128;
export const MAX_MATCHED_UID_LENGTH = 128;
export const MAX_UNBOUNDED_QUANTIFIERS = 3;

/** A compiled pattern: true when `uid` matches. */
export type UidMatcher = (uid: string) => boolean;

const REGEX_FORM = /^\/(.*)\/(i?)$/s;

/** True when `pattern` is written as a regular expression (`/…/` or `/…/i`). */
export function isRegexPattern(pattern: string): boolean {
  return REGEX_FORM.test(pattern);
}

/** The problem with `pattern`, or null when it can be compiled. */
export function uidPatternProblem(pattern: string): string | null {
  if (pattern.length === 0) return "must not be empty";
  if (pattern.length > MAX_UID_PATTERN_LENGTH) return `must be at most ${MAX_UID_PATTERN_LENGTH} characters`;
  const m = REGEX_FORM.exec(pattern);
  if (m === null) return null;
  const source = m[1] ?? "";
  const problem = regexProblem(source);
  if (problem !== null) return problem;
  try {
    new RegExp(source, m[2] === "i" ? "iu" : "u");
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message})`;
  }
  return null;
}

/** Compiles `pattern`; throws a TypeError when {@link uidPatternProblem} reports one. */
export function compileUidPattern(pattern: string): UidMatcher {
  const problem = uidPatternProblem(pattern);
  if (problem !== null) throw new TypeError(`uid pattern ${problem}`);
  const m = REGEX_FORM.exec(pattern);
  if (m !== null) {
    const re = new RegExp(m[1] ?? "", m[2] === "i" ? "iu" : "u");
    return (uid) => uid.length <= MAX_MATCHED_UID_LENGTH && re.test(uid);
  }
  if (!pattern.includes("*") && !pattern.includes("?")) return (uid) => uid === pattern;
  const glob = Array.from(pattern);
  return (uid) => uid.length <= MAX_MATCHED_UID_LENGTH && globMatch(glob, Array.from(uid));
}

/**
 * Wildcard matching in O(pattern × text) at worst: on a mismatch, resume after the last `*`
 * with one more character consumed by it (the classic two-pointer algorithm).
 */
function globMatch(p: readonly string[], s: readonly string[]): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const c = p[pi];
    if (c === "?" || (c !== undefined && c !== "*" && c === s[si])) {
      pi++;
      si++;
    } else if (c === "*") {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}

/**
 * Refuses the constructs that make a backtracking engine slow. A conservative scan of the
 * source: it may refuse a harmless expression, never the reverse for the constructs listed.
 */
function regexProblem(source: string): string | null {
  /** Per open group: does it hold a quantifier or an alternation? */
  const groups: boolean[] = [];
  let unbounded = 0;
  /** What the last atom was: a group that held a quantifier/alternation, or anything else. */
  let lastWasRiskyGroup = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const n = source[i + 1] ?? "";
      if (/[1-9]/.test(n) || n === "k") return "backreferences are not allowed";
      i++;
      lastWasRiskyGroup = false;
      continue;
    }
    if (c === "[") {
      // Skip the character class (escapes inside included).
      i++;
      if (source[i] === "^") i++;
      if (source[i] === "]") i++;
      while (i < source.length && source[i] !== "]") {
        if (source[i] === "\\") i++;
        i++;
      }
      lastWasRiskyGroup = false;
      continue;
    }
    if (c === "(") {
      if (source.startsWith("(?=", i) || source.startsWith("(?!", i) || source.startsWith("(?<=", i) || source.startsWith("(?<!", i)) {
        return "lookarounds are not allowed";
      }
      // `(?:` and `(?<name>` open a group; their `?` is no quantifier.
      if (source.startsWith("(?:", i)) i += 2;
      else if (source.startsWith("(?<", i)) {
        const end = source.indexOf(">", i);
        if (end < 0) return "unterminated group name";
        i = end;
      }
      groups.push(false);
      lastWasRiskyGroup = false;
      continue;
    }
    if (c === ")") {
      const risky = groups.pop() ?? false;
      // A group inherits into its parent: a quantifier anywhere inside makes the parent risky too.
      if (risky && groups.length > 0) groups[groups.length - 1] = true;
      lastWasRiskyGroup = risky;
      continue;
    }
    if (c === "|") {
      if (groups.length > 0) groups[groups.length - 1] = true;
      lastWasRiskyGroup = false;
      continue;
    }
    const quantifier = c === "*" || c === "+" || c === "?" || (c === "{" && /^\{\d+(,\d*)?\}/.test(source.slice(i)));
    if (quantifier) {
      // `*?`, `+?`, `??` (lazy) are one quantifier.
      if (lastWasRiskyGroup) return "a quantified group may not hold a quantifier or an alternation";
      if (c === "*" || c === "+" || (c === "{" && /^\{\d+,\}/.test(source.slice(i)))) unbounded++;
      if (unbounded > MAX_UNBOUNDED_QUANTIFIERS) return `at most ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (*, +, {n,})`;
      if (groups.length > 0) groups[groups.length - 1] = true;
      if (c === "{") i = source.indexOf("}", i);
      if (source[i + 1] === "?") i++;
      lastWasRiskyGroup = false;
      continue;
    }
    lastWasRiskyGroup = false;
  }
  return null;
}
