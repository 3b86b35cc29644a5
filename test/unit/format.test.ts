import * as assert from 'assert';
import { formatBytes, formatDuration, formatTransition, MiB, unitFor } from '../../src/shared/format';

describe('format', () => {
  it('uses binary units with one decimal', () => {
    assert.strictEqual(formatBytes(0), '0 B');
    assert.strictEqual(formatBytes(1023), '1023 B');
    assert.strictEqual(formatBytes(1024), '1.0 KiB');
    assert.strictEqual(formatBytes(118.7 * MiB), '118.7 MiB');
    assert.strictEqual(formatBytes(1.5 * 1024 * MiB), '1.5 GiB');
  });

  it('never shows 1024.0 of a unit', () => {
    assert.strictEqual(formatBytes(MiB - 10), '1.0 MiB');
    assert.strictEqual(unitFor(1024 * MiB - 1), 'GiB');
  });

  it('shows unknown values as a dash', () => {
    assert.strictEqual(formatBytes(undefined), '—');
    assert.strictEqual(formatBytes(NaN), '—');
  });

  it('writes a transition in one unit when both ends share it', () => {
    assert.strictEqual(formatTransition(118.7 * MiB, 13.2 * MiB), '118.7 → 13.2 MiB');
    assert.strictEqual(formatTransition(1.2 * 1024 * MiB, 13.2 * MiB), '1.2 GiB → 13.2 MiB');
  });

  it('formats durations for people', () => {
    assert.strictEqual(formatDuration(40), '40 ms');
    assert.strictEqual(formatDuration(400), '0.4 s');
    assert.strictEqual(formatDuration(12_300), '12 s');
    assert.strictEqual(formatDuration(125_000), '2 min 5 s');
    assert.strictEqual(formatDuration(300_000), '5 min');
    assert.strictEqual(formatDuration(3_780_000), '1 h 3 min');
    assert.strictEqual(formatDuration(-1), '—');
  });
});
