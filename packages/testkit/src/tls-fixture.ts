import { readFileSync } from "node:fs";
import type net from "node:net";
import tls from "node:tls";
import { fileURLToPath } from "node:url";

/** A self-signed certificate for CN=localhost (valid to 2036) and its key, for STARTTLS and STLS tests. */
export const TEST_TLS_FILES = Object.freeze({
  certFile: fileURLToPath(new URL("../fixtures/test-cert.pem", import.meta.url)),
  keyFile: fileURLToPath(new URL("../fixtures/test-key.pem", import.meta.url)),
});

export function testTlsMaterial(): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(TEST_TLS_FILES.certFile), key: readFileSync(TEST_TLS_FILES.keyFile) };
}

/**
 * The client side of STARTTLS or STLS, once the server has said yes: a TLS handshake over the
 * plain socket (its own data listeners removed), trusting the test certificate; given a CA (the
 * dev CA's PEM), it trusts that CA only and checks the chain and the name localhost.
 */
export async function upgradeToTls(plain: net.Socket, ca?: string): Promise<tls.TLSSocket> {
  plain.removeAllListeners("data");
  const secure = tls.connect(
    ca === undefined
      ? { socket: plain, rejectUnauthorized: false, servername: "localhost" }
      : { socket: plain, ca, servername: "localhost" },
  );
  await new Promise<void>((resolve, reject) => {
    secure.once("secureConnect", () => resolve());
    secure.once("error", reject);
  });
  return secure;
}
