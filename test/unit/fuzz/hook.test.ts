/**
 * Fuzz: isPackageMain, which the "Add FreeOSMemory Hook" command runs on the first 8 KiB of every
 * .go file of the workspace (workspace-controlled text). Seeds: this repository's real Go files.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { isPackageMain } from '../../../src/core/hook/template';
import { anyString, call, filesBelow, fuzz, mutatedText, REPO_ROOT, returns } from './support';

const FAMILY = 'workspace go files';
/** How much of each file the command reads (addHook.ts). */
const READ_CHARS = 8192;

const GO_FILES = ['test/fixtures', 'agent', 'demo']
  .map((d) => path.join(REPO_ROOT, d))
  .filter((d) => fs.existsSync(d))
  .flatMap((d) => filesBelow(d).filter((f) => f.endsWith('.go')).map((f) => fs.readFileSync(path.join(d, f), 'utf8').slice(0, READ_CHARS)));

/** Comments and blank space a Go file may start with (no "*\/" inside a block comment). */
const lead = fc.array(fc.oneof(fc.constantFrom(' ', '\n', '\t', '\r\n'), anyString(30).filter((s) => !s.includes('\n')).map((s) => `// ${s}\n`), anyString(30).filter((s) => !s.includes('*/')).map((s) => `/* ${s} */`)), { maxLength: 6 }).map((parts) => parts.join(''));

describe('fuzz: workspace Go files', () => {
  it('has real Go files to mutate', () => assert.ok(GO_FILES.length >= 5 && GO_FILES.some(isPackageMain) && GO_FILES.some((t) => !isPackageMain(t))));

  it('never throws: mutations of real Go files and random text (up to 2 KiB)', () => {
    const seeds = GO_FILES.map((t) => t.slice(0, 2048));
    fuzz(FAMILY, 3000, fc.property(fc.oneof(mutatedText(seeds, 4, 1000), anyString(300)), (text) => assert.strictEqual(typeof returns('isPackageMain', () => isPackageMain(text.slice(0, 2048))), 'boolean')));
  });

  it('finds the package clause after any comments', () => {
    const name = fc.oneof(fc.constantFrom('main', 'main2', 'mainx', 'agent', 'Main', '_'), fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/));
    fuzz(FAMILY, 2000, fc.property(lead, name, fc.constantFrom('\n', '\n\nimport "os"\n', ' // x\n', ';'), (prefix, pkg, rest) => {
      assert.strictEqual(returns('isPackageMain', () => isPackageMain(`${prefix}package ${pkg}${rest}`)), pkg === 'main');
    }));
  });

  // Was a bug (found by this suite): /^\s*package\s+(\w+)/m was quadratic on blank lines (60 ms
  // for 8 KiB of newlines, per workspace file). The blanks are skipped once now.
  it('isPackageMain is fast on 8 KiB of blank lines', () => {
    call('isPackageMain', () => isPackageMain('\n'.repeat(READ_CHARS)));
    fuzz(FAMILY, 20, fc.property(fc.constantFrom('\n', ' \n', '\r\n', '\n\t'), (blank) => void call('isPackageMain', () => isPackageMain(blank.repeat(READ_CHARS).slice(0, READ_CHARS)))));
  });
});
