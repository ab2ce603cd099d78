import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordProbe } from "./probe-table.js";
import { startHostileHost, type HostileHost } from "./hostile-host.js";

let host: HostileHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host.close());

describe("HTTP redirects", () => {
  it("a folder's path with a doubled slash is never redirected to a location starting with //", async () => {
    const response = await fetch(`http://127.0.0.1:${host.port("http")}//mime`, { redirect: "manual" });
    const location = response.headers.get("location") ?? "(none)";
    const held = !location.startsWith("//");
    expect(
      recordProbe({
        probe: "HTTP: GET //mime (open redirect)",
        limit: "Location never starts with //",
        observed: `${response.status} Location: ${location}`,
        held,
      }),
    ).toBe(true);
  });
});
