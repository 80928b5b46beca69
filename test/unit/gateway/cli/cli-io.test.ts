import { describe, expect, it } from "vitest";
import { joinNegativeValues } from "../../../../gateway/cli/cli-io.js";

describe("joinNegativeValues", () => {
  const options = { step: { type: "string" }, processes: { type: "string" }, json: { type: "boolean" } } as const;

  it("joins a negative number, with or without a unit, to the string option before it", () => {
    expect(joinNegativeValues(["--processes", "-1"], options)).toEqual(["--processes=-1"]);
    expect(joinNegativeValues(["--step", "-5m", "--json"], options)).toEqual(["--step=-5m", "--json"]);
    expect(joinNegativeValues(["--step", "-1.5h"], options)).toEqual(["--step=-1.5h"]);
  });

  it("leaves flags, boolean options, joined values and unknown options alone", () => {
    expect(joinNegativeValues(["--json", "-1"], options)).toEqual(["--json", "-1"]);
    expect(joinNegativeValues(["--step", "-h"], options)).toEqual(["--step", "-h"]);
    expect(joinNegativeValues(["--step=-5m"], options)).toEqual(["--step=-5m"]);
    expect(joinNegativeValues(["--bogus", "-5"], options)).toEqual(["--bogus", "-5"]);
    expect(joinNegativeValues(["--step", "--json"], options)).toEqual(["--step", "--json"]);
  });
});
