import { Document, isPair, isScalar, isSeq, visit } from "yaml";
import {
  addrVariable,
  DEFAULT_PORT_OFFSET,
  EVENTS_TOKEN_FILE_VARIABLE,
  EVENTS_TOKEN_VARIABLE,
  portVariable,
  SERVICES,
  type AppName,
  type ServiceName,
  type ServiceSpec,
  type Transport,
} from "@porthost/ports";

/** The base image when NODE_IMAGE is not set; the Dockerfile's `ARG NODE_IMAGE` default must match. */
export const DEFAULT_NODE_IMAGE = "node:22-bookworm-slim";
/** Where the mail volume sits in every container (PORTHOST_DATA_DIR in the image). */
export const DATA_DIR_IN_CONTAINER = "/data";
export const MAIL_VOLUME = "mail";
/**
 * The dev CA and its leaf (@porthost/devcert): a volume of their own, mounted where resolveTls
 * looks (<data dir>/tls), so that deleting mail never makes a new CA that clients must trust again.
 * The image creates the folder, owned by the service's user.
 */
export const TLS_VOLUME = "tls";
export const TLS_DIR_IN_CONTAINER = `${DATA_DIR_IN_CONTAINER}/tls`;
/** The apps that serve TLS (their main.ts calls resolveTls): they share one CA and leaf. */
const TLS_APPS: ReadonlySet<AppName> = new Set(["web", "smtp", "pop3"]);
/** The volume holding the events token the web service makes, and where it sits (the image creates the folder). */
export const EVENTS_VOLUME = "events";
export const EVENTS_DIR_IN_CONTAINER = "/var/lib/porthost";
export const EVENTS_TOKEN_FILE_IN_CONTAINER = `${EVENTS_DIR_IN_CONTAINER}/events-token`;
/** The app that receives every other app's connection events (and so starts first). */
const EVENTS_RECEIVER: AppName = "web";
/** The command the image puts on PATH (packages/runner/bin/porthost-healthcheck.js). */
export const HEALTHCHECK_COMMAND = "porthost-healthcheck";

/** What each app does with the mail volume: smtp writes the Maildir, web and pop3 read it. */
const MAIL_USE: Readonly<Record<AppName, "writes" | "reads" | "none">> = {
  web: "reads",
  smtp: "writes",
  echo: "none",
  pop3: "reads",
  knock: "none",
};

/** Healthcheck timing: a probe answers in under HEALTH_PROBE_TIMEOUT_MS (3 s). */
const HEALTHCHECK = { interval: "5s", timeout: "5s", retries: 3, start_period: "30s" } as const;

export interface PublishedPort {
  readonly app: AppName;
  readonly service: ServiceName;
  readonly transport: Transport;
  /** The port inside the container: the well-known one. */
  readonly containerPort: number;
  /** The host port when no variable overrides it: the one `npm start` uses. */
  readonly defaultHostPort: number;
  /** The variable that moves the host port, as for `npm start`; none for a step of the knock sequence. */
  readonly hostPortVariable?: string;
}

/** The services a compose file runs: every implemented one, grouped by the app that serves it. */
export function composeApps(services: readonly ServiceSpec[] = SERVICES): Map<AppName, ServiceSpec[]> {
  const apps = new Map<AppName, ServiceSpec[]>();
  for (const service of services) {
    if (!service.implemented) continue;
    apps.set(service.app, [...(apps.get(service.app) ?? []), service]);
  }
  return apps;
}

/** Every endpoint compose publishes, tcp and udp, in table order (a sequence's steps in its order). */
export function publishedPorts(services: readonly ServiceSpec[] = SERVICES): PublishedPort[] {
  return [...composeApps(services)].flatMap(([app, specs]) =>
    specs.flatMap((spec) => {
      const steps = spec.sequence ?? spec.transports.map((transport) => ({ port: spec.wellKnownPort, transport }));
      // A sequence's steps move with the offset only: one variable cannot move several ports.
      const variable = spec.sequence ? {} : { hostPortVariable: portVariable(spec.name) };
      const unique = steps.filter(
        (step, i) => steps.findIndex((o) => o.port === step.port && o.transport === step.transport) === i,
      );
      return unique.map(({ port, transport }) => ({
        app,
        service: spec.name,
        transport,
        containerPort: port,
        defaultHostPort: port + DEFAULT_PORT_OFFSET,
        ...variable,
      }));
    }),
  );
}

function portMapping(port: PublishedPort): string {
  const hostPort =
    port.hostPortVariable === undefined
      ? String(port.defaultHostPort)
      : `\${${port.hostPortVariable}:-${port.defaultHostPort}}`;
  return `\${PORTHOST_HOST:-127.0.0.1}:${hostPort}:${port.containerPort}/${port.transport}`;
}

/** Variables compose hands from the host's environment to every container, unset when unset. */
const PASSED_THROUGH = ["PORTHOST_HTTP_ALLOWED_HOSTS", "PORTHOST_MAX_CONNECTIONS_PER_ADDRESS"] as const;

