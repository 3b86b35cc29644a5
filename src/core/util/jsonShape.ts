/**
 * A bounded look at JSON before anyone parses it: one pass over the bytes, constant memory, that
 * says whether the text stays within the shape a reader expects — how deep it nests, how many
 * items an array or keys an object has, how long a string is, how many values there are in all.
 * JSON.parse has no such limits: 20 MiB of nested `[` or 10 million `{}` make it allocate far
 * past any heap limit before a validator sees the result. It does not check that the JSON is
 * valid (JSON.parse does that next); it only proves that parsing it costs what its limits allow.
 */
import * as ascii from './ascii';

// Read once: where each file is built on its own (the tests, the benches) an imported binding is a
// getter at every use, and these are read per byte.
const { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, isJsonSpace, OPEN_BRACE, OPEN_BRACKET, QUOTE } = ascii;

/** What a reader accepts; each a whole number. */
export interface JsonShapeLimits {
  /** Arrays and objects inside one another. */
  readonly maxDepth: number;
  /** Items in one array. */
  readonly maxArrayItems: number;
  /** Keys in one object. */
  readonly maxObjectKeys: number;
  /** Bytes of one string (key or value) between its quotes, as written (escapes count as written). */
  readonly maxStringBytes: number;
  /** Values (numbers, strings — object keys included —, literals, arrays, objects) in the whole text. */
  readonly maxValues: number;
}

/** `ok`, or the first limit the text goes past, said for a person. */
export type JsonShapeResult = { readonly ok: true } | { readonly ok: false; readonly message: string };


/** Whether a byte can start a value that is not a string, array or object (a number or a literal). */
function startsScalar(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x74 || byte === 0x66 || byte === 0x6e;
}

/**
 * Checks `bytes` (UTF-8 JSON) against `limits` in one pass. Counting is by structure, not by
 * grammar: an item is counted at each comma of its array (and the first one), a key at each
 * colon, a value where one starts.
 */
export function checkJsonShape(bytes: Uint8Array, limits: JsonShapeLimits): JsonShapeResult {
  // One counter per open container: items so far; whether it is an array; whether it has any item.
  const counts = new Float64Array(limits.maxDepth + 1);
  const isArray = new Uint8Array(limits.maxDepth + 1);
  let depth = 0;
  let values = 0;
  // A scalar is counted once, at its first byte: after that, until a delimiter, bytes are its own.
  let inScalar = false;
  const tooMany = (what: string): JsonShapeResult => ({ ok: false, message: `it has ${what}` });
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      const start = i + 1;
      // The string's end: the next quote not escaped. A plain loop: most strings are a few bytes
      // (a sample's value), where a native indexOf costs more in its call than in its search.
      let end = start;
      while (end < n) {
        const b = bytes[end];
        if (b === QUOTE) break;
        end += b === BACKSLASH ? 2 : 1;
      }
      if (end >= n) return { ok: true }; // Unterminated: JSON.parse says so, cheaply.
      if (end - start > limits.maxStringBytes) return tooMany(`a string of ${end - start} bytes; at most ${limits.maxStringBytes} are allowed`);
      if (++values > limits.maxValues) return tooMany(`more than ${limits.maxValues} values`);
      if (depth > 0 && isArray[depth] === 1 && counts[depth] === 0) counts[depth] = 1;
      i = end;
      inScalar = false;
      continue;
    }
    switch (byte) {
      case OPEN_BRACKET:
      case OPEN_BRACE:
        if (depth > 0 && isArray[depth] === 1 && counts[depth] === 0) counts[depth] = 1;
        if (++values > limits.maxValues) return tooMany(`more than ${limits.maxValues} values`);
        if (++depth > limits.maxDepth) return tooMany(`arrays and objects nested more than ${limits.maxDepth} deep`);
        counts[depth] = 0;
        isArray[depth] = byte === OPEN_BRACKET ? 1 : 0;
        inScalar = false;
        break;
      case CLOSE_BRACKET:
      case CLOSE_BRACE:
        if (depth > 0) depth--;
        inScalar = false;
        break;
      case COMMA:
        if (depth > 0 && isArray[depth] === 1 && ++counts[depth] > limits.maxArrayItems) return tooMany(`an array of more than ${limits.maxArrayItems} items`);
        inScalar = false;
        break;
      case COLON:
        if (depth > 0 && isArray[depth] === 0 && ++counts[depth] > limits.maxObjectKeys) return tooMany(`an object of more than ${limits.maxObjectKeys} keys`);
        inScalar = false;
        break;
      default:
        if (!inScalar && startsScalar(byte)) {
          inScalar = true;
          if (++values > limits.maxValues) return tooMany(`more than ${limits.maxValues} values`);
          if (depth > 0 && isArray[depth] === 1 && counts[depth] === 0) counts[depth] = 1;
        } else if (isJsonSpace(byte)) {
          inScalar = false;
        }
    }
  }
  return { ok: true };
}
