import { formatAddress, type PorthostConfig, type Transport } from "@porthost/ports";
import { tcpRoundTrip, udpRoundTrip, type EchoResult } from "@porthost/clients";
import { connectionFailure, failure, usageError } from "../cli-error.js";

/** `porthost echo <text> [--udp]`: a round trip that shows both ports of the conversation. */
export async function echoCommand(
  words: readonly string[],
  config: PorthostConfig,
  json: boolean,
  transport: Transport = "tcp",
): Promise<string> {
  const text = words.join(" ");
  if (text === "") throw usageError("echo needs some text to send: porthost echo hello");
  const { host, port } = config.services.echo.addr;
  const where = formatAddress({ host, port });
  const limit = config.echo.maxDatagramBytes;
  if (transport === "udp" && Buffer.byteLength(text) > limit)
    throw usageError(
      `${Buffer.byteLength(text)} bytes is more than one echo datagram (${limit} bytes, PORTHOST_ECHO_MAX_DATAGRAM_BYTES)`,
    );
  let result: EchoResult;
  try {
    result = await (transport === "udp" ? udpRoundTrip(host, port, text) : tcpRoundTrip(host, port, text));
  } catch (error) {
    if (transport === "udp" && (error as { code?: unknown }).code === "ETIMEDOUT")
      throw failure(
        `no reply from echo at ${where} (udp): it may be over its reply rate (PORTHOST_ECHO_UDP_RATE), or not running`,
      );
    throw connectionFailure(error, "echo", where);
  }
  if (result.received !== text)
    throw failure(`echo at ${where} sent back different bytes: ${JSON.stringify(result.received)}`);
  if (json) return JSON.stringify({ transport, ...result }, null, 2);
  const what = transport === "udp" ? "datagram" : `${result.sent} bytes`;
  return [
    `${formatAddress({ host: result.local.address, port: result.local.port })} -> ${formatAddress({ host: result.remote.address, port: result.remote.port })} (${transport})`,
    `  your side used ephemeral port ${result.local.port}; the echo service answered from port ${result.remote.port}`,
    `  sent ${what}, got the same ${result.sent} bytes back in ${result.roundTripMs.toFixed(2)} ms: ${result.received}`,
  ].join("\n");
}