/** The compose file as a plain object (the Compose Specification, no `version` key). */
export function composeModel(services: readonly ServiceSpec[] = SERVICES): Record<string, unknown> {
  const apps = composeApps(services);
  const ports = publishedPorts(services);
  // Every container learns where every service is, by compose service name and well-known port,
  // and shares the events token: PORTHOST_EVENTS_TOKEN when set, else the one the web service
  // writes into the events volume on its first start (the others read it, read-only).
  const environment = {
    ...Object.fromEntries(
      [...apps].flatMap(([app, specs]) => specs.map((s) => [addrVariable(s.name), `${app}:${s.wellKnownPort}`])),
    ),
    [EVENTS_TOKEN_VARIABLE]: `\${${EVENTS_TOKEN_VARIABLE}:-}`,
    [EVENTS_TOKEN_FILE_VARIABLE]: EVENTS_TOKEN_FILE_IN_CONTAINER,
    // Settings a user sets on the host for the containers: the host names the web answers to (it
    // binds 0.0.0.0 there, reached by the machine's name), and one address's share of connections
    // (every client on the host reaches a container from one gateway address).
    ...Object.fromEntries(PASSED_THROUGH.map((variable) => [variable, `\${${variable}:-}`])),
  };
  const receiver = apps.has(EVENTS_RECEIVER) ? EVENTS_RECEIVER : undefined;
  const writer = [...apps.keys()].find((app) => MAIL_USE[app] === "writes");
  const composeServices = Object.fromEntries(
    [...apps].map(([app, specs]) => {
      const usesMail = MAIL_USE[app] !== "none";
      const volumes = [
        ...(usesMail ? [`${MAIL_VOLUME}:${DATA_DIR_IN_CONTAINER}`] : []),
        ...(TLS_APPS.has(app) ? [`${TLS_VOLUME}:${TLS_DIR_IN_CONTAINER}`] : []),
        `${EVENTS_VOLUME}:${EVENTS_DIR_IN_CONTAINER}${app === receiver ? "" : ":ro"}`,
      ];
      // The events receiver first, so the token exists and every first connection is reported;
      // readers of the Maildir once its writer is healthy, so the Maildir exists when they look.
      const after = [
        ...(receiver && app !== receiver ? [receiver] : []),
        ...(MAIL_USE[app] === "reads" && writer && app !== receiver ? [writer] : []),
      ];
      const definition = {
        build: {
          context: ".",
          target: "runtime",
          args: { APP: app, NODE_IMAGE: `\${NODE_IMAGE:-${DEFAULT_NODE_IMAGE}}` },
        },
        restart: "unless-stopped",
        // Lets the non-root service bind its well-known port below 1024 (Docker sets it; podman may not).
        sysctls: { "net.ipv4.ip_unprivileged_port_start": 0 },
        environment,
        ports: ports.filter((p) => p.app === app).map(portMapping),
        volumes,
        // A knock sequence is not probed: a connection to it is a knock (its app's vault is probed).
        healthcheck: {
          test: ["CMD", HEALTHCHECK_COMMAND, ...specs.filter((s) => !s.sequence).map((s) => s.name)],
          ...HEALTHCHECK,
        },
        ...(after.length > 0
          ? { depends_on: Object.fromEntries(after.map((a) => [a, { condition: "service_healthy" }])) }
          : {}),
      };
      return [app, definition];
    }),
  );
  return { services: composeServices, volumes: { [MAIL_VOLUME]: {}, [TLS_VOLUME]: {}, [EVENTS_VOLUME]: {} } };
}

export const COMPOSE_FILE_HEADER = [
  "# Generated from the service table (packages/ports/src/services.ts) by `npm run compose:generate`;",
  "# edit the table or packages/compose/src/compose-file.ts and regenerate, not this file.",
  "# Host ports follow `npm start`: PORTHOST_<SERVICE>_PORT and PORTHOST_HOST move them.",
].join("\n");

/** The text of docker-compose.yml. */
export function renderComposeFile(services: readonly ServiceSpec[] = SERVICES): string {
  const document = new Document(composeModel(services), { aliasDuplicateObjects: false });
  visit(document, {
    Pair(_, pair) {
      // The exec form of a healthcheck reads best on one line, as in Docker's documentation.
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === "test" && isSeq(pair.value)) {
        pair.value.flow = true;
        for (const item of pair.value.items) if (isScalar(item)) item.type = "QUOTE_DOUBLE";
      }
    },
    Scalar(_, scalar) {
      // Quoted, as compose's documentation advises for ports and anything with ${...} or a colon.
      if (typeof scalar.value === "string" && /[$:]/.test(scalar.value)) scalar.type = "QUOTE_DOUBLE";
    },
  });
  return `${COMPOSE_FILE_HEADER}\n${document.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}
