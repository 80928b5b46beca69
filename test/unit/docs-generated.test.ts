/**
 * The generated parts of the docs (docs/reasons.md, docs/protocol.md, docs/configuration.md) are
 * what bench/docs-generate.ts would write from the code now: a reason, code, close code, setting
 * or default changed in the code without `npm run docs:generate` fails here. Also checks that the
 * generated tables carry what they claim (so a generator that wrote nothing would fail too).
 */
import { describe, expect, it } from "vitest";
import { fillMarkers, generatedBlocks, generatedDocs, type GeneratedDoc } from "../../bench/docs-generate.js";
import { REASONS } from "../../core/errors.js";
import { CLOSE } from "../../core/protocol/wire.js";
import { ENV_NAMES } from "../../gateway/config.js";
import { WIRE_CODES } from "../../gateway/protocol/wire-codes.js";

const docs = await generatedDocs();
const blocks = await generatedBlocks();
const doc = (path: string): GeneratedDoc => {
  const d = docs.find((x) => x.path === path);
  if (d === undefined) throw new Error(`${path} is not generated`);
  return d;
};

describe("generated docs", () => {
  it.each(docs.map((d) => [d.path, d] as const))("%s is up to date (else: npm run docs:generate)", (_path, d) => {
    expect(d.current).toBe(d.expected);
  });

  it("docs/reasons.md lists every reason with its rtm1 and rtm2 login codes", () => {
    const text = doc("docs/reasons.md").expected;
    for (const r of REASONS) expect(text).toContain(`| \`${r}\` |`);
    // One row read back: the RTM 1.x login/renew swap of 5 and 6 is in the tables as the code has it.
    expect(WIRE_CODES.token_expired.rtm1Login.code).toBe(6);
    expect(text).toMatch(/\| `token_expired` \| 6 \| `LOGIN_ERR_TOKEN_EXPIRED` \| -10009 \| `RTM_ERROR_TOKEN_EXPIRED` \|/);
    expect(text).toMatch(/\| `token_expired` \| 5 \| `RENEW_TOKEN_ERR_TOKEN_EXPIRED` \| -10009 \|/);
  });

  it("docs/protocol.md lists every close code", () => {
    const text = doc("docs/protocol.md").expected;
    for (const c of Object.values(CLOSE)) expect(text).toContain(`| ${c} |`);
  });

  it("docs/configuration.md lists every environment variable once", () => {
    const text = doc("docs/configuration.md").expected;
    for (const env of Object.values(ENV_NAMES)) expect(text.split(`| \`${env}\` (`).length - 1).toBe(1);
  });

  it("a table edited by hand differs and is written back; a marker without a block, or a block without a marker, is refused", () => {
    const d = doc("docs/reasons.md");
    const b = blocks["docs/reasons.md"] as Record<string, string>;
    const edited = d.expected.replace("| `token_expired` | 6 |", "| `token_expired` | 7 |");
    expect(edited).not.toBe(d.expected);
    expect(fillMarkers(d.path, edited, b)).toBe(d.expected);
    expect(() => fillMarkers(d.path, `${edited}\n<!-- BEGIN generated:bogus -->\n<!-- END generated:bogus -->\n`, b)).toThrow(/generated:bogus names no generated block/);
    expect(() => fillMarkers(d.path, "no markers here", b)).toThrow(/no marker for generated block\(s\) reasons, login-codes/);
  });
});
