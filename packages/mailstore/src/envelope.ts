import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * Where envelopes live: a directory in the Maildir root with no leading dot, so Maildir++
 * readers (Dovecot, Python's mailbox.Maildir.list_folders) do not take it for a folder, and
 * mutt and mailbox.Maildir, which read only new/ and cur/, never see it.
 */
export const ENVELOPE_DIR = "porthost-envelopes";

/** The SMTP envelope of one message: what the client said outside the message itself. */
export interface Envelope {
  /** MAIL FROM, "" for the null reverse path `<>`. */
  readonly mailFrom: string;
  /** RCPT TO, in order; Bcc recipients appear only here. */
  readonly rcptTo: readonly string[];
  readonly client: {
    readonly address: string;
    readonly port: number;
    /** The name the client gave in HELO/EHLO. */
    readonly helo: string;
  };
  readonly server: { readonly address: string; readonly port: number };
  /** The TLS protocol and cipher after STARTTLS, or null for a clear-text session. */
  readonly tls: { readonly protocol: string; readonly cipher: string } | null;
  /** The user that authenticated with AUTH, or null. */
  readonly authUser: string | null;
  /** When the message was accepted, ISO 8601. */
  readonly receivedAt: string;
  /** The client asked for SMTPUTF8 (UTF-8 addresses and headers). */
  readonly smtputf8: boolean;
  /** The BODY parameter of MAIL FROM (7BIT or 8BITMIME), or null when not given. */
  readonly body: string | null;
}

export function envelopePath(root: string, id: string): string {
  return path.join(root, ENVELOPE_DIR, `${id}.json`);
}

/** A message's envelope, or null when it has none (put there by another program). */
export async function readEnvelope(root: string, id: string): Promise<Envelope | null> {
  try {
    return JSON.parse(await readFile(envelopePath(root, id), "utf8")) as Envelope;
  } catch {
    return null;
  }
}
