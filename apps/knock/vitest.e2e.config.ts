import { e2eTests } from "@porthost/vitest-config";

export default e2eTests();
