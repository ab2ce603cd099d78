export * from "./echo-client.js";
export * from "./mail-client.js";
