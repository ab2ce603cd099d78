import { devCertFiles } from "@porthost/devcert";
import { formatAddress, type PorthostConfig, type ResolvedService, type Transport } from "@porthost/ports";

/** A URL or a command a newcomer can copy to try a service at its address, over one transport. */
export function tryIt(
  config: PorthostConfig,
  service: ResolvedService,
  transport: Transport = service.transports[0] ?? "tcp",
): string {
  const { host, port } = service.addr;
  const nc = transport === "udp" ? `nc -u ${host} ${port}` : `nc ${host} ${port}`;
  // openssl checks the chain against the dev CA (none when the user brings a certificate).
  const caFile = config.tls.files ? "" : ` -CAfile ${devCertFiles(config.dataDir).caCert}`;
  const tlsClient = `openssl s_client -connect ${formatAddress({ host, port })}${caFile}`;
  switch (service.name) {
    case "http":
      return `http://${formatAddress({ host, port })}/`;
    case "https":
      return `https://${formatAddress({ host, port })}/   (npx porthost cert: trust the dev CA once)`;
    case "smtp":
      return `npx porthost send --to you@example.test --text hello`;
    case "submission":
      return `${tlsClient} -starttls smtp   (then EHLO, AUTH before MAIL)`;
    case "submissions":
      return `${tlsClient}   (TLS from the first byte, then EHLO)`;
    case "pop3s":
      return `${tlsClient}   (TLS from the first byte, then USER and PASS)`;
    case "echo":
      return transport === "udp"
        ? `npx porthost echo --udp hello   (or: ${nc})`
        : `npx porthost echo hello   (or: ${nc})`;
    case "discard":
      return `${nc}   (type; nothing comes back)`;
    case "knock":
      return `npx porthost knock   (or: knock -d 100 ${host} ${(service.sequence ?? []).map((s) => `${s.port}:${s.transport}`).join(" ")})`;
    case "vault":
      return `nc ${host} ${port}   (reset until you knock; then a greeting)`;
    case "pop3":
      // One maildrop per recipient: the user name is the address the mail was sent to.
      return `curl pop3://${formatAddress({ host, port })}/1 -u ${config.pop3.mailbox === "recipient" ? "you@example.test" : "you"}:anything   (or: ${nc})`;
  }
}
