/** Reading a bench's command-line options, the same way in every bench. */

/**
 * The options, or the exit code when there is nothing to run: 0 after printing the
 * help, 2 after saying what is wrong with them (parse throws that as an Error).
 */
export function readOptions<T extends object>(name: string, help: string, parse: () => T | "help"): T | number {
  let parsed: T | "help";
  try {
    parsed = parse();
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n(npm run bench -- ${name} --help)`);
    return 2;
  }
  if (parsed === "help") {
    console.log(help);
    return 0;
  }
  return parsed;
}

/** The number an option gives, checked to be in [min, max] (and whole, unless `integer` is false). */
export function numberOption(name: string, value: string, min: number, max: number, integer = true): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], not ${JSON.stringify(value)}`);
  }
  return n;
}
