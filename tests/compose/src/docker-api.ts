import http from "node:http";

/** Where the Docker Engine API listens: DOCKER_HOST (unix:// or tcp://) or Docker's default socket. */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

const DEFAULT_SOCKET = "/var/run/docker.sock";
const API_TIMEOUT_MS = 10_000; // 10 s

export function dockerEndpoint(dockerHost: string | undefined): DockerEndpoint {
  if (!dockerHost) return { socketPath: DEFAULT_SOCKET };
  if (dockerHost.startsWith("unix://")) return { socketPath: dockerHost.slice("unix://".length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(dockerHost);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]) };
  throw new Error(`DOCKER_HOST=${JSON.stringify(dockerHost)} is neither unix:///path nor tcp://host:port`);
}

/** GET on the engine API; resolves with the parsed JSON body of a 2xx answer. */
export function dockerGet<T>(endpoint: DockerEndpoint, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = http.get({ ...endpoint, path, timeout: API_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) reject(new Error(`engine API GET ${path}: ${status} ${body.trim()}`));
        else resolve((body ? JSON.parse(body) : undefined) as T);
      });
    });
    request.on("timeout", () =>
      request.destroy(new Error(`engine API GET ${path}: no answer in ${API_TIMEOUT_MS} ms`)),
    );
    request.on("error", reject);
  });
}

export interface EngineVersion {
  readonly Version: string;
  readonly Components?: readonly { readonly Name: string; readonly Version: string }[];
}

/** Podman's Docker-compatible API names itself in the version's components. */
export function isPodman(version: EngineVersion): boolean {
  return (version.Components ?? []).some((c) => c.Name.toLowerCase().includes("podman"));
}

export interface ContainerState {
  readonly id: string;
  readonly service: string;
  readonly status: string;
  readonly health: string | undefined;
  readonly lastHealthOutput: string | undefined;
}

interface ContainerSummary {
  readonly Id: string;
}

interface ContainerInspect {
  readonly Id: string;
  readonly Config: { readonly Labels: Record<string, string> | null };
  readonly State: {
    readonly Status: string;
    readonly Health?: { readonly Status: string; readonly Log?: readonly { readonly Output: string }[] | null };
  };
}

/** The containers compose made for a project, with their health as the engine reports it. */
export async function projectContainers(endpoint: DockerEndpoint, project: string): Promise<ContainerState[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));
  const list = await dockerGet<ContainerSummary[]>(endpoint, `/containers/json?all=1&filters=${filters}`);
  return Promise.all(
    list.map(async ({ Id }) => {
      const inspect = await dockerGet<ContainerInspect>(endpoint, `/containers/${Id}/json`);
      const log = inspect.State.Health?.Log ?? [];
      return {
        id: inspect.Id,
        service: inspect.Config.Labels?.["com.docker.compose.service"] ?? "?",
        status: inspect.State.Status,
        health: inspect.State.Health?.Status || undefined,
        lastHealthOutput: log.at(-1)?.Output?.trim(),
      };
    }),
  );
}

/**
 * Podman runs healthchecks from systemd timers; where no systemd runs (as in our CI
 * containers) they never run, and compose would wait for `service_healthy` forever. This
 * does the timer's job through podman's own (libpod v4) API: the container's healthcheck still decides.
 */
export interface HealthTicker {
  stop(): void;
  /** The last error the ticker met, for the message when services never turn healthy. */
  lastError(): string | undefined;
}

export function runPodmanHealthchecks(endpoint: DockerEndpoint, project: string, everyMs: number): HealthTicker {
  let running = true;
  let lastError: string | undefined;
  const tick = async (): Promise<void> => {
    while (running) {
      try {
        for (const container of await projectContainers(endpoint, project)) {
          if (container.status === "running" && container.health !== undefined) {
            await dockerGet(endpoint, `/v4.0.0/libpod/containers/${container.id}/healthcheck`);
          }
        }
      } catch (error) {
        // Containers come and go while compose works; the next tick looks again.
        lastError = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
  void tick();
  return {
    stop: () => {
      running = false;
    },
    lastError: () => lastError,
  };
}
