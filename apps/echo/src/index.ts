export { buildEcho, type EchoOptions, type EchoServer } from "./echo-server.js";
