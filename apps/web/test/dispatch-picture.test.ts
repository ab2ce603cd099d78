import { describe, expect, it } from "vitest";
import { doorLabel, layout, pointOnRoute, serviceGroups, type PortRow } from "../ui/src/dispatch-layout.js";
import { DRAWN_PER_SECOND, Sampler, samplingText } from "../ui/src/dispatch-sampler.js";

function row(name: string, app: string, wellKnownPort: number, transports: ("tcp" | "udp")[]): PortRow {
  return {
    name,
    app,
    wellKnownPort,
    port: wellKnownPort + 8000,
    transports,
    portSource: "offset",
    rangeClass: "user",
    addr: `127.0.0.1:${wellKnownPort + 8000}`,
    description: name,
    rfc: "",
    implemented: true,
    status: "up",
  };
}

const FRAME_MS = 16;

/** Offers `perSecond` arrivals a second for `seconds`, taking a frame every 16 ms; returns what was drawn. */
function run(sampler: Sampler<number>, perSecond: number, seconds: number, start = 0): number[] {
  const drawn: number[] = [];
  let next = 0;
  for (let now = start; now < start + seconds * 1_000; now += FRAME_MS) {
    const due = Math.floor(((now - start + FRAME_MS) * perSecond) / 1_000);
    for (; next < due; next++) sampler.offer(next, now);
    drawn.push(...sampler.take(now));
  }
  return drawn;
}

describe("the dispatch picture's sampler", () => {
  it("draws every arrival while the rate is within its budget, and says nothing", () => {
    const sampler = new Sampler<number>();
    const drawn = run(sampler, 20, 3);
    expect(drawn).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(samplingText(sampler.rate(3_000))).toBe("");
  });

  it("at 1,000 a second draws an even sample within its budget and says 1 in how many", () => {
    const sampler = new Sampler<number>();
    const drawn = run(sampler, 1_000, 4);
    // The budget, plus one bucket's burst at the start.
    expect(drawn.length).toBeLessThanOrEqual(DRAWN_PER_SECOND * 4 + 24);
    expect(drawn.length).toBeGreaterThan(DRAWN_PER_SECOND * 3);
    // Spread over the whole run, not the first arrivals only.
    expect(Math.max(...drawn)).toBeGreaterThan(3_800);
    const text = samplingText(sampler.rate(4_000));
    const n = Number(/^drawing 1 in (\d+)$/.exec(text)?.[1]);
    expect(n).toBeGreaterThanOrEqual(20);
    expect(n).toBeLessThanOrEqual(30);
  });

  it("stops saying it samples once the flood is over", () => {
    const sampler = new Sampler<number>();
    run(sampler, 1_000, 2);
    expect(samplingText(sampler.rate(2_000))).not.toBe("");
    run(sampler, 5, 3, 2_000);
    expect(samplingText(sampler.rate(5_000))).toBe("");
  });
});

describe("the dispatch picture's doors", () => {
  it("gives one door per port and transport, services of one app together, apps by their lowest well-known port", () => {
    const groups = serviceGroups([
      row("http", "web", 80, ["tcp"]),
      row("smtp", "smtp", 25, ["tcp"]),
      row("echo", "echo", 7, ["tcp", "udp"]),
      row("submissions", "smtp", 465, ["tcp"]),
      row("https", "web", 443, ["tcp"]),
    ]);
    expect(groups.map((g) => g.name)).toEqual(["echo", "smtp", "submissions", "http", "https"]);
    expect(groups[0]!.doors.map((d) => d.key)).toEqual(["8007/tcp", "8007/udp"]);
    expect(groups[0]!.doors[0]!.wellKnownPort).toBe(7);
  });

  it("gives a knock sequence one door per port it knocks on, with each step's number", () => {
    const knock: PortRow = {
      ...row("knock", "knock", 1022, ["udp", "tcp"]),
      sequence: [
        { port: 9022, transport: "udp" },
        { port: 9021, transport: "tcp" },
        { port: 9022, transport: "udp" },
      ],
    };
    const [group] = serviceGroups([knock]);
    expect(group!.doors.map((d) => [d.key, d.step])).toEqual([
      ["9022/udp", { index: [1, 3], of: 3 }],
      ["9021/tcp", { index: [2], of: 3 }],
    ]);
    expect(group!.doors.map(doorLabel)).toEqual(["9022 (1022)", "9021 (1021)"]);
  });

  it("places every door inside its service's box, and a route from the client's port to the service", () => {
    const groups = serviceGroups([row("echo", "echo", 7, ["tcp", "udp"]), row("smtp", "smtp", 25, ["tcp"])]);
    for (const width of [360, 1200]) {
      const g = layout(width, groups);
      expect(g.narrow).toBe(width < 620);
      for (const place of g.groups) {
        for (const door of place.group.doors) {
          const y = g.doors.get(door.key)!.y;
          expect(y).toBeGreaterThan(place.top);
          expect(y).toBeLessThan(place.bottom);
        }
      }
      expect(g.serviceRight).toBeLessThan(width);
      const slotY = g.slots[2]!;
      const doorY = g.doors.get("8025/tcp")!.y;
      expect(pointOnRoute(g, slotY, doorY, 0)).toEqual([g.clientX, slotY]);
      expect(pointOnRoute(g, slotY, doorY, 1)).toEqual([g.serviceX, doorY]);
    }
  });
});
