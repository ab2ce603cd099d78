export * from "./echo-client.js";
export * from "./mail-client.js";
export * from "./port-scan.js";
