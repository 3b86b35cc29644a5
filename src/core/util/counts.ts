/**
 * Numbers that arrive as text from outside — /proc files, `ps`, a debug adapter, a target's JSON —
 * checked once, here. A count is a whole number from 0 to 2^53: anything else (negative, 1e400,
 * 0x10, a 20-digit run that is no longer exact, NaN) is not one.
 */

/** True for a whole number from 0 to Number.MAX_SAFE_INTEGER. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The count a string of decimal digits spells, or undefined (signs, exponents, hex, too many digits). */
export function parseCount(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** `count × unit` when the product is still exact, else undefined (kB → bytes, pages → bytes). */
export function scaleCount(count: number | undefined, unit: number): number | undefined {
  if (count === undefined) return undefined;
  const value = count * unit;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A process ID as an OS can give one: 1 to 2^32 − 1 (Windows' DWORD; Linux stays far below). */
export function isPid(value: unknown): value is number {
  return isCount(value) && value >= 1 && value <= 0xffff_ffff;
}

/** A TCP port: 1–65535. */
export function isPort(value: unknown): value is number {
  return isCount(value) && value >= 1 && value <= 65535;
}
