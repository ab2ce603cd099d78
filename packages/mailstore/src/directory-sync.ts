import { closeFd, fsyncFd, openFd } from "./fd-io.js";

/**
 * fsync of one directory, shared between concurrent callers (group commit): every caller
 * waits for a sync that began after it asked, so a rename done before `sync()` is durable
 * when it resolves, and ten concurrent deliveries cost one directory fsync, not ten.
 */
export class DirectorySync {
  private fd: Promise<number> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return (this.running = this.run());
    const after = this.running;
    this.queued = after
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return (this.running = this.run());
      });
    return this.queued;
  }

  private async run(): Promise<void> {
    try {
      this.fd ??= openFd(this.dir, "r");
      await fsyncFd(await this.fd);
    } catch (error) {
      this.fd = undefined;
      throw error;
    } finally {
      this.running = undefined;
    }
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    await this.running?.catch(() => undefined);
    const descriptor = await fd?.catch(() => undefined);
    if (descriptor !== undefined) await closeFd(descriptor);
  }
}
