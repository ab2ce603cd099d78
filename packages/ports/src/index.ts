export * from "./services.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./listen-errors.js";
export * from "./ranges.js";
export * from "./known-ports.js";
export * from "./whois.js";
export * from "./env-values.js";
