/**
 * Fuzz: the HTTP/1.1 parser of kept connections (src/core/net/http1.ts). Seeds are answers
 * recorded from a real Go net/http server; the oracle writes valid answers — random bodies framed
 * by a length or by chunks of random sizes (with extensions and trailers), among random header
 * fields — and cuts them at random points, as a socket would deliver them.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { HttpParseError, ResponseParser } from '../../../src/core/net/http1';
import { performance } from 'perf_hooks';
import { call, CALL_LIMIT_MS, chunkBoundaries, chunksOf, fuzz, mutatedBytes, RECORDED_DIR } from './support';

const FAMILY = 'http1';
const SEEDS = fs.readdirSync(path.join(RECORDED_DIR, 'http')).map((f) => fs.readFileSync(path.join(RECORDED_DIR, 'http', f)));

/** Feeds `chunks`; what was handed on, or the parse error. Any other throw fails the property. */
function feedAll(chunks: readonly Buffer[]): { parser: ResponseParser; body: Buffer; error?: HttpParseError } {
  const parser = new ResponseParser();
  const pieces: Buffer[] = [];
  for (const chunk of chunks) {
    const outcome = call('ResponseParser.feed', () =>
      parser.feed(chunk, (piece) => {
        pieces.push(Buffer.from(piece));
        return false;
      }),
    );
    if (outcome.threw) {
      assert.ok(outcome.error instanceof HttpParseError, `feed threw ${String(outcome.error)}`);
      return { parser, body: Buffer.concat(pieces), error: outcome.error };
    }
  }
  return { parser, body: Buffer.concat(pieces) };
}

const headerField = fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/), fc.stringMatching(/^[ -~]{0,60}$/)).map(([name, value]) => `${name}: ${value.trim()}\r\n`);

