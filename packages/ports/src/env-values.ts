import { PortConfigError } from "./errors.js";

/** Environment variables porthost reads; only this package reads `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The value of a variable, or undefined when it is unset or blank. */
export function envValue(env: Env, variable: string): string | undefined {
  const value = env[variable];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
  /** Said in the error, e.g. "bytes" or "ms". */
  readonly unit?: string;
}

/** A whole number from a variable within bounds, or its default; else one line naming the variable. */
export function readInteger(env: Env, variable: string, fallback: number, bounds: IntegerBounds): number {
  const raw = envValue(env, variable);
  if (raw === undefined) return fallback;
  const unit = bounds.unit ? ` ${bounds.unit}` : "";
  if (!/^\d+$/.test(raw)) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${variable}=${JSON.stringify(raw)} is not a whole number: use ${bounds.min}-${bounds.max}${unit}`,
      variable,
    );
  }
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${variable}=${raw} is outside ${bounds.min}-${bounds.max}${unit}`,
      variable,
    );
  }
  return value;
}

/** One of a fixed set of words from a variable, or its default. */
export function readChoice<T extends string>(env: Env, variable: string, fallback: T, choices: readonly T[]): T {
  const raw = envValue(env, variable);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${variable}=${JSON.stringify(raw)} is not one of ${choices.join(", ")}`,
      variable,
    );
  }
  return raw as T;
}
