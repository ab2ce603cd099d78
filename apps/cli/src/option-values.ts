/** What joinDashValues needs to know of parseArgs' options. */
type OptionTypes = Readonly<Record<string, { readonly type: "string" | "boolean"; readonly short?: string }>>;

/** Whether a word names one of the options (`--json`, `--search=x`, `-h`). */
function isOption(word: string, options: OptionTypes): boolean {
  if (word.startsWith("--")) return word.slice(2).split("=")[0]! in options;
  return Object.values(options).some((option) => option.short !== undefined && word === `-${option.short}`);
}

/**
 * `porthost mail --search -invoice`: a string option's value may begin with a dash (a search's
 * exclusion, a text that starts with one). node's parseArgs takes such a value only written as
 * `--search=-invoice`, so it is written so here, unless the word is itself one of the options.
 */
export function joinDashValues(args: readonly string[], options: OptionTypes): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === "--") return [...joined, ...args.slice(i)];
    const next = args[i + 1];
    const name = word.startsWith("--") && !word.includes("=") ? word.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next?.startsWith("-") && !isOption(next, options)) {
      joined.push(`${word}=${next}`);
      i++;
    } else joined.push(word);
  }
  return joined;
}