/** A valid answer: its bytes and its body. */
const validAnswer = fc
  .record({
    body: fc.uint8Array({ maxLength: 3000 }),
    chunked: fc.boolean(),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
    extension: fc.boolean(),
    trailers: fc.array(headerField, { maxLength: 3 }),
    headers: fc.array(headerField, { maxLength: 6 }),
    status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
    interim: fc.boolean(),
  })
  .map(({ body, chunked, chunkSizes, extension, trailers, headers, status, interim }) => {
    const parts: Buffer[] = [];
    if (interim) parts.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'));
    parts.push(Buffer.from(`HTTP/1.1 ${status} Whatever\r\n${headers.join('')}${chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${body.length}\r\n`}\r\n`, 'latin1'));
    if (!chunked) parts.push(Buffer.from(body));
    else {
      let at = 0;
      for (let i = 0; at < body.length; i++) {
        const size = Math.min(chunkSizes[i % chunkSizes.length], body.length - at);
        parts.push(Buffer.from(`${size.toString(16)}${extension ? ';ext="v"' : ''}\r\n`), Buffer.from(body.subarray(at, at + size)), Buffer.from('\r\n'));
        at += size;
      }
      parts.push(Buffer.from(`0\r\n${trailers.join('')}\r\n`));
    }
    return { bytes: Buffer.concat(parts), body: Buffer.from(body), status };
  });

/**
 * A large body in tiny chunks (1–3 bytes, sizes spelled in either case, with leading zeros, some
 * with an extension), as a hostile server may send one. The property gets the recipe, not the
 * bytes, so that a counterexample prints in a few lines.
 */
const tinyChunkRecipe = fc.record({
  bodyBytes: fc.integer({ min: 64 * 1024, max: 512 * 1024 }),
  fill: fc.integer({ min: 0, max: 255 }),
  sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 7 }),
  spellings: fc.array(fc.constantFrom('', '0', '000', 'ext', 'upper'), { minLength: 1, maxLength: 5 }),
});

function tinyChunkAnswer({ bodyBytes, fill, sizes, spellings }: { bodyBytes: number; fill: number; sizes: number[]; spellings: string[] }): { bytes: Buffer; body: Buffer } {
  const body = Buffer.alloc(bodyBytes);
  for (let i = 0; i < bodyBytes; i++) body[i] = (fill + i * 31) & 0xff;
  // Built as latin1 text (one char per byte), one Buffer at the end: a Buffer per chunk is slow to build.
  const text = body.toString('latin1');
  const parts: string[] = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'];
  for (let at = 0, i = 0; at < bodyBytes; i++) {
    const size = Math.min(sizes[i % sizes.length], bodyBytes - at);
    const spelling = spellings[i % spellings.length];
    const hex = spelling === 'upper' ? size.toString(16).toUpperCase() : spelling === 'ext' ? `${size.toString(16)};x=y` : `${spelling}${size.toString(16)}`;
    parts.push(`${hex}\r\n${text.slice(at, at + size)}\r\n`);
    at += size;
  }
  parts.push('0\r\n\r\n');
  return { bytes: Buffer.from(parts.join(''), 'latin1'), body };
}

describe('fuzz: HTTP/1.1 answers', () => {
  it('a large body in tiny chunks, in reads of up to 64 KiB: the same body, and no read blocks', () => {
    fuzz(
      FAMILY,
      15,
      fc.property(tinyChunkRecipe, fc.integer({ min: 1000, max: 64 * 1024 }), (recipe, readBytes) => {
        const answer = tinyChunkAnswer(recipe);
        const reads: Buffer[] = [];
        for (let at = 0; at < answer.bytes.length; at += readBytes) reads.push(answer.bytes.subarray(at, at + readBytes));
        // A feed cannot be timed again as call() does (the parser has moved on): the whole answer is.
        let slowestMs = Infinity;
        for (let run = 0; run < 3 && slowestMs >= CALL_LIMIT_MS; run++) {
          const parser = new ResponseParser();
          const pieces: Buffer[] = [];
          let slowest = 0;
          for (const read of reads) {
            const start = performance.now();
            parser.feed(read, (piece) => {
              pieces.push(Buffer.from(piece));
              return false;
            });
            slowest = Math.max(slowest, performance.now() - start);
          }
          slowestMs = Math.min(slowestMs, slowest);
          assert.ok(parser.complete);
          assert.ok(Buffer.concat(pieces).equals(answer.body), 'the body handed on is the body sent');
        }
        assert.ok(slowestMs < CALL_LIMIT_MS, `a read of ${readBytes} bytes took ${slowestMs.toFixed(1)} ms to parse (limit ${CALL_LIMIT_MS} ms)`);
      }),
    );
  });

  it('valid answers, cut anywhere: the same body, the whole answer, nothing after it', () => {
    fuzz(
      FAMILY,
      400,
      fc.property(validAnswer, fc.array(fc.nat(), { maxLength: 20 }), (answer, cuts) => {
        const { parser, body, error } = feedAll(chunksOf(answer.bytes, chunkBoundaries(answer.bytes.length, cuts)));
        assert.strictEqual(error, undefined, error?.message);
        assert.ok(parser.complete);
        assert.strictEqual(parser.head?.status, answer.status);
        assert.strictEqual(parser.extra, 0);
        assert.ok(body.equals(answer.body), 'the body handed on is the body sent');
      }),
    );
  });

  it('mutated answers from Go, cut anywhere: a body or a reason, never more body than was sent, never stuck', () => {
    fuzz(
      FAMILY,
      600,
      fc.property(mutatedBytes(SEEDS, 6), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const { parser, body } = feedAll(chunksOf(bytes, chunkBoundaries(bytes.length, cuts)));
        assert.ok(body.length <= bytes.length);
        if (parser.complete) assert.ok(parser.head, 'an answer that ended had a head');
        if (parser.head) assert.ok(parser.head.status >= 200 && parser.head.status <= 999);
      }),
    );
  });

  it('random bytes: a reason, or waiting for more; a body only after a whole head', () => {
    fuzz(
      FAMILY,
      300,
      fc.property(fc.uint8Array({ maxLength: 2000 }), (raw) => {
        const { parser, body } = feedAll([Buffer.from(raw)]);
        if (body.length) assert.ok(parser.head);
      }),
    );
  });
});
