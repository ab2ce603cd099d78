export * from "./listen.js";
export * from "./messages.js";
export * from "./run-app.js";
