import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileCache } from "../src/static/file-cache.js";
import { publicSite } from "./public-site.js";

describe("FileCache", () => {
  let site: Awaited<ReturnType<typeof publicSite>>;
  let cache: FileCache;
  beforeAll(async () => {
    site = await publicSite({ "page.html": `<p>${"compress me ".repeat(5_000)}</p>` });
    cache = await FileCache.open(site.root);
  });
  afterAll(async () => {
    cache.close();
    await site.remove();
  });

  it("reads and compresses a file once for requests that miss it together", async () => {
    const resolutions = await Promise.all(Array.from({ length: 50 }, () => cache.resolve("page.html", "/page.html")));
    const files = new Set(resolutions.map((r) => (r?.kind === "file" ? r.file : undefined)));
    expect(files.size).toBe(1);
    expect([...files][0]?.br).toBeDefined();
  });
});
