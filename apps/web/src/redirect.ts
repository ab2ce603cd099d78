import type { FastifyReply } from "fastify";

/**
 * A Location on this site: one slash, then the path. `//host/...` and `/\host/...` are read by
 * browsers as another host (an open redirect), so any run of leading slashes and backslashes
 * becomes one slash.
 */
export function sameSiteLocation(location: string): string {
  return `/${location.replace(/^[/\\]+/, "")}`;
}

/** Every redirect of the web service goes through here (a test holds the source to that). */
export function redirectWithinSite(reply: FastifyReply, location: string, status: 301 | 302 | 307 | 308) {
  return reply.redirect(sameSiteLocation(location), status);
}
