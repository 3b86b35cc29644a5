import * as assert from 'assert';
import { MAX_STATUS_BYTES, SamplerFrame, SamplerFrameReader, samplerHelperPath } from '../../src/core/sampling/samplerHelper';

const STATUS = 'Name:\tserver\nState:\tS (sleeping)\nVmSize:\t 1233536 kB\nVmRSS:\t   12180 kB\n';

function sampleFrame(time: number, status = STATUS): Buffer {
  const body = Buffer.from(status, 'latin1');
  return Buffer.concat([Buffer.from(`S ${time} ${body.length}\n`, 'latin1'), body]);
}

function summarize(frames: SamplerFrame[]): string[] {
  return frames.map((f) => (f.kind === 'sample' ? `sample ${f.time} ${f.status.toString('latin1')}` : JSON.stringify(f)));
}

describe('the sampler helper\'s frames', () => {
  it('reads a batch in one chunk', () => {
    const reader = new SamplerFrameReader();
    const frames = reader.push(Buffer.concat([Buffer.from('R\n'), sampleFrame(1000), sampleFrame(1100), Buffer.from('X 1200 3\n')]));
    assert.deepStrictEqual(summarize(frames), ['{"kind":"ready"}', `sample 1000 ${STATUS}`, `sample 1100 ${STATUS}`, '{"kind":"gone","time":1200,"errno":3}']);
  });

  it('reads the same frames whatever the chunks (split at every byte)', () => {
    const whole = Buffer.concat([Buffer.from('R\n'), sampleFrame(1000), sampleFrame(1100, 'State:\tR\n'), Buffer.from('E reused\n')]);
    const expected = summarize(new SamplerFrameReader().push(whole));
    for (let size = 1; size <= 7; size++) {
      const reader = new SamplerFrameReader();
      const frames: SamplerFrame[] = [];
      for (let at = 0; at < whole.length; at += size) frames.push(...reader.push(whole.subarray(at, at + size)));
      assert.deepStrictEqual(summarize(frames), expected, `chunks of ${size}`);
    }
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
