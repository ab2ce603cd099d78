export { formatLogLine } from "./log-format.js";
export { portsCommand, portsRows } from "./commands/ports.js";
export { whoisCommand } from "./commands/whois.js";
