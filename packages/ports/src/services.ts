/** The services porthost knows, each with the port IANA assigned it. */

export type Transport = "tcp" | "udp";

export type ServiceName =
  "http" | "https" | "smtp" | "submission" | "submissions" | "pop3" | "pop3s" | "echo" | "discard" | "knock" | "vault";

/** The app (process, container) that serves a service. */
export type AppName = "web" | "smtp" | "echo" | "pop3" | "knock";

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly transports: readonly Transport[];
  readonly wellKnownPort: number;
  readonly description: string;
  readonly rfc: string;
  readonly app: AppName;
  /** False for services the table knows but no app serves yet. */
  readonly implemented: boolean;
  /**
   * A service of several endpoints in order (the knock sequence), as well-known numbers: each
   * moves with the offset; `wellKnownPort` is the first, `transports` those the steps use.
   */
  readonly sequence?: readonly { readonly port: number; readonly transport: Transport }[];
}

export const SERVICES: readonly ServiceSpec[] = Object.freeze([
  {
    name: "http",
    transports: ["tcp"],
    wellKnownPort: 80,
    description: "Hypertext Transfer Protocol: the static site, the JSON API and the switchboard",
    rfc: "RFC 9110",
    app: "web",
    implemented: true,
  },
  {
    name: "smtp",
    transports: ["tcp"],
    wellKnownPort: 25,
    description: "Simple Mail Transfer Protocol: mail in, stored in a Maildir",
    rfc: "RFC 5321",
    app: "smtp",
    implemented: true,
  },
  {
    name: "submission",
    transports: ["tcp"],
    wellKnownPort: 587,
    description: "Message submission: SMTP for mail programs, STARTTLS then AUTH before any mail",
    rfc: "RFC 6409",
    app: "smtp",
    implemented: true,
  },
  {
    name: "submissions",
    transports: ["tcp"],
    wellKnownPort: 465,
    description: "Message submission over TLS from the first byte (implicit TLS), then AUTH",
    rfc: "RFC 8314",
    app: "smtp",
    implemented: true,
  },
  {
    name: "echo",
    transports: ["tcp", "udp"],
    wellKnownPort: 7,
    description: "Echo Protocol: every byte sent comes back",
    rfc: "RFC 862",
    app: "echo",
    implemented: true,
  },
  {
    name: "discard",
    transports: ["tcp", "udp"],
    wellKnownPort: 9,
    description: "Discard Protocol: every byte sent is thrown away",
    rfc: "RFC 863",
    app: "echo",
    implemented: true,
  },
  {
    name: "pop3",
    transports: ["tcp"],
    wellKnownPort: 110,
    description: "Post Office Protocol version 3: mail out, read from the same Maildir",
    rfc: "RFC 1939",
    app: "pop3",
    implemented: true,
  },
  {
    name: "pop3s",
    transports: ["tcp"],
    wellKnownPort: 995,
    description: "POP3 over TLS from the first byte (implicit TLS)",
    rfc: "RFC 8314",
    app: "pop3",
    implemented: true,
  },
  {
    name: "https",
    transports: ["tcp"],
    wellKnownPort: 443,
    description: "HTTP over TLS: the same web app, with porthost's development certificate",
    rfc: "RFC 9110, RFC 8446",
    app: "web",
    implemented: true,
  },
  {
    // RFC 4727's "exp1" (1021), one of the two numbers IANA keeps for experiments: the vault is
    // no real service, and no registered one is squatted (1021/1022 + 8000 lands on 9021/9022).
    name: "vault",
    transports: ["tcp"],
    wellKnownPort: 1021,
    description: "A one-line greeting behind the knock: reset unless your address knocked",
    rfc: "RFC 4727 (exp1)",
    app: "knock",
    implemented: true,
  },
  {
    // RFC 4727's "exp1" and "exp2" (1021, 1022) again: one number on two transports is two doors.
    name: "knock",
    transports: ["udp", "tcp"],
    wellKnownPort: 1022,
    description: "Port knocking: these ports in order open the vault to your address for a while",
    rfc: "RFC 4727 (exp1, exp2)",
    app: "knock",
    implemented: true,
    sequence: [
      { port: 1022, transport: "udp" },
      { port: 1022, transport: "tcp" },
      { port: 1021, transport: "udp" },
    ],
  },
] satisfies ServiceSpec[]);

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

export function serviceSpec(name: ServiceName): ServiceSpec {
  const spec = SERVICES.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown service ${name}`);
  return spec;
}
