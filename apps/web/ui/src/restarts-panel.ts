import type { AppRestart, RestartList } from "./api-types.js";
import { errorText, getJson } from "./api.js";
import { el } from "./dom.js";
import type { EventStream } from "./event-stream.js";
import { clock } from "./format.js";

function how(restart: AppRestart): string {
  return restart.signal ? `killed by ${restart.signal}` : `exit code ${String(restart.exitCode)}`;
}

function line(restart: AppRestart): string {
  const wait = `${restart.restartInMs / 1000} s`;
  const after = restart.backAt
    ? `started again after ${wait}, back at ${clock(restart.backAt)}`
    : `restarting in ${wait}…`;
  return `${clock(restart.exitedAt)} ${restart.app} stopped (${how(restart)}); ${after} (restart ${restart.restart})`;
}

/**
 * The apps `porthost start` restarted after they stopped on their own, newest first: read from
 * /api/events/restarts, then kept up to date by the event stream. Hidden while there are none.
 */
export class RestartsPanel {
  private readonly restarts = new Map<number, AppRestart>();

  constructor(
    private readonly root: HTMLElement,
    stream: EventStream,
  ) {
    stream.onRestart((restart) => {
      this.restarts.set(restart.id, restart);
      this.render();
    });
  }

  async refresh(): Promise<void> {
    try {
      const { restarts } = await getJson<RestartList>("/api/events/restarts");
      // A restarted web service is handed the list again; ids restart with porthost start itself.
      this.restarts.clear();
      for (const restart of restarts) this.restarts.set(restart.id, restart);
      this.render();
    } catch (error) {
      this.root.hidden = false;
      this.root.replaceChildren(el("p", { class: "error" }, `Could not read restarts (${errorText(error)})`));
    }
  }

  private render(): void {
    const newest = [...this.restarts.values()].sort((a, b) => b.id - a.id);
    this.root.hidden = newest.length === 0;
    this.root.replaceChildren(
      el("h3", {}, "Restarts"),
      el(
        "ul",
        {},
        ...newest.map((r) => el("li", { "data-app": r.app, "data-state": r.backAt ? "back" : "down" }, line(r))),
      ),
    );
  }
}
