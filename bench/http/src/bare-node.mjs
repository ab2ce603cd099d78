// A bare node:http server answering every request with one file's bytes and the headers given
// as JSON: node's own floor, in a process of its own so its CPU and memory can be read.
// Usage: node bare-node.mjs <file> <headers-json>; prints its port.
import { readFileSync } from "node:fs";
import http from "node:http";

const body = readFileSync(process.argv[2]);
const headers = JSON.parse(process.argv[3]);
const server = http.createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end(body);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
