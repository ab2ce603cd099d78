import { describe, expect, it } from "vitest";
import { parsePortList } from "../src/index.js";

describe("parsePortList (nmap's -p syntax)", () => {
  it("reads numbers and ranges, sorted, each once", () => {
    expect(parsePortList("25, 7-9,80,8")).toEqual([7, 8, 9, 25, 80]);
    expect(parsePortList("1-1024")).toHaveLength(1024);
    expect(parsePortList("65535")).toEqual([65535]);
  });

  it('"-" is every port from 1 to 65535', () => {
    const all = parsePortList("-");
    expect(all).toHaveLength(65535);
    expect([all[0], all.at(-1)]).toEqual([1, 65535]);
  });

  it.each([
    ["", /empty/],
    ["abc", /"abc" is not a port or a range/],
    ["80,", /"" is not a port or a range/],
    ["0", /0 is not a port to scan: use 1-65535/],
    ["70000", /70000 is not a port to scan/],
    ["100-90", /100-90 runs backwards: write the lower port first \(90-100\)/],
    ["1-2-3", /"1-2-3" is not a port or a range/],
  ])("refuses %j with a clear reason", (text, reason) => {
    expect(() => parsePortList(text)).toThrow(reason);
  });
});
