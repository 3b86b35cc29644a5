import * as assert from 'assert';
import { MAX_SMAPS_BYTES, MAX_STATUS_BYTES, SamplerFrame, SamplerFrameReader, samplerHelperPath } from '../../src/core/sources/samplerHelper';

const STATUS = 'Name:\tserver\nState:\tS (sleeping)\nVmSize:\t 1233536 kB\nVmRSS:\t   12180 kB\n';

function sampleFrame(time: number, status = STATUS): Buffer {
  const body = Buffer.from(status, 'latin1');
  return Buffer.concat([Buffer.from(`S ${time} ${body.length}\n`, 'latin1'), body]);
}

const SMAPS = '55d0c0a3e000-7ffd8a1f2000 ---p 00000000 00:00 0    [rollup]\nRss:    12180 kB\nLazyFree:   2048 kB\n';

function smapsFrame(time: number, costUs: number, smaps = SMAPS): Buffer {
  const body = Buffer.from(smaps, 'latin1');
  return Buffer.concat([Buffer.from(`L ${time} ${costUs} ${body.length}\n`, 'latin1'), body]);
}

function summarize(frames: SamplerFrame[]): string[] {
  return frames.map((f) =>
    f.kind === 'sample' ? `sample ${f.time} ${f.status.toString('latin1')}` : f.kind === 'lazyFree' ? `smaps ${f.time} ${f.costMs} ms ${f.smaps.toString('latin1')}` : JSON.stringify(f),
  );
}

describe('the sampler helper\'s frames', () => {
  it('reads a batch in one chunk', () => {
    const reader = new SamplerFrameReader();
    const frames = reader.push(Buffer.concat([Buffer.from('R\n'), sampleFrame(1000), sampleFrame(1100), Buffer.from('X 1200 3\n')]));
    assert.deepStrictEqual(summarize(frames), ['{"kind":"ready"}', `sample 1000 ${STATUS}`, `sample 1100 ${STATUS}`, '{"kind":"gone","time":1200,"errno":3}']);
  });

  it('reads the same frames whatever the chunks (split at every byte)', () => {
    const whole = Buffer.concat([Buffer.from('R\n'), sampleFrame(1000), smapsFrame(1050, 250), sampleFrame(1100, 'State:\tR\n'), smapsFrame(1150, 7, ''), Buffer.from('E reused\n')]);
    const expected = summarize(new SamplerFrameReader().push(whole));
    for (let size = 1; size <= 7; size++) {
      const reader = new SamplerFrameReader();
      const frames: SamplerFrame[] = [];
      for (let at = 0; at < whole.length; at += size) frames.push(...reader.push(whole.subarray(at, at + size)));
      assert.deepStrictEqual(summarize(frames), expected, `chunks of ${size}`);
    }
  });

  it('reads a smaps_rollup read among the samples, in order, with its cost in ms (empty: it could not be read)', () => {
    const frames = new SamplerFrameReader().push(Buffer.concat([sampleFrame(1000), smapsFrame(1050, 250), sampleFrame(1100), smapsFrame(1150, 12, '')]));
    assert.deepStrictEqual(summarize(frames), [`sample 1000 ${STATUS}`, `smaps 1050 0.25 ms ${SMAPS}`, `sample 1100 ${STATUS}`, 'smaps 1150 0.012 ms ']);
    assert.throws(() => new SamplerFrameReader().push(Buffer.from(`L 1 5 ${MAX_SMAPS_BYTES + 1}\n`)), /smaps_rollup of 4097 bytes/);
    assert.throws(() => new SamplerFrameReader().push(Buffer.from('L 1 5\n')), /not a frame/);
  });

  it('refuses what is not a frame, and never waits for more than one frame', () => {
    assert.throws(() => new SamplerFrameReader().push(Buffer.from('hello\n')), /not a frame/);
    assert.throws(() => new SamplerFrameReader().push(Buffer.from('S 1 x\n')), /not a frame/);
    assert.throws(() => new SamplerFrameReader().push(Buffer.from(`S 1 ${MAX_STATUS_BYTES + 1}\n`)), /sample of 8193 bytes/);
    // A line with no end, longer than any header: refused, not buffered.
    assert.throws(() => new SamplerFrameReader().push(Buffer.alloc(100, 0x41)), /not a frame/);
    const reader = new SamplerFrameReader();
    assert.deepStrictEqual(reader.push(Buffer.from(`S 1 ${MAX_STATUS_BYTES}\n`)), []);
    assert.deepStrictEqual(reader.push(Buffer.alloc(MAX_STATUS_BYTES - 1)), []);
    assert.strictEqual(reader.push(Buffer.alloc(1)).length, 1);
  });

  it('finds no helper where none is built (another system, a missing file)', () => {
    assert.strictEqual(samplerHelperPath('/nonexistent', 'linux', 'x64'), undefined);
    assert.strictEqual(samplerHelperPath('/nonexistent', 'darwin', 'arm64'), undefined);
  });
});
