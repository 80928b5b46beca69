import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  RTM2_PERMISSION_TYPE,
  RTM2_RESOURCE_TYPE,
  Rtm2PermissionsSyntaxError,
  formatRtm2Permissions,
  parseRtm2Permissions,
  rtm2PermissionName,
  rtm2ResourceName,
  type Rtm2Grant,
} from "../../../../core/token/index.js";

/** The error `fn` throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): { type: string; message: string } {
  try {
    fn();
  } catch (e) {
    return { type: (e as Error).constructor.name, message: (e as Error).message };
  }
  throw new Error("expected a throw");
}

describe("RTM2 resource and permission types (agora-token 2.0.6 Rtm2Permissions)", () => {
  it("has Agora's numbers and names", () => {
    expect(RTM2_RESOURCE_TYPE).toEqual({ messageChannels: 0, streamChannels: 1, groupChannels: 2, serverGroups: 3, users: 4 });
    expect(RTM2_PERMISSION_TYPE).toEqual({ read: 0, write: 1 });
    expect([0, 1, 2, 3, 4, 5].map(rtm2ResourceName)).toEqual(["messageChannels", "streamChannels", "groupChannels", "serverGroups", "users", null]);
    expect([0, 1, 2].map(rtm2PermissionName)).toEqual(["read", "write", null]);
  });
});

describe("the permissions notation", () => {
  const P = (resourceType: number, ...perms: Array<[number, string[]]>): Rtm2Grant => ({
    resourceType,
    permissions: perms.map(([permType, resources]) => ({ permType, resources })),
  });

  it.each([
    ["", []],
    ["message:read=chan1", [P(0, [0, ["chan1"]])]],
    ["message:read,write=chan1,chan2;user:read=*", [P(0, [0, ["chan1", "chan2"]], [1, ["chan1", "chan2"]]), P(4, [0, ["*"]])]],
    // Sorted as Agora's builder packs: resource types, then permission types; names as written.
    ["user:write,read=b,a;stream:write=s;message:read=m", [P(0, [0, ["m"]]), P(1, [1, ["s"]]), P(4, [0, ["b", "a"]], [1, ["b", "a"]])]],
    ["group:read=g;server-group:write=sg", [P(2, [0, ["g"]]), P(3, [1, ["sg"]])]],
    ["message:read=;message:write=x", [P(0, [0, []], [1, ["x"]])]],
    ["7:3=x;65535:65535=y", [P(7, [3, ["x"]]), P(65_535, [65_535, ["y"]])]],
    ["message:read=a\\,b,c\\;d,e\\\\", [P(0, [0, ["a,b", "c;d", "e\\"]])]],
    ["message:read= spaced name ,x=y:z", [P(0, [0, [" spaced name ", "x=y:z"]])]],
    ["user:read=Łukasz,用户,😀", [P(4, [0, ["Łukasz", "用户", "😀"]])]],
  ] as const)("%j", (notation, grants) => {
    expect(parseRtm2Permissions(notation)).toEqual(grants);
  });

  it.each([
    [";", "an empty group (two ';' in a row, or one at an end)"],
    ["message:read=a;", "an empty group (two ';' in a row, or one at an end)"],
    ["message:read=a;;user:read=b", "an empty group (two ';' in a row, or one at an end)"],
    ["message", "group 'message' is not RESOURCE:PERMISSION[,PERMISSION…]=[NAME[,NAME…]]"],
    ["message:read", "group 'message:read' is not RESOURCE:PERMISSION[,PERMISSION…]=[NAME[,NAME…]]"],
    ["message=read:a", "group 'message=read:a' is not RESOURCE:PERMISSION[,PERMISSION…]=[NAME[,NAME…]]"],
    ["messages:read=a", "unknown resource type 'messages' (expected message, stream, group, server-group, user, or a number 0..65535)"],
    [" message:read=a", "unknown resource type ' message' (expected message, stream, group, server-group, user, or a number 0..65535)"],
    ["65536:read=a", "unknown resource type '65536' (expected message, stream, group, server-group, user, or a number 0..65535)"],
    ["-1:read=a", "unknown resource type '-1' (expected message, stream, group, server-group, user, or a number 0..65535)"],
    ["message:admin=a", "unknown permission 'admin' (expected read, write, or a number 0..65535)"],
    ["message:=a", "unknown permission '' (expected read, write, or a number 0..65535)"],
    ["message:read,=a", "unknown permission '' (expected read, write, or a number 0..65535)"],
    ["message:read=a,,b", "group 'message:read=a,,b' has an empty name"],
    ["message:read=a,", "group 'message:read=a,' has an empty name"],
    ["message:read=a\\", "a name ends with a lone '\\' ('a\\')"],
    ["message:read=a;message:read=b", "message:read is given twice"],
    ["message:read,read=a", "message:read is given twice"],
    ["0:0=a;message:read=b", "message:read is given twice"],
  ])("%j → Rtm2PermissionsSyntaxError", (notation, message) => {
    expect(thrown(() => parseRtm2Permissions(notation))).toEqual({ type: "Rtm2PermissionsSyntaxError", message });
    expect(Rtm2PermissionsSyntaxError.prototype.name).toBe("Rtm2PermissionsSyntaxError");
  });

  it.each([
    [[], ""],
    [[P(0, [0, ["a"]], [1, ["a"]]), P(4, [0, ["*"]])], "message:read,write=a;user:read=*"],
    [[P(0, [0, ["a"]], [1, ["b"]])], "message:read=a;message:write=b"],
    [[P(1, [0, []])], "stream:read="],
    [[P(9, [7, ["a,b;c\\"]])], "9:7=a\\,b\\;c\\\\"],
  ] as const)("formats %j as %j", (grants, notation) => {
    expect(formatRtm2Permissions(grants)).toBe(notation);
    expect(parseRtm2Permissions(notation)).toEqual(grants);
  });

  it.each([
    ["resource types out of order", [P(4, [0, ["a"]]), P(0, [0, ["a"]])]],
    ["a resource type twice", [P(0, [0, ["a"]]), P(0, [1, ["a"]])]],
    ["permission types out of order", [P(0, [1, ["a"]], [0, ["a"]])]],
    ["a permission type twice", [P(0, [0, ["a"]], [0, ["b"]])]],
    ["an empty name", [P(0, [0, [""]])]],
    ["a resource type without permissions", [P(0)]],
  ])("cannot say exactly what a token holds with %s: null", (_name, grants) => {
    expect(formatRtm2Permissions(grants)).toBeNull();
  });

  it("formatting and reading back gives the same grants, for any grants in Agora's order", () => {
    const name = fc.oneof(fc.constantFrom("*", ",", ";", "\\", "=", ":", " "), fc.string({ minLength: 1, maxLength: 8 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }));
    const grantsArb = fc
      .uniqueArray(
        fc.record({
          resourceType: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 0xffff })),
          permissions: fc
            .uniqueArray(fc.record({ permType: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 0xffff })), resources: fc.array(name, { maxLength: 4 }) }), {
              minLength: 1,
              maxLength: 3,
              selector: (p) => p.permType,
            })
            .map((ps) => ps.sort((a, b) => a.permType - b.permType)),
        }),
        { maxLength: 5, selector: (g) => g.resourceType },
      )
      .map((gs) => gs.sort((a, b) => a.resourceType - b.resourceType));
    fc.assert(
      fc.property(grantsArb, (grants) => {
        const notation = formatRtm2Permissions(grants);
        expect(notation).not.toBeNull();
        expect(parseRtm2Permissions(notation as string)).toEqual(grants);
      }),
      { numRuns: 500 },
    );
  });
});
