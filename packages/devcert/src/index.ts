export * from "./resolve-tls.js";
export { leafNames } from "./leaf-names.js";
export { KEY_FILE_MODE, CERT_FILE_MODE } from "./pem-files.js";
