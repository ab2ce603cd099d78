import { randomBytes, X509Certificate } from "node:crypto";
import https from "node:https";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { sendMail } from "@porthost/clients";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  composeApps,
  DATA_DIR_IN_CONTAINER,
  publishedPorts,
  TLS_DIR_IN_CONTAINER,
  type PublishedPort,
} from "@porthost/compose";
import { knockOnce, tryVault } from "@porthost/knock";
import { maildirRoot } from "@porthost/mailstore";
import { EVENTS_TOKEN_VARIABLE, type Address } from "@porthost/ports";
import { PROBES, probeService } from "@porthost/runner";
import { compose, composeOk, findComposeCli, publishedAddress, type ComposeProject } from "./compose-cli.js";
import {
  dockerEndpoint,
  dockerGet,
  isPodman,
  projectContainers,
  runPodmanHealthchecks,
  type EngineVersion,
  type HealthTicker,
} from "./docker-api.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PROJECT = "porthost-test";
const HEALTHY_TIMEOUT_MS = 180_000; // 3 min: start_period is 30 s, a slow first start needs more
const POLL_MS = 1_000; // 1 s
const PODMAN_HEALTH_TICK_MS = 2_000; // 2 s
const MAIL_STORED_TIMEOUT_MS = 10_000; // 10 s
const EVENTS_SEEN_TIMEOUT_MS = 10_000; // 10 s: senders batch for 100 ms and back off while web starts
/** A datagram and a connection reach the knock service in no promised order: a pause after each UDP knock. */
const UDP_KNOCK_GAP_MS = 100; // 0.1 s
/** The last knock is a datagram with no answer: the vault is tried until it has been counted. */
const KNOCK_OPEN_TIMEOUT_MS = 5_000; // 5 s

const apps = [...composeApps().keys()];
const endpoints = publishedPorts();
/** The endpoints a client can try without side effects: a connection to a knock port is a knock. */
const probed = endpoints.filter((e) => PROBES[e.service]?.[e.transport] !== undefined);
/** The ports that speak TLS from the first byte, all with the one leaf of the one dev CA. */
const IMPLICIT_TLS = new Set(["https", "submissions", "pop3s"]);
const engine = dockerEndpoint(process.env.DOCKER_HOST);
const timings: Record<string, number> = {};
const published = new Map<PublishedPort, Address>();
let project: ComposeProject;
let healthTicker: HealthTicker | undefined;
let failed = false;

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[label] = Math.round((performance.now() - started) / 100) / 10;
  }
}

