import { readFileSync } from "node:fs";
import type { Transport } from "./services.js";

export interface Assignment {
  readonly port: number;
  readonly name: string;
  readonly description: string;
  readonly transports: readonly Transport[];
}

/** The well-known assignments the seed texts name (RFC 349's first five, and the notable ones). */
export const WELL_KNOWN: readonly Assignment[] = Object.freeze([
  {
    port: 1,
    name: "telnet (1972)",
    description: "Telnet, the first official assignment (RFC 349); today tcpmux",
    transports: ["tcp"],
  },
  { port: 3, name: "ftp (1972)", description: "File transfer in RFC 349's first assignments", transports: ["tcp"] },
  { port: 5, name: "rje", description: "Remote job entry (RFC 349)", transports: ["tcp"] },
  { port: 7, name: "echo", description: "Echo: every byte comes back (RFC 862)", transports: ["tcp", "udp"] },
  { port: 9, name: "discard", description: "Discard: every byte is thrown away (RFC 863)", transports: ["tcp", "udp"] },
  { port: 20, name: "ftp-data", description: "File Transfer Protocol (FTP) data transfer", transports: ["tcp"] },
  { port: 21, name: "ftp", description: "File Transfer Protocol (FTP) command control", transports: ["tcp"] },
  { port: 22, name: "ssh", description: "Secure Shell (SSH) secure login", transports: ["tcp"] },
  { port: 23, name: "telnet", description: "Telnet remote login, unencrypted text", transports: ["tcp"] },
  { port: 25, name: "smtp", description: "Simple Mail Transfer Protocol (SMTP) email delivery", transports: ["tcp"] },
  { port: 53, name: "domain", description: "Domain Name System (DNS)", transports: ["tcp", "udp"] },
  { port: 67, name: "bootps", description: "DHCP server (clients always send from 68)", transports: ["udp"] },
  { port: 68, name: "bootpc", description: "DHCP client (servers always listen on 67)", transports: ["udp"] },
  {
    port: 80,
    name: "http",
    description: "Hypertext Transfer Protocol (HTTP), the World Wide Web",
    transports: ["tcp"],
  },
  { port: 110, name: "pop3", description: "Post Office Protocol (POP3), fetching mail", transports: ["tcp"] },
  { port: 119, name: "nntp", description: "Network News Transfer Protocol (NNTP)", transports: ["tcp"] },
  { port: 123, name: "ntp", description: "Network Time Protocol (NTP)", transports: ["udp"] },
  {
    port: 143,
    name: "imap",
    description: "Internet Message Access Protocol (IMAP), managing mail",
    transports: ["tcp"],
  },
  { port: 161, name: "snmp", description: "Simple Network Management Protocol (SNMP)", transports: ["udp"] },
  { port: 194, name: "irc", description: "Internet Relay Chat (IRC)", transports: ["tcp"] },
  { port: 443, name: "https", description: "HTTP Secure (HTTPS), HTTP over TLS", transports: ["tcp"] },
  { port: 546, name: "dhcpv6-client", description: "DHCPv6 client", transports: ["udp"] },
  { port: 547, name: "dhcpv6-server", description: "DHCPv6 server", transports: ["udp"] },
  {
    port: 8080,
    name: "http-alt",
    description: "HTTP on another port, as in http://www.example.com:8080/path/",
    transports: ["tcp"],
  },
] satisfies Assignment[]);

export interface ServicesEntry {
  readonly name: string;
  readonly port: number;
  readonly transport: string;
  readonly aliases: readonly string[];
  readonly comment?: string;
}

export const SERVICES_DATABASE_FILE = "/etc/services";

/** Parses the services(5) database: `name port/protocol [aliases...] [# comment]`. */
export function parseServicesDatabase(text: string): ServicesEntry[] {
  const entries: ServicesEntry[] = [];
  for (const line of text.split("\n")) {
    const hash = line.indexOf("#");
    const body = (hash === -1 ? line : line.slice(0, hash)).trim();
    if (body === "") continue;
    const [name, portProto, ...aliases] = body.split(/\s+/);
    const match = portProto ? /^(\d+)\/(\w+)$/.exec(portProto) : null;
    if (!name || !match) continue;
    const port = Number(match[1]);
    if (port > 65535) continue;
    const comment = hash === -1 ? undefined : line.slice(hash + 1).trim() || undefined;
    entries.push({ name, port, transport: match[2] ?? "", aliases, ...(comment ? { comment } : {}) });
  }
  return entries;
}

let cached: { file: string; entries: readonly ServicesEntry[] } | undefined;

/** This machine's services database, read once; empty where the file does not exist. */
export function readServicesDatabase(file: string = SERVICES_DATABASE_FILE): readonly ServicesEntry[] {
  if (cached?.file === file) return cached.entries;
  let entries: readonly ServicesEntry[];
  try {
    entries = Object.freeze(parseServicesDatabase(readFileSync(file, "utf8")));
  } catch {
    entries = [];
  }
  cached = { file, entries };
  return entries;
}
