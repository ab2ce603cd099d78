/** The JSON the page reads, as the web service's response schemas describe it (see /api/docs). */

export type RangeClass = "system" | "user" | "dynamic";

export interface PortEntry {
  name: string;
  transports: ("tcp" | "udp")[];
  wellKnownPort: number;
  port: number;
  portSource?: string;
  rangeClass: RangeClass;
  addr: string;
  description: string;
  rfc: string;
  app: string;
  implemented: boolean;
  status?: "up" | "down" | "not served";
}

export interface PortsResponse {
  host: string;
  portOffset: number;
  services: PortEntry[];
}

export interface ConnectionEvent {
  id: number;
  time: string;
  service: string;
  transport: "tcp" | "udp";
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  outcome: string;
  detail?: string;
}

export interface Endpoint {
  address: string;
  port: number;
  rangeClass?: RangeClass;
  inEphemeralRange?: boolean;
}

export interface Whoami {
  client: Endpoint;
  server: Endpoint;
  service: string;
  transport: string;
}

export interface Envelope {
  mailFrom: string | null;
  rcptTo: string[];
  client: { address: string; port: number; helo?: string | null };
  server: { address: string; port: number };
  tls: unknown;
  authUser: string | null;
  receivedAt: string;
}

export interface MessageSummary {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  date: string | null;
  receivedAt: string;
  size: number;
  flags: string;
  envelope: Envelope | null;
}

export interface MessageList {
  messages: MessageSummary[];
  total: number;
  nextCursor: string | null;
}

export interface Attachment {
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
}

export interface Message {
  summary: MessageSummary;
  headers: { name: string; value: string }[];
  text: string | null;
  html: string | null;
  attachments: Attachment[];
}

export interface SendResult {
  server: string;
  localPort: number;
  response: string;
  accepted: string[];
  id?: string;
}

export interface EchoResult {
  transport: "tcp" | "udp";
  local: { address: string; port: number };
  remote: { address: string; port: number };
  sent: number;
  received: string;
  roundTripMs: number;
}

export interface Assignment {
  port: number;
  name: string;
  description: string;
  transports: string[];
}

export interface ServicesEntry {
  name: string;
  port: number;
  transport: string;
  aliases: string[];
}

export type Whois =
  | {
      kind: "port";
      port: number;
      rangeClass: RangeClass;
      rangeLabel: string;
      wellKnown: Assignment[];
      servicesDatabase: ServicesEntry[];
      porthost: { service: string; transports: string[]; as: "listens" | "well-known"; implemented: boolean }[];
      ephemeral?: { range: { low: number; high: number }; contains: boolean };
    }
  | {
      kind: "name";
      name: string;
      porthost?: { name: string; port: number; wellKnownPort: number; transports: string[]; description: string };
      wellKnown: Assignment[];
      servicesDatabase: ServicesEntry[];
    };