async function waitUntilHealthy(): Promise<void> {
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  for (;;) {
    const containers = await projectContainers(engine, PROJECT);
    const broken = containers.filter((c) => c.health === "unhealthy" || ["exited", "dead"].includes(c.status));
    if (broken.length > 0) {
      const why = broken.map(
        (c) => `${c.service}: ${c.status}/${c.health ?? "no healthcheck"} ${c.lastHealthOutput ?? ""}`,
      );
      throw new Error(`not healthy:\n${why.join("\n")}`);
    }
    const healthy = containers.filter((c) => c.health === "healthy").map((c) => c.service);
    if (apps.every((app) => healthy.includes(app))) return;
    if (Date.now() > deadline) {
      const states = containers.map((c) => `${c.service}: ${c.status}/${c.health ?? "no healthcheck"}`);
      const ticker = healthTicker?.lastError();
      throw new Error(
        `services not healthy after ${HEALTHY_TIMEOUT_MS} ms (want ${apps.join(", ")}):\n${states.join("\n")}` +
          (ticker ? `\npodman healthcheck runner: ${ticker}` : ""),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Runs node inside a service's container: the one tool every porthost image is sure to have. */
function nodeInside(app: string, script: string, ...args: string[]): Promise<string> {
  return composeOk(project, ["exec", "-T", app, "node", "-e", script, ...args]);
}

/** Lists "port/transport" for every listening TCP and bound UDP socket in the container's network. */
const LISTENING_SCRIPT = `
const fs = require("fs");
const seen = new Set();
for (const [file, transport, state] of [["tcp", "tcp", "0A"], ["tcp6", "tcp", "0A"], ["udp", "udp", "07"], ["udp6", "udp", "07"]]) {
  let text = "";
  try { text = fs.readFileSync("/proc/net/" + file, "utf8"); } catch { continue; }
  for (const line of text.split("\\n").slice(1)) {
    const f = line.trim().split(/\\s+/);
    if (f.length > 3 && f[3] === state) seen.add(parseInt(f[1].split(":")[1], 16) + "/" + transport);
  }
}
process.stdout.write(JSON.stringify([...seen]));`;

/** Prints the Maildir file that holds a token, or exits 1. */
const FIND_MAIL_SCRIPT = `
const fs = require("fs"), path = require("path");
const [root, token] = process.argv.slice(1);
for (const sub of ["new", "cur"]) {
  let names = [];
  try { names = fs.readdirSync(path.join(root, sub)); } catch { continue; }
  for (const name of names) {
    if (fs.readFileSync(path.join(root, sub, name), "latin1").includes(token)) { process.stdout.write(sub + "/" + name); process.exit(0); }
  }
}
process.exit(1);`;

async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function addressOf(service: string, transport: "tcp" | "udp" = "tcp"): Address {
  const entry = [...published].find(([p]) => p.service === service && p.transport === transport);
  if (!entry) throw new Error(`${service}/${transport} is not published by docker-compose.yml`);
  return entry[1];
}

beforeAll(async () => {
  const cli = findComposeCli(process.env.PORTHOST_COMPOSE);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Host port 0: the engine picks free ports, so the test never collides with a running porthost.
  for (const endpoint of endpoints) if (endpoint.hostPortVariable) env[endpoint.hostPortVariable] ??= "0";
  // No events token is given, as when a newcomer runs `docker compose up`: the web service
  // makes one in the events volume and the others read it there.
  delete env[EVENTS_TOKEN_VARIABLE];
  project = { cli, cwd: REPO_ROOT, project: PROJECT, env };

  const version = await dockerGet<EngineVersion>(engine, "/version").catch((error: Error) => {
    throw new Error(
      `no container engine answers (${error.message}): start Docker, or point DOCKER_HOST at a Docker-compatible API such as podman's (.ci/run shows one way)`,
    );
  });
  console.log(`engine ${isPodman(version) ? "podman" : "docker"} ${version.Version}, compose CLI: ${cli.join(" ")}`);

  await composeOk(project, ["config", "--quiet"]);
  await composeOk(project, ["down", "--volumes", "--remove-orphans", "--timeout", "5"]);
  await timed("build", () => composeOk(project, ["build"], true));
  if (isPodman(version)) healthTicker = runPodmanHealthchecks(engine, PROJECT, PODMAN_HEALTH_TICK_MS);
  await timed("up", () => composeOk(project, ["up", "--detach"], true));
  await timed("healthy", waitUntilHealthy);
  for (const endpoint of endpoints) {
    published.set(endpoint, await publishedAddress(project, endpoint.app, endpoint.containerPort, endpoint.transport));
  }
  console.log(
    "published:",
    [...published].map(([p, a]) => `${p.service}/${p.transport} ${a.host}:${a.port}->${p.containerPort}`).join(", "),
  );
});

afterEach((context) => {
  if (context.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  healthTicker?.stop();
  if (!project) return;
  if (failed || published.size === 0) {
    const logs = await compose(project, ["logs", "--no-color", "--tail=40"]);
    console.log(`--- compose logs (last 40 lines per service)\n${logs.stdout}${logs.stderr}`);
  }
  await timed("down", () => composeOk(project, ["down", "--volumes", "--remove-orphans", "--timeout", "5"]));
  console.log(`test:compose timings (s): ${JSON.stringify(timings)}`);
});

describe("docker compose up", () => {
  it("runs one healthy container per app the service table has", async () => {
    const containers = await projectContainers(engine, PROJECT);
    expect(containers.map((c) => `${c.service}:${c.health}`).sort()).toEqual(apps.map((a) => `${a}:healthy`).sort());
  });

  it("opens the vault to the host after the knock sequence on the published ports, and not before", async () => {
    const vault = addressOf("vault");
    expect(await tryVault(vault.host, vault.port)).toMatchObject({ open: false, code: "ECONNRESET" });
    // The steps in the table's order (publishedPorts keeps it), each on the host port published for it.
    for (const [endpoint, address] of [...published].filter(([p]) => p.service === "knock")) {
      await knockOnce(address.host, { port: address.port, transport: endpoint.transport });
      if (endpoint.transport === "udp") await new Promise((resolve) => setTimeout(resolve, UDP_KNOCK_GAP_MS));
    }
    const answer = await eventually("the vault to open", KNOCK_OPEN_TIMEOUT_MS, async () => {
      const reply = await tryVault(vault.host, vault.port);
      if (!reply.open) throw new Error(`still reset (${reply.code})`);
      return reply;
    });
    expect(answer.greeting).toMatch(/^porthost vault: the door is open to \S+ for/);
  });

  it("has each container listening on its well-known port inside", async () => {
    for (const app of apps) {
      const listening = JSON.parse(await nodeInside(app, LISTENING_SCRIPT)) as string[];
      const wanted = endpoints.filter((e) => e.app === app).map((e) => `${e.containerPort}/${e.transport}`);
      expect(listening, `${app} listens on`).toEqual(expect.arrayContaining(wanted));
    }
  });

  it("answers every published endpoint in its own protocol from the host", async () => {
    for (const [endpoint, address] of published) {
      if (probed.includes(endpoint)) await probeService(endpoint.service, endpoint.transport, address);
    }
  });

  it("publishes on the host ports asked for, to the well-known ports the services report", async () => {
    for (const [endpoint, address] of published) {
      // A knock step has no variable: it is published on its npm start port.
      const asked = endpoint.hostPortVariable
        ? Number(project.env[endpoint.hostPortVariable])
        : endpoint.defaultHostPort;
      if (asked === 0) expect(address.port).toBeGreaterThan(0);
      else expect(address.port, endpoint.hostPortVariable ?? endpoint.service).toBe(asked);
    }
    const web = addressOf("http");
    const body = (await (await fetch(`http://${web.host}:${web.port}/api/ports`)).json()) as {
      portOffset: number;
      services: { name: string; port: number; addr: string }[];
    };
    expect(body.portOffset).toBe(0);
    for (const endpoint of probed) {
      const service = body.services.find((s) => s.name === endpoint.service);
      expect(service?.port, `${endpoint.service} inside`).toBe(endpoint.containerPort);
      expect(service?.addr, `${endpoint.service} address for clients`).toBe(
        `${endpoint.app}:${endpoint.containerPort}`,
      );
    }
  });

  it("stores a mail sent to the SMTP port in the shared Maildir, seen by web and pop3, readable through the web API", async () => {
    const token = `compose-${randomBytes(6).toString("hex")}`;
    const smtp = addressOf("smtp");
    const info = await sendMail(smtp, {
      from: "test@porthost.test",
      to: ["inbox@porthost.test"],
      subject: token,
      text: `sent by test:compose to ${smtp.host}:${smtp.port}`,
    });
    expect(info.response).toMatch(/^250 /);
    const maildir = maildirRoot(DATA_DIR_IN_CONTAINER);
    for (const app of apps.filter((a) => a === "smtp" || a === "web" || a === "pop3")) {
      const file = await eventually(`${app} sees the mail`, MAIL_STORED_TIMEOUT_MS, () =>
        nodeInside(app, FIND_MAIL_SCRIPT, maildir, token),
      );
      expect(file).toMatch(/^(new|cur)\//);
    }
    const web = addressOf("http");
    const listed = await eventually("the web mail API lists the mail", MAIL_STORED_TIMEOUT_MS, async () => {
      const answer = await fetch(`http://${web.host}:${web.port}/api/messages?q=${token}`);
      const body = (await answer.json()) as { messages?: { id: string; subject: string }[] };
      const found = body.messages?.find((m) => m.subject === token);
      if (!found) throw new Error(`GET /api/messages?q=${token} answered ${answer.status} without it`);
      return found;
    });
    const raw = await (await fetch(`http://${web.host}:${web.port}/api/messages/${listed.id}/raw`)).text();
    expect(raw).toContain(`sent by test:compose to ${smtp.host}:${smtp.port}`);
  });

  it("shows connections made from outside in the web's live events", async () => {
    const web = addressOf("http");
    await eventually("web lists events from outside for every published endpoint", EVENTS_SEEN_TIMEOUT_MS, async () => {
      const body = (await (await fetch(`http://${web.host}:${web.port}/api/events`)).json()) as {
        events: { service: string; transport: string; localPort: number; remoteAddress: string }[];
      };
      // Healthchecks come from loopback inside each container; the probes above came from the host.
      const outside = body.events.filter((e) => !["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(e.remoteAddress));
      const missing = probed.filter(
        (e) =>
          !outside.some(
            (o) => o.service === e.service && o.transport === e.transport && o.localPort === e.containerPort,
          ),
      );
      if (missing.length > 0)
        throw new Error(`no event yet for ${missing.map((m) => `${m.service}/${m.transport}`).join(", ")}`);
    });
  });

  it("serves https and every implicit-TLS mail port with one leaf from one dev CA, made once in the shared tls volume", async () => {
    const web = addressOf("http");
    const answer = await fetch(`http://${web.host}:${web.port}/ca.pem`);
    expect(answer.headers.get("content-type")).toBe("application/x-pem-file");
    const ca = await answer.text();
    const fingerprint = new X509Certificate(ca).fingerprint256;
    for (const app of apps.filter((a) => a === "web" || a === "smtp" || a === "pop3")) {
      const inside = await nodeInside(
        app,
        `process.stdout.write(new (require("crypto").X509Certificate)(require("fs").readFileSync(process.argv[1])).fingerprint256)`,
        `${TLS_DIR_IN_CONTAINER}/rootCA.pem`,
      );
      expect(inside, `${app}'s CA`).toBe(fingerprint);
    }
    const secure = addressOf("https");
    const whoami = await new Promise<{ service: string; tls?: { version: string } }>((resolve, reject) => {
      const request = https.get(
        { host: secure.host, port: secure.port, path: "/api/whoami", ca, servername: "localhost", agent: false },
        (response) => {
          let body = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve(JSON.parse(body) as { service: string; tls?: { version: string } }));
        },
      );
      request.on("error", reject);
    });
    expect(whoami).toMatchObject({ service: "https", tls: { version: "TLSv1.3" } });
    for (const [endpoint, address] of published) {
      if (!IMPLICIT_TLS.has(endpoint.service)) continue;
      const socket = tls.connect({ host: address.host, port: address.port, ca, servername: endpoint.app });
      await new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
      });
      expect(socket.authorized, `${endpoint.service} verifies as ${endpoint.app} with the dev CA`).toBe(true);
      socket.destroy();
    }
  });
});
