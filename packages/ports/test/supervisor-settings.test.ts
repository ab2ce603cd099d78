import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkDataDir, isPortConfigError, readConfig, SUPERVISOR_DEFAULTS } from "../src/index.js";

describe("supervisor settings", () => {
  it("restarts by default, after 1 s doubling to 30 s, reset by a healthy minute", () => {
    expect(readConfig({}).supervisor).toEqual(SUPERVISOR_DEFAULTS);
    expect(SUPERVISOR_DEFAULTS).toEqual({
      restart: "always",
      restartFirstDelayMs: 1_000,
      restartMaxDelayMs: 30_000,
      restartResetAfterMs: 60_000,
    });
    expect(readConfig({ PORTHOST_RESTART: "never" }).supervisor.restart).toBe("never");
  });

  it("refuses a bad PORTHOST_RESTART with one line naming it", () => {
    expect(() => readConfig({ PORTHOST_RESTART: "sometimes" })).toThrow(
      'PORTHOST_RESTART="sometimes" is not one of always, never',
    );
  });
});

describe("checkDataDir", () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function scratch(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "porthost-data-"));
    made.push(dir);
    return dir;
  }

  it("makes the data directory and the folders in it, and leaves no probe file behind", () => {
    const data = path.join(scratch(), "fresh", "data");
    const mail = path.join(data, "Maildir", "tmp");
    checkDataDir(data, [path.join(data, "Maildir"), mail]);
    expect(existsSync(mail)).toBe(true);
    expect(readdirSync(mail)).toEqual([]);
    expect(readdirSync(data)).toEqual(["Maildir"]);
  });

  it("stops with one line naming the directory and the reason when a file is in the way", () => {
    const data = scratch();
    writeFileSync(path.join(data, "Maildir"), "not a folder");
    let caught: unknown;
    try {
      checkDataDir(data, [path.join(data, "Maildir"), path.join(data, "Maildir", "tmp")]);
    } catch (error) {
      caught = error;
    }
    expect(isPortConfigError(caught) && caught.code).toBe("PORTHOST_ERR_DATA_DIR");
    const message = (caught as Error).message;
    expect(message).toMatch(
      new RegExp(`^the data directory ${data} \\(PORTHOST_DATA_DIR\\) cannot be used: Maildir is not a directory`),
    );
    expect(message).not.toContain("\n");
  });
});
