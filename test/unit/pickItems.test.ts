/**
 * Quick pick rows built from text that is not ours draw no icon from it: a process named
 * `$(alert)x`, a recording named `$(bug).memwatch.json`, a marker labelled `$(zap)`. Only the
 * icons Memory Watch puts there itself are drawn. (test/integration/vscodePatterns.test.ts checks
 * escapeIcons against the pattern taken from the real workbench.)
 */
import * as assert from 'assert';
import { alignRow, compareWatchRow, debugSessionRow, hookFolderRow, PickRow, processRow, recordingRow, watchRow } from '../../src/core/pickItems';

/** VS Code's icon pattern (vs/base/common/iconLabels.ts); an escaped one (`\$(x)`) shows as typed. */
const ICON = /(\\)?\$\([a-z0-9-]+?(?:~[a-z0-9-]*?)?\)/gi;

/** The icons a row draws, field by field. */
function iconsDrawn(row: PickRow): string[] {
  return [row.label, row.description ?? '', row.detail ?? ''].flatMap((text) => [...text.matchAll(ICON)].filter((m) => !m[1]).map((m) => m[0]));
}

const HOSTILE = '$(alert)x $(sync~spin)';

describe('quick pick rows from untrusted text', () => {
  it('a process: name, Go version and command line', () => {
    const row = processRow({ pid: 42, name: '$(alert)x', commandLine: `/bin/$(alert)x --flag ${HOSTILE}`, go: { version: 'go$(zap)' } as never }, false);
    assert.deepStrictEqual(iconsDrawn(row), [], JSON.stringify(row));
    assert.strictEqual(row.label, '\\$(alert)x', 'shows as typed');
    assert.deepStrictEqual(iconsDrawn(processRow({ pid: 7, name: 'p', commandLine: '', executable: `/opt/${HOSTILE}` }, true)), []);
  });

  it('a debug session: its name (a launch configuration\'s)', () => {
    assert.deepStrictEqual(iconsDrawn(debugSessionRow({ name: HOSTILE, pid: 1 }, true)), ['$(debug)']);
  });

  it('a watch, when a command picks one', () => {
    assert.deepStrictEqual(iconsDrawn(watchRow('$(alert)x', 'PID 1 · RSS 1.0 MiB')), []);
  });

  it('Compare With…: a recording by its file name, a watch by its process name', () => {
    const recording = recordingRow('$(bug).memwatch.json');
    assert.deepStrictEqual(iconsDrawn(recording), ['$(file)'], recording.label);
    assert.strictEqual(recording.label, '$(file) \\$(bug).memwatch.json');
    assert.deepStrictEqual(iconsDrawn(compareWatchRow('$(alert)x', 3, 'running')), ['$(pulse)']);
  });

  it('Compare With…: lining up at a marker with a label from the target', () => {
    assert.deepStrictEqual(iconsDrawn(alignRow('$(zap) deploy')), []);
  });

  it('Add FreeOSMemory Hook: folders named in the workspace', () => {
    assert.deepStrictEqual(iconsDrawn(hookFolderRow('cmd/$(alert)x', '/src/repo/cmd/$(alert)x')), []);
  });
});
