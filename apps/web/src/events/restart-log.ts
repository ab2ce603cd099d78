import { MAX_KEPT_RESTARTS, type AppRestart } from "@porthost/events/restart";

export type RestartListener = (restart: AppRestart) => void;

/**
 * The apps `porthost start` restarted, as its supervisor hands them over (the whole list each
 * time, over IPC); listeners (the event streams) hear each new or updated one once.
 */
export class RestartLog {
  private restarts: readonly AppRestart[] = [];
  private readonly listeners = new Set<RestartListener>();

  replace(restarts: readonly AppRestart[]): void {
    const known = new Map(this.restarts.map((r) => [r.id, r]));
    const kept = restarts.slice(-MAX_KEPT_RESTARTS);
    this.restarts = kept;
    for (const restart of kept) {
      const before = known.get(restart.id);
      if (before && before.backAt === restart.backAt) continue;
      for (const listener of this.listeners) listener(restart);
    }
  }

  /** Oldest first. */
  all(): readonly AppRestart[] {
    return this.restarts;
  }

  subscribe(listener: RestartListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
