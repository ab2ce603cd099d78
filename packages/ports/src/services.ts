/** The services porthost knows, each with the port IANA assigned it. */

export type Transport = "tcp" | "udp";

export type ServiceName = "http" | "https" | "smtp" | "pop3" | "echo" | "discard";

/** The app (process, container) that serves a service. */
export type AppName = "web" | "smtp" | "echo" | "pop3";

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly transports: readonly Transport[];
  readonly wellKnownPort: number;
  readonly description: string;
  readonly rfc: string;
  readonly app: AppName;
  /** False for services the table knows but no app serves yet. */
  readonly implemented: boolean;
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
    name: "https",
    transports: ["tcp"],
    wellKnownPort: 443,
    description: "HTTP over TLS: the same web app, with porthost's development certificate",
    rfc: "RFC 9110, RFC 8446",
    app: "web",
    implemented: true,
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
