import { unitTests } from "@porthost/vitest-config";

export default unitTests;
