import { spawn, type ChildProcess } from "node:child_process";
import { open, readdir, readFile, writeFile } from "node:fs/promises";
import { once } from "node:events";
import http, { type OutgoingHttpHeaders } from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cleanEnvironment } from "@porthost/ports";
import { ephemeralPorts, startPorthost } from "@porthost/testkit";

/** The porthost command, as `npm start` runs it (after its build). */
const BIN = fileURLToPath(new URL("../../../apps/cli/bin/porthost.js", import.meta.url));
const BARE_NODE = fileURLToPath(new URL("./bare-node.mjs", import.meta.url));
/** The web service alone, as the supervisor starts it. */
const WEB_MAIN = fileURLToPath(new URL("../../../apps/web/dist/main.js", import.meta.url));
/** The built site porthost serves by default; nginx serves the same folder. */
export const SITE = fileURLToPath(new URL("../../../apps/web/dist/site", import.meta.url));

export interface RunningServer {
  readonly port: number;
  /** The processes that answer, for their CPU time. */
  readonly pids: readonly number[];
  /** Stops it; `requests` is how many wrk made, for servers that must log each one. */
  stop(requests: number): Promise<void>;
}

export interface RunningPorthost extends RunningServer {
  /** The web service's own process (a child of the supervisor). */
  readonly webPid: number;
}

function freePort(): Promise<number> {
  const probe = net.createServer();
  return new Promise((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts on port (nginx says nothing when it is ready). */
async function accepting(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing came up on port ${port}`);
}

/** Waits for a child to exit after a signal, so the next server never runs beside a stopping one. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** CPU time a process has used so far, user and system, in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** The child of `parent` whose command line has `command` in it, waiting up to 10 s for it. */
async function childRunning(parent: number, command: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    for (const task of await readdir(`/proc/${parent}/task`)) {
      const children = (await readFile(`/proc/${parent}/task/${task}/children`, "utf8")).split(" ").filter(Boolean);
      for (const child of children) {
        if ((await readFile(`/proc/${child}/cmdline`, "utf8")).includes(command)) return Number(child);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`process ${parent} has no child running ${command}`);
}

/**
 * `porthost start` as users run it: every service, default settings and log level, on ports the
 * kernel picks, with a fresh data folder. Its output is read as a terminal would be; at stop,
 * there must be a request line for every request to `page` wrk made, or this is not the default.
 */
export async function startPorthostAsUsersDo(dataDir: string, page: string): Promise<RunningPorthost> {
  const ports = Object.entries(ephemeralPorts());
  const porthost = await startPorthost(BIN, { PORTHOST_DATA_DIR: dataDir, ...Object.fromEntries(ports) });
  const stdout = porthost.process.stdout!;
  const webPid = await childRunning(porthost.process.pid!, "apps/web/dist/main.js");
  const ended = new Promise((resolve) => stdout.once("end", resolve));
  let logged = 0;
  let partial = "";
  stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("latin1")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.includes("  request  ") && line.includes(page)) logged += 1;
  });
  return {
    port: porthost.port("http"),
    webPid,
    pids: [webPid, porthost.process.pid!],
    async stop(requests) {
      await porthost.stop();
      await ended;
      if (logged < requests) throw new Error(`porthost logged ${logged} request lines for ${requests} requests`);
    },
  };
}

/**
 * The web service's own process without the supervisor, its log going to a file as nginx's
 * access log does: tells the supervisor's cost (a terminal's worth of log lines) from the web's.
 */
export async function startWebAlone(dir: string, page: string): Promise<RunningServer> {
  const port = await freePort();
  const logFile = path.join(dir, `web-alone-${port}.log`);
  const log = await open(logFile, "w");
  const env = cleanEnvironment({ PORTHOST_HTTP_PORT: String(port), PORTHOST_DATA_DIR: dir });
  const child = spawn(process.execPath, [WEB_MAIN], { env, stdio: ["ignore", log.fd, "inherit"] });
  await log.close();
  await accepting(port);
  return {
    port,
    pids: [child.pid!],
    async stop(requests) {
      await stopChild(child, "SIGTERM");
      const lines = (await readFile(logFile, "utf8")).split("\n");
      const logged = lines.filter((line) => line.includes('"msg":"request"') && line.includes(page)).length;
      if (logged < requests) throw new Error(`the web service logged ${logged} request lines for ${requests} requests`);
    },
  };
}

/** The headers porthost answers `page` with (as wrk asks: no Accept-Encoding), less node's own. */
export function headersOf(port: number, page: string): Promise<OutgoingHttpHeaders> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: page, agent: false }, (response) => {
        response.resume();
        const { date: _date, connection: _connection, "keep-alive": _keepAlive, ...headers } = response.headers;
        resolve(headers);
      })
      .on("error", reject);
  });
}

/** A bare node:http server in a process of its own, answering every request with `file` and `headers`. */
export async function startBareNode(file: string, headers: OutgoingHttpHeaders): Promise<RunningServer> {
  const child = spawn(process.execPath, [BARE_NODE, file, JSON.stringify(headers)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return { port: Number(line), pids: [child.pid!], stop: () => stopChild(child, "SIGTERM") };
}

/** nginx with one worker, sendfile and an access log, serving SITE. */
export async function startNginx(dir: string): Promise<RunningServer> {
  const port = await freePort();
  const conf = path.join(dir, "nginx.conf");
  await writeFile(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log ${dir}/access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir};
  server { listen 127.0.0.1:${port}; root ${SITE}; }
}
`,
  );
  const child = spawn("nginx", ["-c", conf, "-p", dir], { stdio: ["ignore", "ignore", "inherit"] });
  await accepting(port);
  // The master only waits; its one worker answers.
  return {
    port,
    pids: [child.pid!, await childRunning(child.pid!, "nginx: worker")],
    stop: () => stopChild(child, "SIGQUIT"),
  };
}
