/**
 * Picks one member out of a top-level JSON object as the bytes stream in, without parsing the rest.
 *
 * Why not JSON.parse the whole answer: expvar's /debug/vars holds every variable a service
 * publishes — megabytes of maps in real services — while we need only `memstats` (≈ 10 KiB).
 * Parsing a few MiB took the shared extension host most of a second per read; a streaming JSON
 * library (@streamparser/json) was still about a hundred times slower than this scanner, which
 * only follows strings and brackets, byte by byte (bench/RESULTS.md, "Measured once"): no allocation for what it skips (so
 * `cmdline`, which may hold secrets, is never even copied), no recursion (a million nested
 * brackets cost nothing more), and the member it keeps is bounded.
 */
import * as ascii from '../util/ascii';

// Read once: where each file is built on its own (the tests, the benches) an imported binding is a
// getter at every use, and these are read per byte.
const { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, isJsonSpace, OPEN_BRACE, OPEN_BRACKET, QUOTE } = ascii;


export type ScanResult =
  /** Not there yet: feed more. */
  | { readonly state: 'more' }
  /** The member's value, as JSON text (an object). */
  | { readonly state: 'found'; readonly json: string }
  /** The answer cannot hold it: not a JSON object, the member is not an object, or it is too big. */
  | { readonly state: 'invalid'; readonly reason: string };

/** Finds the object value of `key` at the top level of a JSON object fed in chunks. */
export class TopLevelMemberScanner {
  private readonly key: Buffer;
  private started = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** At depth 1, between `{`/`,` and the next string: that string is a key. */
  private expectKey = false;
  private readingKey = false;
  /** How many bytes of the key being read matched so far; −1 once it cannot match. */
  private keyMatch = 0;
  /** The key just read was ours: its value is what we want. */
  private keyIsOurs = false;
  private capturing = false;
  private captured: Buffer[] = [];
  private capturedBytes = 0;
  private result: ScanResult = { state: 'more' };

  constructor(
    key: string,
    private readonly maxMemberBytes: number,
  ) {
    this.key = Buffer.from(key, 'utf8');
  }

  /** Feeds the next chunk; the result stays final once found or invalid. */
  feed(chunk: Buffer): ScanResult {
    if (this.result.state !== 'more') return this.result;
    let captureFrom = this.capturing ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.readingKey) {
            this.readingKey = false;
            this.keyIsOurs = this.keyMatch === this.key.length;
          }
        } else if (this.readingKey && this.keyMatch >= 0) {
          this.keyMatch = this.keyMatch < this.key.length && this.key[this.keyMatch] === b ? this.keyMatch + 1 : -1;
        }
        if (this.readingKey && this.escaped) this.keyMatch = -1; // an escaped key is not ours
        continue;
      }
      if (isJsonSpace(b)) continue;
      if (!this.started) {
        if (b !== OPEN_BRACE) return this.finish({ state: 'invalid', reason: 'the answer is not a JSON object' });
        this.started = true;
        this.depth = 1;
        this.expectKey = true;
        continue;
      }
      if (this.depth === 0) return this.finish({ state: 'invalid', reason: 'the JSON object ended before it held the figures' });
      if (this.depth === 1 && this.keyIsOurs && b === COLON) continue;
      if (this.depth === 1 && this.keyIsOurs && !this.capturing) {
        this.keyIsOurs = false;
        if (b !== OPEN_BRACE) return this.finish({ state: 'invalid', reason: 'the figures are not a JSON object' });
        this.capturing = true;
        captureFrom = i;
      }
      switch (b) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.expectKey) {
            this.expectKey = false;
            this.readingKey = true;
            this.keyMatch = 0;
          }
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.depth++;
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          this.depth--;
          if (this.capturing && this.depth === 1) {
            this.capture(chunk.subarray(captureFrom, i + 1));
            if (this.result.state !== 'more') return this.result;
            return this.finish({ state: 'found', json: Buffer.concat(this.captured).toString('utf8') });
          }
          if (this.depth === 0) return this.finish({ state: 'invalid', reason: 'the answer has no such figures' });
          break;
        case COMMA:
          if (this.depth === 1) this.expectKey = true;
          break;
        default:
          break;
      }
    }
    if (this.capturing && captureFrom >= 0) this.capture(chunk.subarray(captureFrom));
    return this.result;
  }

  /** The answer ended: found, or why not. */
  end(): ScanResult {
    if (this.result.state === 'more') this.result = { state: 'invalid', reason: this.started ? 'the answer ended before the figures did' : 'the answer is empty' };
    return this.result;
  }

  private capture(part: Buffer): void {
    this.capturedBytes += part.length;
    if (this.capturedBytes > this.maxMemberBytes) {
      this.finish({ state: 'invalid', reason: `the figures are larger than ${Math.round(this.maxMemberBytes / 1024)} KiB` });
      return;
    }
    // A copy: the chunk's memory belongs to the socket and is reused.
    this.captured.push(Buffer.from(part));
  }

  private finish(result: ScanResult): ScanResult {
    this.result = result;
    this.captured = [];
    return result;
  }
}
