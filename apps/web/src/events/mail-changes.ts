import { Type, type Static } from "typebox";
import type { MailStore } from "@porthost/mailstore";

/** A message that arrived in or left the Maildir: the inbox reloads on each. */
export const MailChangeSchema = Type.Object(
  {
    change: Type.Union([Type.Literal("arrived"), Type.Literal("deleted")]),
    id: Type.String({ description: "the message's id, as in /api/messages" }),
  },
  { additionalProperties: false },
);
export type MailChange = Static<typeof MailChangeSchema>;

export type MailChangeListener = (change: MailChange) => void;

/**
 * The Maildir's arrivals and deletions, whichever process made them (SMTP, POP3 DELE + QUIT,
 * porthost mail delete, pruning, the web itself; in compose, other containers on the mail
 * volume), as the web's watcher sees them; listeners are the event streams.
 */
export class MailChanges {
  private readonly listeners = new Set<MailChangeListener>();

  /** Follows the store until it closes. */
  follow(store: MailStore): void {
    store.onArrival((id) => this.publish({ change: "arrived", id }));
    store.onRemoval((id) => this.publish({ change: "deleted", id }));
  }

  publish(change: MailChange): void {
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: MailChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** One change on the event stream: `event: mail`, no id (ids number connection events). */
export function mailFrame(change: MailChange): string {
  return `event: mail\ndata: ${JSON.stringify(change)}\n\n`;
}
