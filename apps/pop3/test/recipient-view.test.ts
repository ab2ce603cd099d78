import { describe, expect, it } from "vitest";
import { traceHeaders } from "@porthost/mailstore";
import { recipientView } from "../src/recipient-view.js";
import { testEnvelope } from "@porthost/mailstore/testing";

const envelope = testEnvelope({ rcptTo: ["bob@example.test", "Zoë@example.test", "eve@example.test"], smtputf8: true });
const message = Buffer.concat([traceHeaders(envelope), Buffer.from("Subject: hi\r\n\r\nbody\r\n")]);

async function view(bytes: Buffer, recipient: string | undefined, chunk: number): Promise<string> {
  async function* pieces(): AsyncGenerator<Buffer> {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const out: Buffer[] = [];
  for await (const piece of recipientView(pieces(), recipient)) out.push(piece);
  return Buffer.concat(out).toString("utf8");
}

describe("recipientView: one recipient's copy of a shared file", () => {
  it.each([1, 7, 64, 100_000])(
    "keeps only that recipient's Delivered-To, whatever the chunks (%i bytes)",
    async (chunk) => {
      const zoe = await view(message, "zoë@example.test", chunk);
      expect(zoe.match(/^Delivered-To: .*$/gm)).toEqual(["Delivered-To: Zoë@example.test"]);
      expect(zoe).toBe(message.toString("utf8").replace(/^Delivered-To: (bob|eve)@example\.test\r\n/gm, ""));
    },
  );

  it("changes nothing for the shared maildrop, or for a message without porthost's trace headers", async () => {
    expect(await view(message, undefined, 5)).toBe(message.toString("utf8"));
    const foreign = Buffer.from("Delivered-To: bob@example.test\r\nSubject: x\r\n\r\nhi\r\n");
    expect(await view(foreign, "eve@example.test", 3)).toBe(foreign.toString("utf8"));
  });

  it("a file that ends inside its trace block is passed as it is", async () => {
    const cut = Buffer.from("Return-Path: <a@b.test>\r\nDelivered-To: bob@ex");
    expect(await view(cut, "eve@example.test", 4)).toBe(cut.toString("utf8"));
  });
});
