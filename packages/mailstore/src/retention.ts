/**
 * How far past its limit a store may grow before a prune (PORTHOST_MAIL_MAX for the Maildir,
 * PORTHOST_SESSIONS_MAX for session records): a tenth of the limit, at least one. A prune then
 * deletes the oldest down to the limit in one batch, so in a steady state there is one batch per
 * `margin` arrivals, not one unlink per arrival.
 */
export function pruneMargin(limit: number): number {
  return Math.max(1, Math.ceil(limit / 10));
}
