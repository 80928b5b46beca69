/**
 * The cross-site guard as a pure function and a middleware: which Origin / Sec-Fetch-Site
 * combinations a browser sends for a request on behalf of another site, and which a same-origin
 * page, curl or the admin client send.
 */
import type { NextFunction, Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { crossSiteGuard, crossSiteRefusal, type CrossSiteRefusal } from "../../../../gateway/admin/cross-site.js";
import { AdminError } from "../../../../gateway/admin/errors.js";

const req = (headers: Record<string, string>, protocol = "http") => ({ headers, protocol }) as unknown as Request;
const HOST = "127.0.0.1:8080";

describe("crossSiteRefusal", () => {
  // [label, headers, expected]
  const cases: Array<[string, Record<string, string>, CrossSiteRefusal | null]> = [
    ["no Origin, no Sec-Fetch-Site (curl, the admin client)", { host: HOST }, null],
    ["same origin", { host: HOST, origin: "http://127.0.0.1:8080" }, null],
    ["same origin, Host in capitals", { host: "LOCALHOST:8080", origin: "http://localhost:8080" }, null],
    ["same origin on port 80 (default port dropped on both sides)", { host: "127.0.0.1:80", origin: "http://127.0.0.1" }, null],
    ["same origin over IPv6", { host: "[::1]:8080", origin: "http://[::1]:8080" }, null],
    ["Sec-Fetch-Site: same-origin", { host: HOST, "sec-fetch-site": "same-origin", origin: "http://127.0.0.1:8080" }, null],
    ["Sec-Fetch-Site: none (typed in the address bar)", { host: HOST, "sec-fetch-site": "none" }, null],
    ["another site", { host: HOST, origin: "https://attacker.example" }, "origin_mismatch"],
    ["another port on the same host", { host: HOST, origin: "http://127.0.0.1:3000" }, "origin_mismatch"],
    ["localhost vs 127.0.0.1 (different origins)", { host: HOST, origin: "http://localhost:8080" }, "origin_mismatch"],
    ["https vs the gateway's http", { host: HOST, origin: "https://127.0.0.1:8080" }, "origin_mismatch"],
    ["an Origin but no Host", { origin: "http://127.0.0.1:8080" }, "origin_mismatch"],
    ["Origin: null (sandboxed frame, file: page)", { host: HOST, origin: "null" }, "origin_null"],
    ["two Origin headers (Node joins them)", { host: HOST, origin: "http://127.0.0.1:8080, https://attacker.example" }, "origin_unparseable"],
    ["an Origin with a path", { host: HOST, origin: "http://127.0.0.1:8080/x" }, "origin_unparseable"],
    ["an Origin that is not a URL", { host: HOST, origin: "attacker" }, "origin_unparseable"],
    ["Sec-Fetch-Site: cross-site, no Origin", { host: HOST, "sec-fetch-site": "cross-site" }, "fetch_site"],
    ["Sec-Fetch-Site: same-site (another port or subdomain)", { host: HOST, "sec-fetch-site": "same-site" }, "fetch_site"],
    ["Sec-Fetch-Site: cross-site with a matching Origin", { host: HOST, "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:8080" }, "fetch_site"],
    ["Sec-Fetch-Site: an unknown value", { host: HOST, "sec-fetch-site": "maybe" }, "fetch_site"],
  ];
  it.each(cases)("%s → %s", (_label, headers, expected) => {
    expect(crossSiteRefusal(req(headers))).toBe(expected);
  });

  it("the scheme is the request's own: https behind TLS matches an https Origin", () => {
    expect(crossSiteRefusal(req({ host: "gw.example", origin: "https://gw.example" }, "https"))).toBeNull();
    expect(crossSiteRefusal(req({ host: "gw.example", origin: "https://gw.example" }, "http"))).toBe("origin_mismatch");
  });
});

describe("crossSiteGuard (middleware)", () => {
  const run = (headers: Record<string, string>) =>
    new Promise<unknown>((resolve) => crossSiteGuard(req(headers), {} as Response, ((err?: unknown) => resolve(err ?? "next")) as NextFunction));

  it("refuses with 403 cross_site_request", async () => {
    const err = await run({ host: HOST, origin: "https://attacker.example" });
    expect(err).toBeInstanceOf(AdminError);
    expect({ status: (err as AdminError).status, code: (err as AdminError).code }).toEqual({ status: 403, code: "cross_site_request" });
    expect((err as AdminError).message).toMatch(/Origin or Sec-Fetch-Site/);
  });

  it("passes a same-origin request", async () => {
    expect(await run({ host: HOST, origin: "http://127.0.0.1:8080" })).toBe("next");
  });
});
