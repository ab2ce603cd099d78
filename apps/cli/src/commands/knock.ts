import { setTimeout as delay } from "node:timers/promises";
import { knockOnce, sendDatagram, spaPacket, tryVault, type VaultAnswer } from "@porthost/knock";
import { formatAddress, KNOCK_KEY_VARIABLE, type KnockStep, type PorthostConfig } from "@porthost/ports";
import { connectionFailure, failure, usageError } from "../cli-error.js";

/**
 * A knock's datagram has no answer, so the vault may see our connection before the knock
 * service has read the last datagram: a reset right after knocking is tried again this often.
 */
const VAULT_TRIES = 4;
const VAULT_RETRY_MS = 150; // 0.15 s, then twice that, and so on
/**
 * A datagram and a TCP connection reach the knock service through two sockets, read in no
 * promised order: after a UDP knock (which has no answer to wait for) the next one waits this long,
 * as `knock -d 100` does. A TCP knock needs no pause: it ends when the service has counted it.
 */
export const UDP_KNOCK_GAP_MS = 100; // 0.1 s

interface Sent {
  readonly what: string;
  /** The client's ephemeral port. */
  readonly from: number;
  readonly to: string;
  /** The datagram itself (SPA): safe to show, since it opens the door once and for 120 s at most. */
  readonly packet?: string;
}

async function vaultAfterKnocking(host: string, port: number): Promise<VaultAnswer> {
  let answer = await tryVault(host, port);
  for (let i = 1; i < VAULT_TRIES && !answer.open; i++) {
    await delay(VAULT_RETRY_MS * 2 ** (i - 1));
    answer = await tryVault(host, port);
  }
  return answer;
}

/**
 * `porthost knock [host] [--spa]`: the knock sequence (or one SPA datagram) to host, then the
 * vault, showing each packet's ephemeral port and what the vault said.
 */
export async function knockCommand(
  words: readonly string[],
  options: { readonly spa?: boolean | undefined },
  config: PorthostConfig,
  json: boolean,
): Promise<string> {
  if (words.length > 1) throw usageError("knock takes one host at most: porthost knock [host] [--spa]");
  const knock = config.services.knock;
  const host = words[0] ?? knock.addr.host;
  const vaultPort = config.services.vault.addr.port;
  const sequence: readonly KnockStep[] = knock.sequence ?? [];
  const sent: Sent[] = [];
  try {
    if (options.spa) {
      const key = config.knock.spaKey;
      if (key === undefined)
        throw usageError(
          `--spa needs the key the knock service has: set ${KNOCK_KEY_VARIABLE} here and for porthost start (e.g. export ${KNOCK_KEY_VARIABLE}=$(openssl rand -hex 32))`,
        );
      const target = sequence.find((step) => step.transport === "udp");
      if (!target) throw usageError("--spa sends a UDP datagram, and the knock sequence has no UDP port");
      const packet = spaPacket(key, vaultPort);
      const from = await sendDatagram(host, target.port, packet);
      sent.push({
        what: `SPA, ${packet.length} bytes`,
        packet: packet.toString(),
        from,
        to: `${target.port}/udp`,
      });
    } else {
      for (const [index, step] of sequence.entries()) {
        const from = await knockOnce(host, step);
        if (step.transport === "udp" && index < sequence.length - 1) await delay(UDP_KNOCK_GAP_MS);
        sent.push({ what: `knock ${index + 1} of ${sequence.length}`, from, to: `${step.port}/${step.transport}` });
      }
    }
  } catch (error) {
    if (error instanceof Error && "exitCode" in error) throw error;
    throw connectionFailure(error, "knock", formatAddress({ host, port: knock.addr.port }));
  }
  let answer: VaultAnswer;
  try {
    answer = await vaultAfterKnocking(host, vaultPort);
  } catch (error) {
    throw connectionFailure(error, "vault", formatAddress({ host, port: vaultPort }));
  }
  if (json) return JSON.stringify({ host, sent, vault: { port: vaultPort, ...answer } }, null, 2);
  const lines = sent.flatMap((s) => [
    `${s.what}: your port ${s.from} -> ${host} ${s.to}`,
    ...(s.packet
      ? [`  ${s.packet}`, `  (magic, Unix time in ms, nonce, the vault's port, HMAC-SHA256 of the rest)`]
      : []),
  ]);
  const vault = `the vault, ${formatAddress({ host, port: vaultPort })}`;
  if (!answer.open) {
    process.stdout.write(`${lines.join("\n")}\n`);
    throw failure(
      `${vault}, still resets (${answer.code}): does porthost run with the same ${options.spa ? KNOCK_KEY_VARIABLE : "PORTHOST_KNOCK_SEQUENCE"}? (its event on the switchboard says why)`,
    );
  }
  return [...lines, `${vault}, from your port ${answer.localPort}: ${answer.greeting}`].join("\n");
}
