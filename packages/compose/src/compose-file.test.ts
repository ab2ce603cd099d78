import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readConfig, SERVICES, type ServiceName, type ServiceSpec } from "@porthost/ports";
import { PROBES } from "@porthost/runner";
import {
  composeModel,
  DATA_DIR_IN_CONTAINER,
  DEFAULT_NODE_IMAGE,
  EVENTS_DIR_IN_CONTAINER,
  publishedPorts,
  renderComposeFile,
  TLS_DIR_IN_CONTAINER,
} from "./compose-file.js";

const ROOT = new URL("../../../", import.meta.url);

interface ComposeService {
  build: { args: Record<string, string> };
  ports: string[];
  environment: Record<string, string>;
  volumes?: string[];
  healthcheck: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  sysctls: Record<string, number>;
  restart: string;
}

function services(table: readonly ServiceSpec[]): Record<string, ComposeService> {
  return (parse(renderComposeFile(table)) as { services: Record<string, ComposeService> }).services;
}

/** The table with HTTPS served as well: what the next app will add. */
const GROWN_TABLE: readonly ServiceSpec[] = SERVICES.map((s) => (s.name === "https" ? { ...s, implemented: true } : s));

describe("docker-compose.yml", () => {
  it("is the file the generator writes from today's table (else: npm run compose:generate)", async () => {
    const committed = await readFile(new URL("docker-compose.yml", ROOT), "utf8");
    expect(committed, "docker-compose.yml is stale: run `npm run compose:generate` and commit it").toBe(
      renderComposeFile(),
    );
  });

  it("publishes every implemented endpoint on the npm start port, to the well-known port inside", () => {
    const local = readConfig({});
    const inside = readConfig({ PORTHOST_PORT_OFFSET: "0", PORTHOST_HOST: "0.0.0.0" });
    const published = publishedPorts();
    const steps = (s: ServiceSpec) =>
      s.sequence ?? s.transports.map((transport) => ({ port: s.wellKnownPort, transport }));
    const expected = [
      ...new Set(
        SERVICES.filter((s) => s.implemented).flatMap((s) => steps(s).map((t) => `${s.name}/${t.port}/${t.transport}`)),
      ),
    ];
    // Grouped by app: each app's services in table order.
    expect(published.map((p) => `${p.service}/${p.containerPort}/${p.transport}`).sort()).toEqual(expected.sort());
    for (const port of published) {
      const sequence = local.services[port.service].sequence;
      if (sequence) {
        expect(port.hostPortVariable).toBeUndefined();
        expect(sequence.map((step) => step.port)).toContain(port.defaultHostPort);
        continue;
      }
      expect(port.defaultHostPort).toBe(local.services[port.service].port);
      expect(port.containerPort).toBe(inside.services[port.service].port);
    }
    expect(published.filter((p) => p.service === "https")).toMatchObject([
      { app: "web", containerPort: 443, defaultHostPort: 8443, hostPortVariable: "PORTHOST_HTTPS_PORT" },
    ]);
    expect(services(SERVICES)["smtp"]?.ports).toContain(
      "${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_SMTP_PORT:-8025}:25/tcp",
    );
  });

  it("leaves out what no app serves yet", () => {
    const today = services(SERVICES);
    const unimplemented = SERVICES.filter((s) => !s.implemented).map((s) => `:${s.wellKnownPort}/`);
    const allPorts = Object.values(today).flatMap((s) => s.ports);
    for (const marker of unimplemented) expect(allPorts.join(" ")).not.toContain(marker);
    expect(Object.keys(today)).toEqual([...new Set(SERVICES.filter((s) => s.implemented).map((s) => s.app))]);
  });

  it("serves echo over UDP, discard on 9 and pop3 on 110 with the mail volume, and grows with the table", () => {
    const today = services(SERVICES);
    expect(today["echo"]?.ports).toEqual([
      "${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_ECHO_PORT:-8007}:7/tcp",
      "${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_ECHO_PORT:-8007}:7/udp",
      "${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_DISCARD_PORT:-8009}:9/tcp",
      "${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_DISCARD_PORT:-8009}:9/udp",
    ]);
    expect(today["echo"]?.healthcheck.test).toEqual(["CMD", "porthost-healthcheck", "echo", "discard"]);
    expect(today["pop3"]?.ports).toContain("${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_POP3_PORT:-8110}:110/tcp");
    expect(today["pop3"]).toMatchObject({
      volumes: ["mail:/data", `tls:${TLS_DIR_IN_CONTAINER}`, "events:/var/lib/porthost:ro"],
      depends_on: { web: { condition: "service_healthy" }, smtp: { condition: "service_healthy" } },
    });
    expect(today["pop3"]?.healthcheck.test.slice(0, 3)).toEqual(["CMD", "porthost-healthcheck", "pop3"]);
    expect(today["web"]?.environment).toMatchObject({
      PORTHOST_POP3_ADDR: "pop3:110",
      PORTHOST_DISCARD_ADDR: "echo:9",
    });
    expect(services(GROWN_TABLE)["web"]?.ports).toContain(
      "${PORTHOST_HOST:-127.0.0.1}:${PORTHOST_HTTPS_PORT:-8443}:443/tcp",
    );
  });

  it("shares the mail volume between the apps that touch mail, and only those", () => {
    const grown = services(SERVICES);
    const withMail = Object.entries(grown)
      .filter(([, s]) => s.volumes?.includes("mail:/data"))
      .map(([name]) => name);
    expect(withMail.sort()).toEqual(["pop3", "smtp", "web"]);
  });

  it("shares one tls volume (the dev CA and leaf) between the apps that serve TLS, at <data dir>/tls", () => {
    const today = services(SERVICES);
    const withTls = Object.entries(today)
      .filter(([, s]) => s.volumes?.includes(`tls:${TLS_DIR_IN_CONTAINER}`))
      .map(([name]) => name);
    expect(withTls.sort()).toEqual(["pop3", "smtp", "web"]);
    expect(TLS_DIR_IN_CONTAINER).toBe(`${DATA_DIR_IN_CONTAINER}/tls`);
    const model = parse(renderComposeFile()) as { volumes: Record<string, unknown> };
    expect(Object.keys(model.volumes)).toContain("tls");
  });

  it("starts the events receiver (web) first and shares the token it makes, read-only for the others", () => {
    const grown = services(GROWN_TABLE);
    expect(grown["web"]?.depends_on).toBeUndefined();
    expect(grown["web"]?.volumes).toContain("events:/var/lib/porthost");
    for (const app of ["smtp", "echo", "pop3"]) {
      expect(grown[app]?.depends_on?.["web"], app).toEqual({ condition: "service_healthy" });
      expect(grown[app]?.volumes, app).toContain("events:/var/lib/porthost:ro");
      expect(grown[app]?.environment, app).toMatchObject({
        PORTHOST_EVENTS_TOKEN_FILE: "/var/lib/porthost/events-token",
      });
    }
    expect(grown["smtp"]?.depends_on).toEqual({ web: { condition: "service_healthy" } });
  });

  it("runs from an image that gives the non-root user the folders the volumes mount on", async () => {
    const dockerfile = await readFile(new URL("Dockerfile", ROOT), "utf8");
    expect(dockerfile).toMatch(new RegExp(`chown node:node ${DATA_DIR_IN_CONTAINER} ${EVENTS_DIR_IN_CONTAINER}`));
    // The tls volume takes this folder's owner and mode: the service's user alone reads the keys.
    expect(dockerfile).toMatch(new RegExp(`chown node:node [^\\n]*${TLS_DIR_IN_CONTAINER}`));
    expect(dockerfile).toContain(`chmod 700 ${TLS_DIR_IN_CONTAINER}`);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it("lets every service bind below 1024 as a non-root user, tells it where the others are and shares the events token", () => {
    for (const [name, service] of Object.entries(services(SERVICES))) {
      expect(service.sysctls, name).toEqual({ "net.ipv4.ip_unprivileged_port_start": 0 });
      expect(service.build.args["APP"]).toBe(name);
      expect(service.environment).toMatchObject({
        PORTHOST_SMTP_ADDR: "smtp:25",
        PORTHOST_HTTP_ADDR: "web:80",
        PORTHOST_EVENTS_TOKEN: "${PORTHOST_EVENTS_TOKEN:-}",
      });
    }
  });

  it("builds from the same default base image the Dockerfile names", async () => {
    const dockerfile = await readFile(new URL("Dockerfile", ROOT), "utf8");
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=${DEFAULT_NODE_IMAGE.replace(/\./g, "\\.")}$`, "m"));
    const model = composeModel() as { services: Record<string, ComposeService> };
    for (const service of Object.values(model.services)) {
      expect(service.build.args["NODE_IMAGE"]).toBe(`\${NODE_IMAGE:-${DEFAULT_NODE_IMAGE}}`);
    }
  });

  it("restarts every container by compose's own policy; a container runs its app alone, not porthost start", async () => {
    for (const [name, service] of Object.entries(services(SERVICES)))
      expect(service.restart, name).toBe("unless-stopped");
    // No supervisor inside, so PORTHOST_RESTART has nothing to do there: the engine restarts the app.
    const dockerfile = await readFile(new URL("Dockerfile", ROOT), "utf8");
    expect(dockerfile).toMatch(/^CMD \["node", "main\.js"\]$/m);
    expect(dockerfile).not.toMatch(/porthost\.js|\bstart\b"/);
  });

  it("has a healthcheck that probes every service it runs, on every transport (but the knocks: a probe would knock)", () => {
    {
      const table = SERVICES;
      const probed = Object.values(services(table)).flatMap((s) => s.healthcheck.test.slice(2)) as ServiceName[];
      const served = table.filter((s) => s.implemented && !s.sequence);
      expect(services(table)["knock"]?.healthcheck.test).toEqual(["CMD", "porthost-healthcheck", "vault"]);
      expect(probed.sort()).toEqual(served.map((s) => s.name).sort());
      for (const spec of served) {
        for (const transport of spec.transports)
          expect(PROBES[spec.name]?.[transport], `${spec.name}/${transport}`).toBeDefined();
      }
    }
  });
});
