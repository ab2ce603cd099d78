import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRestart } from "@porthost/events";
import { testConfig } from "./test-config.js";
import { buildWeb, type WebService } from "../src/index.js";

const killed: AppRestart = {
  id: 1,
  app: "smtp",
  exitedAt: "2026-12-03T03:00:00.000Z",
  exitCode: null,
  signal: "SIGKILL",
  restartInMs: 1_000,
  restart: 1,
};

let web: WebService;
let base: string;
beforeAll(async () => {
  web = await buildWeb({ config: testConfig(), port: 0 });
  base = `http://127.0.0.1:${(await web.listen())[0]!.port}`;
});
afterAll(() => web.close());

describe("restarts on the switchboard", () => {
  it("GET /api/events/restarts lists what the supervisor handed over, and streams each new or updated one", async () => {
    expect(await (await fetch(`${base}/api/events/restarts`)).json()).toEqual({ restarts: [] });
    const frames: string[] = [];
    const request = http.get(`${base}/api/events/stream`);
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on("response", resolve));
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => frames.push(chunk));
    await expect.poll(() => frames.join("")).toContain("retry:");

    web.hub.restarts.replace([killed]);
    const back = { ...killed, backAt: "2026-12-03T03:00:01.500Z" };
    web.hub.restarts.replace([back]);
    web.hub.restarts.replace([back]); // unchanged: not streamed again
    await expect.poll(() => frames.join("")).toContain('"backAt"');
    const restartFrames = frames.join("").match(/event: restart\ndata: .*\n\n/g) ?? [];
    expect(restartFrames.map((f) => JSON.parse(f.split("data: ")[1]!) as AppRestart)).toEqual([killed, back]);
    request.destroy();

    expect(await (await fetch(`${base}/api/events/restarts`)).json()).toEqual({ restarts: [back] });
  });
});
