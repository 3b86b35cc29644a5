/**
 * The HTTP/1.1 parser of kept connections (src/core/net/http1.ts), on answers recorded from a real
 * Go net/http server (test/unit/recorded/http: Go 1.26, expvar over 4 KiB is sent chunked) and on
 * the ways a server may frame an answer, or get it wrong.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { HttpParseError, MAX_HEAD_BYTES, requestHead, ResponseParser } from '../../src/core/net/http1';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'http');
const recorded = (name: string): Buffer => fs.readFileSync(path.join(RECORDED, name));

/** Feeds `chunks` to a new parser; the body handed on, and the parser. */
function parse(chunks: readonly Buffer[], enough?: (bodySoFar: number) => boolean): { parser: ResponseParser; body: Buffer } {
  const parser = new ResponseParser();
  const pieces: Buffer[] = [];
  let size = 0;
  for (const chunk of chunks) {
    parser.feed(chunk, (piece) => {
      pieces.push(Buffer.from(piece));
      size += piece.length;
      return enough?.(size) ?? false;
    });
  }
  return { parser, body: Buffer.concat(pieces) };
}

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
/** Each byte on its own, as the slowest network would deliver them. */
const oneByOne = (buf: Buffer): Buffer[] => [...buf].map((b) => Buffer.from([b]));
/** `body` as chunks of one byte each, as a hostile server may send it. */
function oneByteChunks(body: Buffer): Buffer {
  const wire = Buffer.alloc(body.length * 6);
  for (let i = 0; i < body.length; i++) {
    wire.write('1\r\n', i * 6, 'latin1');
    wire[i * 6 + 3] = body[i];
    wire.write('\r\n', i * 6 + 4, 'latin1');
  }
  return wire;
}

function refuses(text: string, message: RegExp, oneByteAtATime = false): void {
  for (const chunks of oneByteAtATime ? [[bytes(text)], oneByOne(bytes(text))] : [[bytes(text)]]) {
    assert.throws(
      () => parse(chunks),
      (err: unknown) => err instanceof HttpParseError && message.test(err.message),
      `${JSON.stringify(text.slice(0, 80))} should be refused with ${message}${chunks.length > 1 ? ' (a byte at a time)' : ''}`,
    );
  }
}

