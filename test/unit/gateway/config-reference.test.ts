/**
 * The settings reference (gateway/config-reference.ts) that `rtm-auth serve --help` prints: every
 * setting, its default read from the schema, its description from the field's doc comment; and
 * the doc comments' own "Default …" sentences agree with the schema, so no default is written two
 * ways.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configReference, describe as describeDoc, fieldDocs, firstSentence, formatSettings } from "../../../gateway/config-reference.js";
import { configSchema, ENV_NAMES } from "../../../gateway/config.js";

const SOURCE = readFileSync(new URL("../../../gateway/config.ts", import.meta.url), "utf8");

describe("configReference", () => {
  const rows = configReference();

  it("has every setting once, each with a description", () => {
    expect(rows.map((r) => r.field).sort()).toEqual(Object.keys(ENV_NAMES).sort());
    for (const r of rows) {
      expect(r.env).toBe(ENV_NAMES[r.field]);
      expect(r.description, r.env).not.toBe("");
      expect(r.description, r.env).not.toContain(`[${r.env}]`);
    }
  });

  it("takes each default from the schema", () => {
    const parsed = configSchema.parse({}) as Record<string, unknown>;
    const byField = new Map(rows.map((r) => [r.field, r.defaultText]));
    expect(byField.get("port")).toBe("8080");
    expect(byField.get("devSeed")).toBe("1");
    expect(byField.get("redisKeyPrefix")).toBe("rtm-auth:");
    expect(byField.get("redisUrl")).toBe("unset");
    expect(byField.get("checkOrder")).toBe("FIDELITY (spec)");
    for (const [field, value] of Object.entries(parsed)) {
      expect(byField.get(field as keyof typeof ENV_NAMES), field).toBe(typeof value === "boolean" ? (value ? "1" : "0") : String(value));
    }
  });

  it("agrees with every doc comment that states a default", () => {
    const docs = fieldDocs(SOURCE);
    let stated = 0;
    for (const r of rows) {
      const m = /Default\s+(`[^`]*`|[^\s.;,()]+)/.exec(docs.get(r.field) ?? "");
      if (m === null) continue;
      stated++;
      const text = (m[1] ?? "").replace(/`/g, "");
      const want = text === "true" ? "1" : text === "false" ? "0" : text;
      expect(r.defaultText, `${r.env}: the doc says Default ${text}`).toBe(want);
    }
    expect(stated).toBeGreaterThan(30);
  });
});

describe("the doc comment parts", () => {
  it("drops the [ENV] marker and its Default clause, keeps what follows", () => {
    expect(describeDoc("Address to listen on. [HOST] Default `127.0.0.1`; use `0.0.0.0` or `::` to accept remote clients.", "HOST")).toBe(
      "Address to listen on. Use `0.0.0.0` or `::` to accept remote clients.",
    );
    expect(describeDoc("Most connections. [MAX_CONNECTIONS] Default 20000 (about one process's file limit here).", "MAX_CONNECTIONS")).toBe("Most connections.");
    expect(describeDoc("Order of the checks. [CHECK_ORDER] Unset: `spec` documented.", "CHECK_ORDER")).toBe("Order of the checks. Unset: `spec` documented.");
  });

  it("first sentences stop at a period outside backticks and abbreviations", () => {
    expect(firstSentence("Seconds before close 4001. `0` = no deadline.")).toBe("Seconds before close 4001.");
    expect(firstSentence("Redis (`redis://…`, e.g. a socket path). More.")).toBe("Redis (`redis://…`, e.g. a socket path).");
    expect(firstSentence("`a.b` then c. d")).toBe("`a.b` then c.");
  });

  it("formatSettings: a header, then one row per setting, wrapped under its column", () => {
    const text = formatSettings(100);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^ {2}variable +default +meaning$/);
    expect(lines.every((l) => l.length <= 100 || !l.includes(" "))).toBe(true);
    const starts = lines.filter((l) => /^ {2}[A-Z]/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(starts).toEqual(Object.values(ENV_NAMES));
  });
});
