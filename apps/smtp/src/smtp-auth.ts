import { createHash, timingSafeEqual } from "node:crypto";
import type { SmtpUser } from "@porthost/ports";
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from "smtp-server";
import { smtpReplies, type SmtpReply } from "./smtp-replies.js";

/** Compares digests so the time taken says nothing about where two secrets differ. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * AUTH PLAIN and LOGIN: with no accounts configured any credentials pass (a mail catcher
 * takes what an app sends); with PORTHOST_SMTP_USERS only those pass, so an app's
 * credentials can be tested. AUTH itself stays optional either way.
 */
export function authenticator(users: readonly SmtpUser[]) {
  return (
    auth: SMTPServerAuthentication,
    callback: (error: SmtpReply | null, response?: SMTPServerAuthenticationResponse) => void,
  ): void => {
    const username = auth.username ?? "";
    if (users.length === 0) return callback(null, { user: username });
    const password = auth.password ?? "";
    let ok = false;
    for (const user of users) {
      if (sameSecret(user.username, username) && sameSecret(user.password, password)) ok = true;
    }
    if (ok) callback(null, { user: username });
    else callback(smtpReplies.badCredentials());
  };
}
