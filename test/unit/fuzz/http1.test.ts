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
import { call, chunkBoundaries, chunksOf, fuzz, mutatedBytes, RECORDED_DIR } from './support';

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

describe('fuzz: HTTP/1.1 answers', () => {
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
