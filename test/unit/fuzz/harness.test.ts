/**
 * The fuzz suite's own checks can fail: a slow call, an engine error, a NaN figure, a wrong
 * parser — each is caught, with the seed to replay it. (A check that cannot fail is no check.)
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { applyByteMutation, applyMutation, assertCount, assertPort, call, chunkBoundaries, chunksOf, fuzz, mutatedText, returns, returnsOrRefuses, SEED } from './support';

const FAMILY = 'harness';

describe('fuzz: the harness itself', () => {
  it('fails a call that blocks for 50 ms or more, even when timed three times', () => {
    const busy = () => {
      const end = Date.now() + 60;
      while (Date.now() < end) {
        // Spinning: this is the blocking being measured.
      }
    };
    assert.throws(() => call('busy', busy), /blocked for \d+\.\d ms/);
    assert.doesNotThrow(() => call('quick', () => 1));
  });

  it('tells deliberate Errors from engine errors', () => {
    assert.strictEqual(returnsOrRefuses('x', () => { throw new Error('malformed x'); }, /^malformed/), undefined);
    assert.throws(() => returnsOrRefuses('x', () => { throw new TypeError('malformed x'); }, /^malformed/), /TypeError/);
    assert.throws(() => returnsOrRefuses('x', () => { throw new Error('other'); }, /^malformed/), /only Error/);
    assert.throws(() => returns('x', () => JSON.parse('{')), /SyntaxError/);
  });

  it('refuses figures that are not counts or ports', () => {
    for (const bad of [NaN, Infinity, -1, 1.5, 2 ** 53, '5', undefined]) assert.throws(() => assertCount('x', bad), /not a count/);
    for (const bad of [0, 65536, NaN, 1.5]) assert.throws(() => assertPort('x', bad), /not a TCP port/);
    assert.doesNotThrow(() => assertCount('x', 2 ** 53 - 1));
  });

  it('reports a wrong parser with its seed and a shrunk counterexample', () => {
    // A PID-file parser that forgot the digit bound: 2^53 and more are not PIDs.
    const careless = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined);
    assert.throws(
      () => fuzz(FAMILY, 2000, fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), (t) => { const n = careless(t); if (n !== undefined) assertCount('pid', n); })),
      (err: Error) => err.message.includes(`seed: ${SEED}`) && /Counterexample/.test(err.message),
    );
  });

  it('mutates: the seeds change, every mutation kind applies to any text, chunks add up', () => {
    const seed = 'HeapAlloc: 12 (34 bytes)\n"a\\"b":{"k":[1,2]}\n';
    fuzz(FAMILY, 300, fc.property(mutatedText([seed]), fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
      const bytes = Buffer.from(text);
      assert.deepStrictEqual(Buffer.concat(chunksOf(bytes, chunkBoundaries(bytes.length, cuts))), bytes);
    }));
    const changed = fc.sample(mutatedText([seed]), { seed: SEED, numRuns: 200 }).filter((t) => t !== seed).length;
    assert.ok(changed > 150, `only ${changed} of 200 mutations changed the seed`);
    assert.strictEqual(applyMutation('', { kind: 'number', nth: 3, replacement: '1e400' }), '');
    assert.strictEqual(applyMutation('a 12 b', { kind: 'number', nth: 0, replacement: '1e400' }), 'a 1e400 b');
    assert.strictEqual(applyMutation('a\nb\n', { kind: 'truncate', boundary: 'afterNewline', nth: 0 }), 'a\n');
    assert.strictEqual(applyMutation('ab12', { kind: 'truncate', boundary: 'insideNumber', nth: 0 }), 'ab1');
    assert.deepStrictEqual(applyByteMutation(Buffer.from([1, 2, 3]), { kind: 'flipBit', at: 4, bit: 7 }), Buffer.from([1, 0x82, 3]));
  });
});
