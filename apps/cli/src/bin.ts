#!/usr/bin/env node
import { parseArgs } from "node:util";
import { isPortConfigError, readConfig, type PorthostConfig } from "@porthost/ports";
import { CliError, usageError } from "./cli-error.js";
import { joinDashValues } from "./option-values.js";

// Each command is imported when it runs: `porthost scan` need not load the supervisor, fastify
// or nodemailer first (half a second of a full-range scan).

const HELP = `porthost: one host, many services, one port each

Usage: porthost <command> [options]

Commands:
  start                      run every service (what npm start does); Ctrl-C stops them
  ports [--json]             the services, their transports and ports, and how to try each
  whois <port|name> [--json] what a port number or service name means (IANA range,
                             well-known name, /etc/services, porthost's service,
                             this machine's ephemeral range)
  send --to <addr> [--from <addr>] [--subject <s>] [--text <t>] [--attach <file>]...
                             send one mail to porthost's SMTP service (nodemailer)
  echo <text> [--udp] [--json]
                             a TCP (or UDP) round trip to the echo service, showing
                             both ports
  knock [host] [--spa] [--json]
                             the knock sequence (or one SPA datagram, with
                             PORTHOST_KNOCK_KEY) to host, then the vault it opens
  scan [host] [--ports <list>] [--timeout <ms>] [--json]
                             a TCP connect scan (like nmap -sT) of host (default
                             porthost's) over ports 1-1024 and porthost's own, or
                             --ports like 22,25,8000-8200; names each open port
  mail [list] [--search <text>] [--limit <n>] [--cursor <id>] [--json]
                             the mail porthost stored, newest first
  mail show <id|latest> [--json]
                             one message: headers, envelope, text, attachments
  mail raw <id|latest>       the message as stored (with porthost's Received: header)
  mail wait [--to <addr>] [--from <addr>] [--subject <s>] [--search <q>] [--since <time>]
            [--timeout <s>]  wait until a matching message is stored (one stored before
                             counts unless --since); prints its id; exit 1 at the timeout
                             (default 30 s, at most 300)
  mail attachment <id|latest> <n>
                             the bytes of attachment n (redirect to a file)
  mail session [<id>|latest] [--json]
                             an SMTP or POP3 session's transcript: each command and
                             reply with its time, TLS, AUTH user, outcome, the mail it
                             stored (secrets and bodies left out); no id: the newest
  mail delete <id|latest> | mail delete --all
                             delete one message or all of them
  cert [--json]              porthost's development CA (made if missing): its path,
                             SHA-256 fingerprint, and how to trust it in curl, Node,
                             Python, Debian/Ubuntu, macOS, Windows and browsers (NSS)

Options:
  --json                     machine-readable output (start: raw JSON log lines)
  -h, --help                 this help

Settings come from the environment: PORTHOST_HOST, PORTHOST_PORT_OFFSET,
PORTHOST_<SERVICE>_PORT, PORTHOST_<SERVICE>_ADDR, PORTHOST_DATA_DIR, PORTHOST_LOG_LEVEL,
PORTHOST_TLS_CERT/KEY, PORTHOST_MAIL_MAX, and each service's limits and accounts:
PORTHOST_HTTP_*, PORTHOST_SMTP_*, PORTHOST_ECHO_*, PORTHOST_DISCARD_*, PORTHOST_POP3_*, PORTHOST_KNOCK_*,
PORTHOST_EVENTS_TOKEN(_FILE). The README's Configuration table lists them all.
`;

/** The options every command reads (each command takes those it needs). */
const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  udp: { type: "boolean" },
  spa: { type: "boolean" },
  from: { type: "string" },
  to: { type: "string", multiple: true },
  subject: { type: "string" },
  text: { type: "string" },
  attach: { type: "string", multiple: true },
  search: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  since: { type: "string" },
  all: { type: "boolean" },
  ports: { type: "string" },
  timeout: { type: "string" },
} as const;

async function run(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinDashValues(argv, OPTIONS),
      allowPositionals: true,
      options: OPTIONS,
    });
  } catch (error) {
    throw usageError(`${(error as Error).message.split("\n")[0]} (see porthost --help)`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  const json = values.json ?? false;
  const config: PorthostConfig = readConfig();
  const print = (text: string): number => {
    process.stdout.write(`${text}\n`);
    return 0;
  };
  switch (command) {
    case "start":
      return (await import("./commands/start.js")).startCommand(config, json);
    case "ports":
      return print((await import("./commands/ports.js")).portsCommand(config, json));
    case "whois":
      if (rest.length > 1) throw usageError("whois takes one port number or name");
      return print((await import("./commands/whois.js")).whoisCommand(rest[0], config, json));
    case "send":
      return print(await (await import("./commands/send.js")).sendCommand(values, config, json));
    case "echo":
      return print(
        await (await import("./commands/echo.js")).echoCommand(rest, config, json, values.udp ? "udp" : "tcp"),
      );
    case "knock":
      return print(await (await import("./commands/knock.js")).knockCommand(rest, values, config, json));
    case "scan":
      return print(await (await import("./commands/scan.js")).scanCommand(rest, values, config, json));
    case "mail": {
      const output = await (await import("./commands/mail.js")).mailCommand(rest, values, config, json);
      if ("bytes" in output) return (await import("./terminal-bytes.js")).writeBytes(output);
      return output.text === "" ? 0 : print(output.text);
    }
    case "cert":
      return print(await (await import("./commands/cert.js")).certCommand(config, json));
    default:
      throw usageError(`unknown command ${JSON.stringify(command)}: try porthost --help`);
  }
}

// `porthost ... | head`: once the reader is gone there is nobody to tell; end quietly, as cat does
// (the apps of `start` notice their supervisor is gone and stop themselves).
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliError) {
    process.stderr.write(`porthost: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (isPortConfigError(error)) {
    process.stderr.write(`porthost: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
