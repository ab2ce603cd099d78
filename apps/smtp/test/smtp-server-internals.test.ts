import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { SMTPServer } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const installed = (require("smtp-server/package.json") as { version: string }).version;
const pinned = (require("../package.json") as { dependencies: Record<string, string> }).dependencies["smtp-server"];

/**
 * The parts of smtp-server that src/porthost-smtp-server.ts replaces or calls beyond its documented
 * options, each with the sha256 of its source in the pinned version. smtp-server has no option for
 * the early-talker delay, so porthost replaces SMTPConnection#init, nor a hook for a failed TLS handshake; when any of these changes, read
 * the new source, adapt porthost-smtp-server.ts, then record the new fingerprint here.
 */
const reliedOn = [
  {
    name: "SMTPConnection#init",
    method: SMTPConnection.prototype.init,
    use: "PorthostConnection.init is a copy of it with the greeting delay, the session deadline and porthost's maxClients reply",
    sha256: "1265a7d7ca8f5510b4ce94ce4c52bdc127a13b6ef912ec7f9dec69be7a662918",
  },
  {
    name: "SMTPConnection#_setListeners",
    method: SMTPConnection.prototype._setListeners,
    use: "PorthostConnection.init calls it to wire the socket and be called back when the session may start",
    sha256: "cf07ab6f47db09acf796970e44196427a39c0d8f357d207ec797ca08f10027f5",
  },
  {
    name: "SMTPConnection#connectionReady",
    method: SMTPConnection.prototype.connectionReady,
    use: "PorthostConnection.init calls it after the greeting delay to greet",
    sha256: "361a2b1de88fbf67ef10e475034bcc7c3cecd09687cf7df361277e80f3eda09f",
  },
  {
    name: "SMTPConnection#send",
    method: SMTPConnection.prototype.send,
    use: "PorthostConnection.send passes context false for a reply that carries its own enhanced code",
    sha256: "c33568c0111a58b2d16786c2ffebbeef6f040c6914742bbcae1c3b3b2507efcb",
  },
  {
    name: "SMTPConnection#_getEnhancedStatusCode",
    method: SMTPConnection.prototype._getEnhancedStatusCode,
    use: "PorthostConnection.send relies on context false (no code) and DATA_OK (2.6.0, replaced by 2.0.0)",
    sha256: "c0488b13c42629833c121b69e3e75f7b2bc871a34f7da242db0b4bf357b49da7",
  },
  {
    name: "SMTPServer#connect",
    method: SMTPServer.prototype.connect,
    use: "PorthostSMTPServer.connect is a copy of it that makes a PorthostConnection",
    sha256: "9818ea13a1c36459c8faeb45453d428705c921b2cca67765c389558913b1870f",
  },
  {
    name: "SMTPConnection#upgrade",
    method: SMTPConnection.prototype.upgrade,
    use: "PorthostConnection.upgrade notes that STARTTLS began, so an error before the session is secure reads as a failed handshake",
    sha256: "6a3fa8a3ee413745889ddd77f7ce42a173ffa59af1375ce2891bc7e30759bc05",
  },
  {
    name: "SMTPServer#_upgrade",
    method: SMTPServer.prototype._upgrade,
    use: "PorthostSMTPServer._upgrade wraps its callback to see an implicit TLS (465) handshake begin and fail",
    sha256: "2d34eaba8e47830d7f49288d70e0ac923f001cbc5aad2cf07eb6608583060a2b",
  },
];

describe("the smtp-server internals porthost relies on", () => {
  it("come from the exact version package.json pins", () => {
    expect(pinned, "apps/smtp/package.json must pin smtp-server exactly (no ^ or ~)").toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed).toBe(pinned);
  });

  it.each(reliedOn)("$name is there, unchanged", ({ name, method, use, sha256 }) => {
    expect(typeof method, `smtp-server ${installed} has no ${name}; ${use}`).toBe("function");
    const source = String(method);
    expect(createHash("sha256").update(source).digest("hex"), `smtp-server ${installed} changed ${name}; ${use}`).toBe(
      sha256,
    );
  });
});
