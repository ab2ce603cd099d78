export * from "./compose-file.js";
