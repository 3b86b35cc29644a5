/** The bytes the streaming parsers look for (JSON, HTTP/1.1, the Prometheus text format), by name. */
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const HASH = 0x23;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const EQUALS = 0x3d;
export const OPEN_BRACKET = 0x5b;
export const BACKSLASH = 0x5c;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;

/** JSON's whitespace: space, tab, LF, CR. */
export function isJsonSpace(b: number): boolean {
  return b === SPACE || b === LF || b === CR || b === TAB;
}
