import { formatAddress, type ResolvedService } from "@porthost/ports";

/** A URL or a command a newcomer can copy to try a service at its address. */
export function tryIt(service: ResolvedService): string {
  const { host, port } = service.addr;
  switch (service.name) {
    case "http":
      return `http://${formatAddress({ host, port })}/`;
    case "https":
      return `https://${formatAddress({ host, port })}/`;
    case "smtp":
      return `npx porthost send --to you@example.test --text hello`;
    case "echo":
      return `npx porthost echo hello   (or: nc ${host} ${port})`;
    case "discard":
      return `nc ${host} ${port}`;
    case "pop3":
      return `nc ${host} ${port}`;
  }
}
