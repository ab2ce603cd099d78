/**
 * Maps a URL path to a path relative to the static root, or undefined when it could leave
 * the root or name a hidden file. Each refused form broke a popular Node static server once:
 * `..` plain or percent-encoded, encoded slashes and backslashes, NUL bytes, double encoding
 * (a `%` left after one decode), and dotfiles such as `.env` and `.git/`.
 */
export function safeRelativePath(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\") || decoded.includes("%")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.some((s) => s.startsWith("."))) return undefined;
  return segments.join("/");
}

/** A path made only of characters that need no decoding, so it can key a cache as it is. */
export function isPlainPath(urlPath: string): boolean {
  return /^\/[A-Za-z0-9_\-/]*(?:\.[A-Za-z0-9_-]+)?$/.test(urlPath) && !urlPath.includes("//");
}
