import { ConnectionTlsSchema } from "@porthost/events/schema";
import { Type, type Static, type TSchema } from "typebox";

/** The replies of GET /api/ports, /api/whoami and /api/whois/:query: what port numbers mean here. */

const list = <T extends TSchema>(item: T) => Type.Immutable(Type.Array(item));
const TransportSchema = Type.Enum(["tcp", "udp"], { type: "string" });
const RangeClassSchema = Type.Enum(["system", "user", "dynamic"], { type: "string", description: "IANA's range" });
export type RangeClass = Static<typeof RangeClassSchema>;

export const PortEntrySchema = Type.Object({
  name: Type.String(),
  transports: list(TransportSchema),
  wellKnownPort: Type.Integer(),
  port: Type.Integer({ description: "the port this service listens on" }),
  portSource: Type.String({ description: "which setting gave the port" }),
  rangeClass: RangeClassSchema,
  addr: Type.String({ description: "where a client of this service connects (PORTHOST_<SERVICE>_ADDR)" }),
  description: Type.String(),
  rfc: Type.String(),
  app: Type.String({ description: "the porthost app that serves it" }),
  implemented: Type.Boolean(),
  sequence: Type.Optional(
    Type.Immutable(
      Type.Array(Type.Object({ port: Type.Integer(), transport: TransportSchema }), {
        description: "knock only: the knock sequence's ports in order, each on its transport",
      }),
    ),
  ),
  status: Type.Enum(["up", "down", "not served"], {
    type: "string",
    description: "live: whether the service's TCP port accepts a connection at addr now",
  }),
});
export type PortEntry = Static<typeof PortEntrySchema>;

export const PortsReplySchema = Type.Object(
  {
    host: Type.String({ description: "the address the services bind (PORTHOST_HOST)" }),
    portOffset: Type.Integer({ description: "PORTHOST_PORT_OFFSET: local port = well-known port + offset" }),
    dataDir: Type.String({
      description:
        "PORTHOST_DATA_DIR as the web service resolved it (the Maildir is <dataDir>/Maildir); a path inside the container under compose",
    }),
    services: list(PortEntrySchema),
  },
  { description: "the service table, each service with its port here and whether it answers now" },
);
export type PortsReply = Static<typeof PortsReplySchema>;

const endpoint = (description: string) =>
  Type.Object(
    {
      address: Type.String(),
      port: Type.Integer(),
      rangeClass: RangeClassSchema,
      inEphemeralRange: Type.Optional(
        Type.Boolean({
          description: "whether the port lies in this server machine's ephemeral range (Linux ip_local_port_range)",
        }),
      ),
    },
    { description },
  );

export const WhoamiSchema = Type.Object(
  {
    client: endpoint("your side: the address and the ephemeral port your system picked"),
    server: endpoint("this side: the address and port that took the connection"),
    service: Type.String({ description: "the porthost service that answered" }),
    transport: TransportSchema,
    tls: Type.Optional(ConnectionTlsSchema),
    httpVersion: Type.String(),
    method: Type.String(),
    url: Type.String(),
    headers: Type.Record(Type.String(), Type.String(), { description: "your request's headers" }),
  },
  { description: "both ends of your connection and the request as it arrived" },
);
export type Whoami = Static<typeof WhoamiSchema>;

const AssignmentSchema = Type.Object({
  port: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  transports: list(TransportSchema),
});

const ServicesEntrySchema = Type.Object({
  name: Type.String(),
  port: Type.Integer(),
  transport: Type.String(),
  aliases: list(Type.String()),
  comment: Type.Optional(Type.String()),
});

const known = {
  wellKnown: list(AssignmentSchema),
  servicesDatabase: list(ServicesEntrySchema),
};

const PortWhoisSchema = Type.Object({
  kind: Type.Literal("port"),
  port: Type.Integer(),
  rangeClass: RangeClassSchema,
  rangeLabel: Type.String(),
  ...known,
  porthost: list(
    Type.Object({
      service: Type.String(),
      transports: list(Type.String()),
      as: Type.Enum(["listens", "well-known"], {
        type: "string",
        description: "listens: porthost binds this number now; well-known: the service's assigned number",
      }),
      implemented: Type.Boolean(),
      knocks: Type.Optional(
        list(Type.Integer({ minimum: 1, description: "a knock sequence's steps at this number, 1 for the first" })),
      ),
      sequenceLength: Type.Optional(Type.Integer({ minimum: 1, description: "how many knocks the sequence has" })),
    }),
  ),
  ephemeral: Type.Optional(
    Type.Object(
      {
        range: Type.Object({ low: Type.Integer(), high: Type.Integer() }),
        contains: Type.Boolean(),
      },
      { description: "this machine's ephemeral range, where it is known, and whether the number lies in it" },
    ),
  ),
});

const NameWhoisSchema = Type.Object({
  kind: Type.Literal("name"),
  name: Type.String(),
  ...known,
  porthost: Type.Optional(
    Type.Object(
      {
        name: Type.String(),
        transports: list(TransportSchema),
        wellKnownPort: Type.Integer(),
        port: Type.Integer(),
        portSource: Type.String(),
        addr: Type.Object({ host: Type.String(), port: Type.Integer() }),
        description: Type.String(),
        rfc: Type.String(),
        app: Type.String(),
        implemented: Type.Boolean(),
      },
      { description: "the porthost service of that name" },
    ),
  ),
});

export const WhoisSchema = Type.Union([PortWhoisSchema, NameWhoisSchema], {
  description: "what porthost, the seed texts and this machine's services database say about a number or name",
});
export type Whois = Static<typeof WhoisSchema>;
