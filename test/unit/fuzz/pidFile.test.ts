/**
 * Fuzz: the PID file a workspace names (memoryWatch.pidFiles). Its text is the workspace's or a
 * service's: parsePidFile must accept exactly /^\s*\d{1,10}\s*$/ with a value from 1 to 2^53 − 1.
 * Its path, from the workspace's settings, goes through resolvePidFilePath.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as path from 'path';
import { parsePidFile, resolvePidFilePath } from '../../../src/core/pidFile';
import { anyString, fuzz, mutatedText, returns } from './support';

const FAMILY = 'pid file';

/** The specification, written independently of the parser. */
function specified(text: string): number | undefined {
  const m = /^\s*(\d{1,10})\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

/** Whitespace of every kind JavaScript's \s knows, and some it does not (U+200B, U+180E). */
const space = fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u200b', '\u180e', '');
const digitish = fc.constantFrom('0', '1', '7', '9', '\u0663', '\uff15', '-', '+', '.', 'e', 'x');

describe('fuzz: PID files', () => {
  it('accepts exactly /^\\s*\\d{1,10}\\s*$/ with a value in 1..2^53', () => {
    const shaped = fc.tuple(fc.array(space, { maxLength: 4 }), fc.array(digitish, { minLength: 0, maxLength: 13 }), fc.array(space, { maxLength: 4 })).map(([a, d, b]) => a.join('') + d.join('') + b.join(''));
    const numbers = fc.tuple(fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(0)), fc.array(space, { maxLength: 3 })).map(([n, ws]) => `${ws.join('')}${n}${ws.join('')}`);
    fuzz(FAMILY, 9000, fc.property(fc.oneof(shaped, numbers, mutatedText(['4321\n', '  77 ', '1\r\n']), anyString(20)), (text) => {
      assert.strictEqual(returns('parsePidFile', () => parsePidFile(text)), specified(text));
    }));
  });

  it('stays fast on a file that is all whitespace or digits (64 bytes are read, more must not hurt)', () => {
    fuzz(FAMILY, 20, fc.property(fc.integer({ min: 64, max: 1_000_000 }), fc.constantFrom(' ', '1', '\n', ' 1'), (n, c) => {
      assert.strictEqual(returns('parsePidFile', () => parsePidFile(c.repeat(n))), specified(c.repeat(n)));
    }));
  });

  it('resolvePidFilePath gives an absolute, normalized path or nothing, whatever the setting says', () => {
    const segment = fc.oneof(fc.constantFrom('~', '..', '.', '${workspaceFolder}', '', 'run', 'app.pid', '${env:HOME}', '\\'), fc.string({ unit: 'binary', maxLength: 8 }));
    const raw = fc.tuple(fc.constantFrom('', '/', '~/', ' ', './'), fc.array(segment, { maxLength: 5 })).map(([start, parts]) => start + parts.join('/'));
    const folder = fc.option(fc.constantFrom('/ws', '/home/me/project', '/a b/c'), { nil: undefined });
    fuzz(FAMILY, 1500, fc.property(fc.oneof(raw, anyString(40)), folder, (r, ws) => {
      const resolved = returns('resolvePidFilePath', () => resolvePidFilePath(r, ws));
      if (resolved === undefined) return;
      assert.ok(path.isAbsolute(resolved), resolved);
      assert.strictEqual(path.normalize(resolved), resolved);
      if (r.includes('${workspaceFolder}')) assert.ok(ws !== undefined);
    }));
  });
});
