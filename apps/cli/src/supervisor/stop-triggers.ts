/** The signals that stop `porthost start`: Ctrl-C, kill/systemd/docker/CI, and a closed terminal. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** How often the supervisor checks that whoever started it (npm, a shell, an IDE) is still there. */
export const PARENT_POLL_MS = 500; // 0.5 s

/**
 * Calls `stop` once with the reason when a stop signal arrives or the parent process dies. A
 * parent that dies leaves this process to init (or a subreaper), so its parent pid changes: that
 * catches `npm start` killed with SIGKILL, or a `sh -c` that npm's forwarded SIGTERM ended without
 * passing it on. Returns a function that removes the handlers.
 */
export function onStopRequest(stop: (reason: string) => void): () => void {
  const parent = process.ppid;
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = (): void => stop(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const poll = setInterval(() => {
    if (process.ppid !== parent) stop(`its parent process ${parent} is gone`);
  }, PARENT_POLL_MS);
  poll.unref();
  return () => {
    clearInterval(poll);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
