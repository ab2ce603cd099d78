import { Readable } from "node:stream";
import { MailStore } from "@porthost/mailstore";
import { testEnvelope } from "@porthost/mailstore/testing";
import { scratchDir } from "./scratch.js";
import { MESSAGE_BYTES } from "./smtp-source.js";

export interface StoreAloneSettings {
  /** Retention, as the SMTP service passes PORTHOST_MAIL_MAX. */
  readonly maxMessages?: number;
  /** Messages delivered before the timed ones (not timed), as the SMTP runs are filled first. */
  readonly prefill?: number;
}

/**
 * porthost's store with no SMTP in front: `deliver()` of 2 KB messages by `concurrency`
 * callers at once, in this process. Each delivery is what a 250 waits for (durable write in
 * tmp/, rename into new/, fsync of new/), so this rate is the ceiling the disk and kernel set
 * for the SMTP service on this machine, whatever the protocol side costs.
 */
export async function storeAlone(
  messages: number,
  concurrency: number,
  settings: StoreAloneSettings = {},
): Promise<number> {
  const store = await MailStore.open(await scratchDir("porthost-bench-store-"), {
    watch: false,
    ...(settings.maxMessages === undefined ? {} : { maxMessages: settings.maxMessages }),
  });
  const body = Buffer.alloc(MESSAGE_BYTES, "x");
  const deliverMany = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next += 1;
          await store.deliver(Readable.from([body]), {
            envelope: testEnvelope({ mailFrom: "bench@example.test", rcptTo: ["sink@example.test"] }),
          });
        }
      }),
    );
  };
  try {
    await deliverMany(settings.prefill ?? 0);
    const started = performance.now();
    await deliverMany(messages);
    return messages / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}
