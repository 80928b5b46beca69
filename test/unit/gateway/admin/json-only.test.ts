/**
 * JSON-only: which Content-Type / body combinations the admin API refuses with 415, and that a
 * bodiless call without Content-Type (the README's curl -XPOST) passes.
 */
import type { NextFunction, Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { AdminError } from "../../../../gateway/admin/errors.js";
import { announcesBody, jsonOnly, mediaTypeOf, mediaTypeRefusal } from "../../../../gateway/admin/json-only.js";

describe("mediaTypeRefusal", () => {
  // [label, headers, expected]
  const cases: Array<[string, Record<string, string>, ReturnType<typeof mediaTypeRefusal>]> = [
    ["no body, no content-type (curl -XPOST)", {}, null],
    ["content-length: 0, no content-type", { "content-length": "0" }, null],
    ["application/json", { "content-type": "application/json", "content-length": "2" }, null],
    ["application/json; charset=utf-8", { "content-type": "application/json; charset=utf-8", "content-length": "2" }, null],
    ["Application/JSON in capitals", { "content-type": "Application/JSON", "content-length": "2" }, null],
    ["application/json without a body", { "content-type": "application/json" }, null],
    ["text/plain with a body", { "content-type": "text/plain", "content-length": "2" }, "media_type"],
    ["text/plain; charset=utf-8 without a body", { "content-type": "text/plain;charset=UTF-8" }, "media_type"],
    ["application/x-www-form-urlencoded (curl -d without -H)", { "content-type": "application/x-www-form-urlencoded", "content-length": "2" }, "media_type"],
    ["multipart/form-data", { "content-type": "multipart/form-data; boundary=x", "transfer-encoding": "chunked" }, "media_type"],
    ["application/json-seq (a lookalike)", { "content-type": "application/json-seq", "content-length": "2" }, "media_type"],
    ["a blank content-type", { "content-type": "", "content-length": "2" }, "media_type"],
    ["a body with no content-type", { "content-length": "2" }, "missing_content_type"],
    ["a chunked body with no content-type", { "transfer-encoding": "chunked" }, "missing_content_type"],
  ];
  it.each(cases)("%s → %s", (_label, headers, expected) => {
    expect(mediaTypeRefusal(headers)).toBe(expected);
  });

  it("helpers", () => {
    expect(mediaTypeOf(" Application/Json ; charset=utf-8")).toBe("application/json");
    expect(announcesBody({ "content-length": "00" })).toBe(false);
    expect(announcesBody({ "content-length": "10" })).toBe(true);
  });
});

describe("jsonOnly (middleware)", () => {
  const run = (headers: Record<string, string>) =>
    new Promise<unknown>((resolve) => jsonOnly({ headers } as unknown as Request, {} as Response, ((err?: unknown) => resolve(err ?? "next")) as NextFunction));

  it("refuses with 415 unsupported_media_type and a hint", async () => {
    const err = await run({ "content-type": "text/plain", "content-length": "2" });
    expect(err).toBeInstanceOf(AdminError);
    expect({ status: (err as AdminError).status, code: (err as AdminError).code }).toEqual({ status: 415, code: "unsupported_media_type" });
    expect((err as AdminError).message).toContain("send content-type: application/json");
  });

  it("passes JSON", async () => {
    expect(await run({ "content-type": "application/json", "content-length": "2" })).toBe("next");
  });
});
