import { spawn, spawnSync } from "node:child_process";

/** The Compose CLI found here, as argv prefix: `docker compose` (v2) or `docker-compose` (v1). */
/** `override` (PORTHOST_COMPOSE) names the CLI to use, e.g. "docker-compose" or "podman compose". */
export function findComposeCli(override: string | undefined): string[] {
  const candidates = override ? [override.split(/\s+/)] : [["docker", "compose"], ["docker-compose"]];
  for (const candidate of candidates) {
    const [command, ...args] = candidate as [string, ...string[]];
    const probe = spawnSync(command, [...args, "version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  throw new Error(
    override
      ? `PORTHOST_COMPOSE=${JSON.stringify(override)} does not run (\`${override} version\` failed)`
      : "test:compose needs the Compose CLI (`docker compose` or `docker-compose`) and a Docker-compatible engine " +
          "(Docker, or podman serving its Docker API with DOCKER_HOST set; .ci/run shows one way to set that up)",
  );
}

export interface ComposeProject {
  readonly cli: readonly string[];
  readonly cwd: string;
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface ComposeResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one compose command for the project; `show` streams its output (builds take minutes). */
export function compose(project: ComposeProject, args: readonly string[], show = false): Promise<ComposeResult> {
  const [command, ...prefix] = project.cli as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, "--project-name", project.project, ...args], {
      cwd: project.cwd,
      env: project.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (show) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (show) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Like compose(), but a non-zero exit is an error that carries what the command said. */
export async function composeOk(project: ComposeProject, args: readonly string[], show = false): Promise<string> {
  const result = await compose(project, args, show);
  if (result.code !== 0) {
    const said = show ? "" : `\n${result.stderr.trim()}\n${result.stdout.trim()}`;
    throw new Error(`\`${[...project.cli, ...args].join(" ")}\` exited with ${result.code}${said}`);
  }
  return result.stdout;
}

/** `compose port`: the host address a container port is published on, e.g. 127.0.0.1:39527. */
export async function publishedAddress(
  project: ComposeProject,
  service: string,
  containerPort: number,
  transport: "tcp" | "udp",
): Promise<{ host: string; port: number }> {
  const out = (await composeOk(project, ["port", `--protocol=${transport}`, service, String(containerPort)])).trim();
  const match = /^(.*):(\d+)$/.exec(out.split("\n")[0] ?? "");
  if (!match?.[1] || !match[2])
    throw new Error(`compose port ${service} ${containerPort}/${transport} said ${JSON.stringify(out)}`);
  const host = match[1] === "0.0.0.0" ? "127.0.0.1" : match[1].replace(/^\[|\]$/g, "");
  return { host, port: Number(match[2]) };
}
