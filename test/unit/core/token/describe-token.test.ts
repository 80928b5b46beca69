import { describe, expect, it } from "vitest";
import { describeToken, parseToken } from "../../../../core/token/index.js";
import { ISSUE_TS, craft007, rtm2Service } from "./token-fixtures.js";

function rtm2Described(grants: Parameters<typeof rtm2Service>[2]): Record<string, unknown> {
  const p = parseToken(craft007({ services: [rtm2Service("alice", [[1, 600]], grants)] }));
  if (!p.ok) throw new Error(p.detail);
  return (describeToken(p.token)["services"] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
}

describe("describeToken: RTM2 (type 8) services", () => {
  it("names Agora's resource and permission types, null for numbers Agora does not define, and gives the notation", () => {
    expect(rtm2Described([[2, [[0, ["g1"]]]], [3, [[1, ["sg"]]]], [9, [[7, ["x,y"]]]]])).toEqual({
      type: 8,
      name: "rtm2",
      privileges: [{ id: 1, name: "login", value: 600, expiresAt: ISSUE_TS + 600 }],
      userId: "alice",
      permissions: [
        { resourceType: 2, resourceName: "groupChannels", permissions: [{ permType: 0, permissionName: "read", resources: ["g1"] }] },
        { resourceType: 3, resourceName: "serverGroups", permissions: [{ permType: 1, permissionName: "write", resources: ["sg"] }] },
        { resourceType: 9, resourceName: null, permissions: [{ permType: 7, permissionName: null, resources: ["x,y"] }] },
      ],
      permissionSpec: "group:read=g1;server-group:write=sg;9:7=x\\,y",
    });
  });

  it.each([
    ["grants out of Agora's order", [[4, [[0, ["a"]]]], [0, [[0, ["b"]]]]] as const],
    ["a resource type twice", [[0, [[0, ["a"]]]], [0, [[1, ["b"]]]]] as const],
    ["an empty resource name", [[0, [[0, [""]]]]] as const],
  ])("%s: the grants are all shown, the notation is null (it could not say exactly this)", (_name, grants) => {
    const d = rtm2Described(grants as unknown as Parameters<typeof rtm2Service>[2]);
    expect((d["permissions"] as unknown[]).length).toBe(grants.length);
    expect(d["permissionSpec"]).toBeNull();
  });

  it("no grants at all: an empty list and the empty notation", () => {
    const d = rtm2Described([]);
    expect([d["permissions"], d["permissionSpec"]]).toEqual([[], ""]);
  });
});
