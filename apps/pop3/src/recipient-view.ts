import { MAX_TRACE_BYTES, recipientTop } from "@porthost/mailstore";

/**
 * A stored message as one recipient's maildrop shows it (PORTHOST_POP3_MAILBOX=recipient): the
 * file is shared by all its recipients, but each sees only its own `Delivered-To:` line, as if
 * it had its own copy, so a Bcc stays blind. Without a recipient the bytes pass unchanged.
 */
export async function* recipientView(
  source: AsyncIterable<Buffer>,
  recipient: string | undefined,
): AsyncGenerator<Buffer> {
  if (recipient === undefined) {
    yield* source;
    return;
  }
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of source) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const top = recipientTop(head, recipient);
    if (top === undefined && head.length < MAX_TRACE_BYTES) continue;
    yield top ?? head;
    head = undefined;
  }
  if (head !== undefined && head.length > 0) yield head; // the file ended inside its trace block
}
