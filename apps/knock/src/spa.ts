import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { KNOCK_KEY_VARIABLE } from "@porthost/ports";
import { seconds } from "./knock-tracker.js";

/**
 * Single-packet authorization, fwknop's answer to a knock anyone on the path can replay: one
 * UDP datagram, in text so that `tcpdump -A` shows it,
 *   porthost-spa1 <unix ms> <nonce: 32 hex> <port> <HMAC-SHA256 of what precedes it: 64 hex>
 * The HMAC under PORTHOST_KNOCK_KEY proves the sender knows the key, the timestamp limits a
 * capture's life to SPA_MAX_AGE_MS, and the nonce cache refuses a second use within it.
 */
export const SPA_MAGIC = "porthost-spa1";
/** A packet stamped further from now than this, either way, is refused (clocks may differ a little). */
export const SPA_MAX_AGE_MS = 120_000; // 120 s
/**
 * Nonces remembered; a packet is valid for SPA_MAX_AGE_MS on each side of its stamp, so each
 * nonce is kept twice that. When the cache is full of live nonces, SPA refuses (fails closed)
 * rather than forget one that could then be replayed.
 */
export const MAX_SPA_NONCES = 10_000;
export const SPA_NONCE_BYTES = 16;
/** A longer datagram is not SPA (the magic, a 13-digit stamp, the nonce, a port and the HMAC fit in 130). */
export const MAX_SPA_BYTES = 256;

const hmac = (key: string, text: string): Buffer => createHmac("sha256", key).update(text).digest();

/** The datagram `porthost knock --spa` sends to ask for `port`. */
export function spaPacket(key: string, port: number, at: number = Date.now(), nonce?: string): Buffer {
  const signed = `${SPA_MAGIC} ${Math.round(at)} ${nonce ?? randomBytes(SPA_NONCE_BYTES).toString("hex")} ${port}`;
  return Buffer.from(`${signed} ${hmac(key, signed).toString("hex")}`);
}

/** Whether a datagram claims to be SPA (else it is an ordinary knock). */
export function looksLikeSpa(message: Buffer): boolean {
  return (
    message.length <= MAX_SPA_BYTES && message.subarray(0, SPA_MAGIC.length + 1).toString("latin1") === `${SPA_MAGIC} `
  );
}

export type SpaVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface SpaVerifierOptions {
  /** undefined: SPA is off, and each packet is refused saying so. */
  readonly key: string | undefined;
  /** The only port a packet may ask for: the vault's. */
  readonly port: number;
  readonly maxNonces?: number;
  /** Wall clock in ms (packets carry Unix time), for tests. */
  readonly now?: () => number;
}

/** Checks SPA packets: the HMAC first (timingSafeEqual), then the age, the port, and the nonce. */
export function createSpaVerifier(options: SpaVerifierOptions): {
  verify(message: Buffer): SpaVerdict;
  nonces(): number;
} {
  const now = options.now ?? Date.now;
  const maxNonces = options.maxNonces ?? MAX_SPA_NONCES;
  const seen = new Map<string, number>();
  const forgetOld = (t: number): void => {
    for (const [nonce, at] of seen) {
      if (t - at <= 2 * SPA_MAX_AGE_MS) break;
      seen.delete(nonce);
    }
  };
  const refuse = (reason: string): SpaVerdict => ({ ok: false, reason });

  return {
    verify(message) {
      if (options.key === undefined) return refuse(`SPA is off here: ${KNOCK_KEY_VARIABLE} is not set`);
      const fields = message.toString("latin1").trim().split(" ");
      const [, stamp, nonce, port, mac] = fields;
      if (
        fields.length !== 5 ||
        !/^\d{1,15}$/.test(stamp ?? "") ||
        !new RegExp(`^[0-9a-f]{${SPA_NONCE_BYTES * 2}}$`).test(nonce ?? "") ||
        !/^\d{1,5}$/.test(port ?? "") ||
        !/^[0-9a-f]{64}$/.test(mac ?? "")
      )
        return refuse(`malformed SPA packet: want "${SPA_MAGIC} <unix ms> <nonce> <port> <hmac>"`);
      const expected = hmac(options.key, `${SPA_MAGIC} ${stamp} ${nonce} ${port}`);
      if (!timingSafeEqual(expected, Buffer.from(mac!, "hex")))
        return refuse(`bad HMAC: not signed with this ${KNOCK_KEY_VARIABLE}`);
      const t = now();
      const age = t - Number(stamp);
      if (age > SPA_MAX_AGE_MS) return refuse(`stale: stamped ${seconds(age)} ago (limit ${seconds(SPA_MAX_AGE_MS)})`);
      if (-age > SPA_MAX_AGE_MS)
        return refuse(`stamped ${seconds(-age)} in the future (limit ${seconds(SPA_MAX_AGE_MS)}): check the clocks`);
      if (Number(port) !== options.port) return refuse(`asks for port ${port}; the vault here is ${options.port}`);
      forgetOld(t);
      const before = seen.get(nonce!);
      if (before !== undefined) return refuse(`replayed: this nonce came ${seconds(t - before)} ago`);
      if (seen.size >= maxNonces)
        return refuse(`replay cache full (${maxNonces} packets in ${seconds(2 * SPA_MAX_AGE_MS)}): try again later`);
      seen.set(nonce!, t);
      return { ok: true };
    },
    nonces: () => seen.size,
  };
}
