import { open, type FileHandle } from "node:fs/promises";

/**
 * fsync of one directory, shared between concurrent callers (group commit): every caller
 * waits for a sync that began after it asked, so a rename done before `sync()` is durable
 * when it resolves, and ten concurrent deliveries cost one directory fsync, not ten.
 */
export class DirectorySync {
  private handle: Promise<FileHandle> | undefined;
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
      this.handle ??= open(this.dir, "r");
      const handle = await this.handle;
      await handle.sync();
    } catch (error) {
      this.handle = undefined;
      throw error;
    } finally {
      this.running = undefined;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await this.running?.catch(() => undefined);
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
