import { Readable } from "node:stream";
import { MailStore } from "@porthost/mailstore";
import { testEnvelope } from "@porthost/mailstore/testing";
import { scratchDir } from "./scratch.js";
import { MESSAGE_BYTES } from "./smtp-source.js";

/**
 * porthost's store with no SMTP in front: `deliver()` of 2 KB messages by `concurrency`
 * callers at once, in this process. Each delivery is what a 250 waits for (durable write in
 * tmp/, rename into new/, fsync of new/), so this rate is the ceiling the disk and kernel set
 * for the SMTP service on this machine, whatever the protocol side costs.
 */
export async function storeAlone(messages: number, concurrency: number): Promise<number> {
  const store = await MailStore.open(await scratchDir("porthost-bench-store-"), { watch: false });
  const body = Buffer.alloc(MESSAGE_BYTES, "x");
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < messages) {
          next += 1;
          await store.deliver(Readable.from([body]), {
            envelope: testEnvelope({ mailFrom: "bench@example.test", rcptTo: ["sink@example.test"] }),
          });
        }
      }),
    );
    return messages / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}
