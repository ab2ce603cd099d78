/**
 * The SMTP envelope of one message: what the client said outside the message itself. It is
 * stored in the message as trace headers (see trace-headers.ts).
 */
export interface Envelope {
  /** MAIL FROM, "" for the null reverse path `<>`. */
  readonly mailFrom: string;
  /** RCPT TO, in order, Bcc recipients included. */
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
