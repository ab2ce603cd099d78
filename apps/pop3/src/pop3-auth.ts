import { createHash, timingSafeEqual } from "node:crypto";
import type { Pop3User } from "@porthost/ports";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Compares digests, so the time taken says nothing about where two secrets differ. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** RFC 1939 7: APOP's digest is MD5 of the greeting's timestamp followed by the shared secret. */
export function apopDigest(timestamp: string, password: string): string {
  return createHash("md5")
    .update(timestamp + password)
    .digest("hex");
}

/**
 * The logins POP3 accepts. With no accounts (PORTHOST_POP3_USERS unset) any name and
 * password pass, as SMTP AUTH does: a mail catcher hands its mail to whatever the app
 * under test logs in with. With accounts only they pass, for USER/PASS and APOP alike.
 */
export class Pop3Logins {
  constructor(private readonly users: readonly Pop3User[]) {}

  password(name: string, password: string): boolean {
    if (this.users.length === 0) return true;
    let ok = false;
    for (const user of this.users) {
      if (sameSecret(user.username, name) && sameSecret(user.password, password)) ok = true;
    }
    return ok;
  }

  apop(name: string, timestamp: string, clientDigest: string): boolean {
    if (this.users.length === 0) return true;
    let ok = false;
    for (const user of this.users) {
      const expected = apopDigest(timestamp, user.password);
      if (sameSecret(user.username, name) && sameSecret(expected, clientDigest.toLowerCase())) ok = true;
    }
    return ok;
  }
}
