import { readdirSync } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { isMissing } from "./fd-io.js";
import { bareAddress } from "./recipients.js";

/**
 * Beside tmp/, new/ and cur/ (Maildir readers pass over other names, as they do Dovecot's
 * index files): which recipients deleted a message that is still kept for its other recipients.
 */
export const RECIPIENT_DELETIONS_DIR = "porthost-deleted";

/** A recipient as a file name: any address, `/` and `..` included, is one safe name. */
function fileName(recipient: string): string {
  return encodeURIComponent(bareAddress(recipient)).replace(/\./g, "%2E");
}

/**
 * One maildrop per recipient over one shared file per message: when a recipient deletes a
 * message (POP3's DELE in PORTHOST_POP3_MAILBOX=recipient), an empty file
 * `porthost-deleted/<id>/<recipient>` records it, and the message leaves that recipient's
 * maildrop only; the message file goes when its last recipient deletes it. Each recipient
 * writes only its own marker and then reads them all, so two recipients deleting at once
 * cannot both miss the other: whoever reads last removes the file.
 */
export class RecipientDeletions {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, RECIPIENT_DELETIONS_DIR);
  }

  /** Records that `recipient` deleted message `id`; returns every recipient that has (bare addresses). */
  async record(id: string, recipient: string): Promise<Set<string>> {
    const messageDir = path.join(this.dir, id);
    await mkdir(messageDir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(messageDir, fileName(recipient)), "", { mode: 0o600 });
    return new Set((await readdir(messageDir)).map((name) => decodeURIComponent(name)));
  }

  /** The ids of the messages `recipient` deleted that are kept for others. */
  async deletedBy(recipient: string): Promise<Set<string>> {
    let ids: string[];
    try {
      ids = await readdir(this.dir);
    } catch (error) {
      if (isMissing(error)) return new Set();
      throw error;
    }
    const name = fileName(recipient);
    const deleted = await Promise.all(
      ids.map((id) =>
        stat(path.join(this.dir, id, name)).then(
          () => id,
          () => undefined,
        ),
      ),
    );
    return new Set(deleted.filter((id) => id !== undefined));
  }

  /** The ids of every message some recipient deleted (one directory read). */
  recorded(): Set<string> {
    // Read at once (a prune asks, and the directory is small): an asynchronous read would wait
    // in libuv's threads behind the deliveries' fsyncs while the Maildir grows.
    try {
      return new Set(readdirSync(this.dir));
    } catch (error) {
      if (isMissing(error)) return new Set();
      throw error;
    }
  }

  /** Drops a message's records once the message itself is gone. */
  async forget(id: string): Promise<void> {
    await rm(path.join(this.dir, id), { recursive: true, force: true });
  }
}