describe('HTTP/1.1 answers on a kept connection', () => {
  it('a chunked /debug/vars from Go: the whole JSON, whole or a byte at a time, and the connection serves again', () => {
    const answer = recorded('go-expvar-chunked.http');
    for (const chunks of [[answer], oneByOne(answer)]) {
      const { parser, body } = parse(chunks);
      assert.ok(parser.complete);
      assert.deepStrictEqual(parser.head, { status: 200, contentType: 'application/json; charset=utf-8', contentEncoding: undefined, keepAlive: true });
      assert.strictEqual(parser.extra, 0);
      const vars = JSON.parse(body.toString('utf8')) as { memstats: { Alloc: number } };
      assert.ok(vars.memstats.Alloc > 0);
    }
  });

  it('Content-Length, 204 and 404 answers from Go', () => {
    const small = parse([recorded('go-small-length.http')]);
    assert.ok(small.parser.complete);
    assert.strictEqual(small.body.toString(), '{"ok":true}');
    const empty = parse([recorded('go-204.http')]);
    assert.ok(empty.parser.complete);
    assert.strictEqual(empty.parser.head?.status, 204);
    assert.strictEqual(empty.body.length, 0);
    const missing = parse(oneByOne(recorded('go-404.http')));
    assert.strictEqual(missing.parser.head?.status, 404);
    assert.strictEqual(missing.body.toString(), '404 page not found\n');
  });

  it('a consumer that has enough gets no more, and the parser still tells whether the answer ended', () => {
    const answer = recorded('go-expvar-chunked.http');
    // Socket reads of 512 bytes: the consumer sees its first few, then nothing more.
    const reads: Buffer[] = [];
    for (let at = 0; at < answer.length; at += 512) reads.push(answer.subarray(at, at + 512));
    const { parser, body } = parse(reads, (size) => size >= 1000);
    assert.ok(body.length >= 1000 && body.length < 1512, `${body.length} bytes handed on`);
    assert.ok(parser.complete, 'the rest was parsed past');
    const { parser: whole } = parse([answer], () => true);
    assert.ok(whole.complete, 'the rest arrived in the same read');
    const cut = parse([answer.subarray(0, 4000)], () => true);
    assert.ok(!cut.parser.complete, 'half an answer is not a whole one');
  });

  it('says when the connection must not serve again', () => {
    const close = parse([bytes('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')]);
    assert.ok(close.parser.complete && !close.parser.head!.keepAlive);
    const http10 = parse([bytes('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
    assert.ok(http10.parser.complete && !http10.parser.head!.keepAlive);
    // Both a length and a transfer coding: the chunks frame it (RFC 9112 §6.3), and the connection is not trusted again.
    const both = parse([bytes('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')]);
    assert.ok(both.parser.complete && !both.parser.head!.keepAlive);
    assert.strictEqual(both.body.toString(), 'ok');
    const extra = parse([bytes('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n')]);
    assert.ok(extra.parser.complete);
    assert.strictEqual(extra.parser.extra, 17, 'bytes after the answer are counted');
  });

  it('no length and no chunks: the body ends where the connection closes', () => {
    const { parser, body } = parse([bytes('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome'), bytes(' more')]);
    assert.ok(parser.endsAtClose && !parser.complete);
    assert.strictEqual(body.toString(), 'some more');
    const gzipOnly = parse([bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx')]);
    assert.ok(gzipOnly.parser.endsAtClose);
  });

  it('chunk extensions and trailers are read past; an interim 100 Continue is skipped', () => {
    const { parser, body } = parse(oneByOne(bytes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;name=v\r\nabc\r\n1\r\nd\r\n0\r\nX-Trailer: 1\r\n\r\n')));
    assert.ok(parser.complete);
    assert.strictEqual(parser.head?.status, 200);
    assert.strictEqual(body.toString(), 'abcd');
    assert.strictEqual(parser.extra, 0);
  });

  it('a large body in 1-byte chunks, in socket-sized reads: the same bytes, each read handed on in one piece', () => {
    // 512 KiB of JSON-ish text, each byte its own chunk: "1\r\nX\r\n", six bytes on the wire for one of body.
    const body = Buffer.from(`{"memstats":{"HeapAlloc":1},"pad":"${'0123456789abcdef'.repeat(32 * 1024)}"}`);
    const wire = Buffer.concat([bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), oneByteChunks(body), bytes('0\r\n\r\n')]);
    const parser = new ResponseParser();
    const pieces: Buffer[] = [];
    let mostPiecesInOneRead = 0;
    for (let at = 0; at < wire.length; at += 64 * 1024) {
      let piecesInThisRead = 0;
      parser.feed(wire.subarray(at, at + 64 * 1024), (piece) => {
        pieces.push(Buffer.from(piece));
        piecesInThisRead++;
        return false;
      });
      mostPiecesInOneRead = Math.max(mostPiecesInOneRead, piecesInThisRead);
    }
    assert.ok(parser.complete);
    assert.strictEqual(parser.extra, 0);
    assert.ok(Buffer.concat(pieces).equals(body), 'the body handed on is the body sent');
    // A consumer (the expvar scanner) pays per call: eleven thousand calls a read cost more than the bytes.
    assert.strictEqual(mostPiecesInOneRead, 1, `${mostPiecesInOneRead} pieces handed on for one read`);
  });

  it('chunked answers cut at every byte into two reads, or fed a byte at a time: the same body', () => {
    // Sizes of one and more digits, either case, leading zeros, an extension, a trailer.
    const answer = bytes(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '1\r\n{\r\n' +
        '0001\r\n"\r\n' +
        `1a;name="v"\r\n${'k'.repeat(26)}\r\n` +
        `1F\r\n${'"'.padEnd(31, 'v')}\r\n` +
        '2\r\n:1\r\n' +
        `00000000010A\r\n${'x'.repeat(0x10a)}\r\n` +
        '1\r\n}\r\n' +
        '0\r\nX-Trailer: 1\r\n\r\n',
    );
    const expected = `{"${'k'.repeat(26)}${'"'.padEnd(31, 'v')}:1${'x'.repeat(0x10a)}}`;
    const check = (chunks: Buffer[], what: string) => {
      const { parser, body } = parse(chunks);
      assert.ok(parser.complete, what);
      assert.strictEqual(parser.extra, 0, what);
      assert.strictEqual(body.toString('latin1'), expected, what);
    };
    for (let cut = 0; cut <= answer.length; cut++) check([answer.subarray(0, cut), answer.subarray(cut)], `cut at ${cut}`);
    check(oneByOne(answer), 'a byte at a time');
    // The same, behind the answer's own bytes in one read, and with the next answer's bytes after it.
    const twice = Buffer.concat([answer, answer]);
    const { parser } = parse([twice]);
    assert.ok(parser.complete);
    assert.strictEqual(parser.extra, answer.length, 'the second answer counts as bytes after the first');
  });

  it('refuses what is not HTTP/1.x as Go and Node write it, with a reason', () => {
    refuses('SSH-2.0-OpenSSH_9.6\r\n', /does not speak HTTP/);
    refuses('HTTP/2.0 200 OK\r\n\r\n', /does not speak HTTP/);
    refuses('HTTP/1.1 2000 OK\r\n\r\n', /does not speak HTTP/);
    refuses(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}`, /header larger than 16 KiB/);
    refuses(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`, /header larger than 16 KiB/);
    refuses('HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n', /malformed header/);
    refuses('HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n', /malformed header/);
    refuses('HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n', /malformed header/);
    refuses('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /two different Content-Lengths/);
    refuses('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /malformed Content-Length/);
    refuses('HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n', /malformed Content-Length/);
    refuses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip, chunked\r\n\r\n', /malformed Transfer-Encoding/);
    refuses('HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols/);
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    refuses(`${chunked}zz\r\n`, /not one/, true);
    refuses(`${chunked}fffffffffffff\r\n`, /not one/, true);
    refuses(`${chunked}0000000000001\r\nx\r\n`, /not one/, true);
    refuses(`${chunked}\r\n`, /not one/, true);
    refuses(`${chunked}-1\r\n`, /not one/, true);
    refuses(`${chunked}0x1\r\n`, /not one/, true);
    refuses(`${chunked}2\r\nokay\r\n`, /chunk longer than its size/, true);
    refuses(`${chunked}2\r\nok\n0\r\n\r\n`, /not one/, true);
    refuses(`${chunked}2\r\nok\rx0\r\n\r\n`, /not one|chunk longer than its size/, true);
    refuses(`${chunked}2\nok\r\n`, /not one/, true);
    refuses(`${chunked}2\rok\r\n`, /not one/, true);
    refuses(`${chunked}2;${'x'.repeat(2000)}`, /not one/, true);
    refuses(`${chunked}0\r\n${'X-T: 1\r\n'.repeat(3000)}`, /not one/, true);
    refuses(`${chunked}0\r\nX-T: 1\n\r\n`, /not one/, true);
  });

  it('the request: a GET or an empty POST, with the path and host of the URL', () => {
    assert.strictEqual(
      requestHead('GET', new URL('http://127.0.0.1:6060/debug/vars?x=1')).toString('latin1'),
      'GET /debug/vars?x=1 HTTP/1.1\r\nhost: 127.0.0.1:6060\r\nuser-agent: memory-watch\r\naccept: */*\r\n\r\n',
    );
    assert.strictEqual(
      requestHead('POST', new URL('http://[::1]/debug/memorywatch/freeosmemory')).toString('latin1'),
      'POST /debug/memorywatch/freeosmemory HTTP/1.1\r\nhost: [::1]\r\nuser-agent: memory-watch\r\naccept: */*\r\ncontent-length: 0\r\n\r\n',
    );
    // Whatever a URL was given, nothing it holds can end a line of the request.
    const odd = requestHead('GET', new URL('http://127.0.0.1/a b\r\nX-Injected: 1?q=\n')).toString('latin1');
    assert.strictEqual(odd.split('\r\n').length, 6, odd);
  });
});
