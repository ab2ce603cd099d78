import { Type, type Static } from "typebox";

/** How a connection or datagram ended; a small closed set the live view colours by. */
export const OUTCOMES = ["ok", "refused", "timeout", "error", "limited", "dropped"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const TRANSPORTS = ["tcp", "udp"] as const;
export type EventTransport = (typeof TRANSPORTS)[number];

/** How TLS began: "implicit" from the first byte (465, 995, 443), "starttls" upgraded by STARTTLS or STLS on a plain port. */
export const TLS_MODES = ["implicit", "starttls"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export const EVENTS_PATH = "/api/events";
/** The most events in one POST; the web service refuses larger batches. */
export const MAX_BATCH_EVENTS = 100;
export const MAX_DETAIL_CHARS = 200;
const MAX_SERVICE_CHARS = 32;
/** A hard ceiling so a hostile body cannot claim absurd numbers (1 PiB, about 31 years). */
const MAX_BYTES = 2 ** 50;
const MAX_DURATION_MS = 1e12;
const MAX_TLS_NAME_CHARS = 64;

const port = (description: string) => Type.Integer({ minimum: 0, maximum: 65535, description });
const byteCount = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_BYTES, description });

/** The TLS a connection ran under, as Node's TLSSocket reports it (getProtocol(), getCipher().name). */
export const ConnectionTlsSchema = Type.Object(
  {
    version: Type.String({ maxLength: MAX_TLS_NAME_CHARS, description: 'the protocol version, e.g. "TLSv1.3"' }),
    cipher: Type.String({
      maxLength: MAX_TLS_NAME_CHARS,
      description: 'the cipher suite, e.g. "TLS_AES_256_GCM_SHA384"',
    }),
    mode: Type.Enum(TLS_MODES, {
      type: "string",
      description: "implicit: TLS from the first byte; starttls: a plain connection upgraded by STARTTLS or STLS",
    }),
  },
  { additionalProperties: false },
);
export type ConnectionTls = Static<typeof ConnectionTlsSchema>;

/** One TCP connection or one UDP datagram, as a service saw it: what every service posts to the web service. */
export const ConnectionEventSchema = Type.Object(
  {
    time: Type.String({
      format: "date-time",
      pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$",
      description: "when the connection opened or the datagram arrived (ISO 8601, UTC)",
    }),
    service: Type.String({
      pattern: "^[a-z][a-z0-9-]*$",
      maxLength: MAX_SERVICE_CHARS,
      description: "the porthost service that took it (echo, discard, smtp, http, ...)",
    }),
    transport: Type.Enum(TRANSPORTS, { type: "string" }),
    localPort: port("the server's port: the number that chose the service"),
    remoteAddress: Type.Union([Type.String({ format: "ipv4" }), Type.String({ format: "ipv6" })], {
      description: "the client's IP address",
    }),
    remotePort: port("the client's (usually ephemeral) port"),
    bytesIn: byteCount("bytes from the client"),
    bytesOut: byteCount("bytes to the client"),
    durationMs: Type.Number({ minimum: 0, maximum: MAX_DURATION_MS }),
    outcome: Type.Enum(OUTCOMES, { type: "string" }),
    detail: Type.Optional(
      Type.String({
        maxLength: MAX_DETAIL_CHARS,
        description: "why, in a few words, when the outcome is not plain ok",
      }),
    ),
    tls: Type.Optional(ConnectionTlsSchema),
    probe: Type.Optional(
      Type.Boolean({
        description:
          "true for a port check: a TCP client that connected and closed without sending a byte (the switchboard's status probe, porthost scan, nmap -sT), not a failed session",
      }),
    ),
    status: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 599,
        description: "HTTP only: the status code the request was answered with",
      }),
    ),
    session: Type.Optional(
      Type.String({
        pattern: "^[0-9a-v]{16}$",
        description: "SMTP and POP3: the session on record, its transcript at GET /api/sessions/<id>",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ConnectionEvent = Static<typeof ConnectionEventSchema>;

/** What the sender posts to `/api/events` in one request. */
export const EventBatchSchema = Type.Object(
  { events: Type.Array(ConnectionEventSchema, { maxItems: MAX_BATCH_EVENTS }) },
  { additionalProperties: false },
);
export type EventBatch = Static<typeof EventBatchSchema>;
