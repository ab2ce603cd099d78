import { Type, type Static } from "typebox";

/** The bodies and replies of POST /api/send and POST /api/echo: the web service as a client of the other ports. */

const ADDRESS_PATTERN = "^[^\\s@<>]+@[^\\s@<>]+$";
const MAX_ADDRESS_CHARS = 254;
const MAX_SUBJECT_CHARS = 998; // RFC 5322's line limit
const MAX_TEXT_CHARS = 100_000;
const MAX_RECIPIENTS = 20;
const MAX_UDP_PAYLOAD_BYTES = 65_507; // the largest UDP payload over IPv4

export const SEND_DEFAULTS = {
  from: "porthost@localhost",
  subject: "Hello from porthost",
  text: "Sent from porthost's web service.",
} as const;
export const DEFAULT_ECHO_TRANSPORT = "tcp";

const address = Type.String({ pattern: ADDRESS_PATTERN, maxLength: MAX_ADDRESS_CHARS });

export const SendBodySchema = Type.Object(
  {
    from: Type.Optional(
      Type.String({ pattern: ADDRESS_PATTERN, maxLength: MAX_ADDRESS_CHARS, default: SEND_DEFAULTS.from }),
    ),
    to: Type.Union([address, Type.Array(address, { minItems: 1, maxItems: MAX_RECIPIENTS })]),
    subject: Type.Optional(Type.String({ maxLength: MAX_SUBJECT_CHARS, default: SEND_DEFAULTS.subject })),
    text: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS, default: SEND_DEFAULTS.text })),
    html: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
  },
  { additionalProperties: false },
);
/** What a client sends: `to` alone is enough. */
export type SendRequest = Static<typeof SendBodySchema>;

export const SendResultSchema = Type.Object(
  {
    server: Type.String({ description: "the SMTP service it went to (host:port)" }),
    localPort: Type.Integer({ description: "the ephemeral port the web service's side used" }),
    response: Type.String({ description: "the server's final reply, e.g. 250 2.0.0 Ok: queued as <id>" }),
    messageId: Type.String(),
    accepted: Type.Immutable(Type.Array(Type.String())),
    id: Type.Optional(Type.String({ description: "the stored message's id, from the 250 reply" })),
  },
  { description: "the SMTP service took the mail" },
);
export type SendResult = Static<typeof SendResultSchema>;

export const EchoBodySchema = Type.Object(
  {
    text: Type.String({
      minLength: 1,
      maxLength: MAX_UDP_PAYLOAD_BYTES,
      description: "what to send; comes back unchanged",
    }),
    transport: Type.Optional(Type.Enum(["tcp", "udp"], { type: "string", default: DEFAULT_ECHO_TRANSPORT })),
  },
  { additionalProperties: false },
);
export type EchoRequest = Static<typeof EchoBodySchema>;

const endpoint = (description: string) =>
  Type.Object({ address: Type.String(), port: Type.Integer() }, { description });

export const EchoResultSchema = Type.Object(
  {
    transport: Type.Enum(["tcp", "udp"], { type: "string" }),
    local: endpoint("the web service's side: its ephemeral port"),
    remote: endpoint("the echo service's side"),
    sent: Type.Integer({ description: "bytes sent" }),
    received: Type.String(),
    roundTripMs: Type.Number(),
  },
  { description: "the text came back" },
);
export type EchoResult = Static<typeof EchoResultSchema>;
