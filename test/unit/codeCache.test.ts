/**
 * The bundle loaded with a V8 code cache (src/core/util/codeCache.ts), on real files in a temporary
 * directory and real V8 caches: it runs as a CommonJS module, a cache is written and then used, and
 * a cache never runs code other than the file's own — V8 itself checks only the source's length.
 * Each load runs in a Node process of its own, as the extension host loads the bundle once: within
 * one process V8 reuses the script it compiled before and never looks at the cache.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const CODE_CACHE_MODULE = path.join(__dirname, '..', '..', 'src', 'core', 'util', 'codeCache.js');

interface Loaded {
  readonly cache: string;
  readonly answer: string;
  readonly dirname: string;
  readonly helper: string;
  readonly osType: string;
}

/** Loads `bundle` in a new Node process, writes its cache (unless told not to), and says what happened. */
function load(bundle: string, cacheDir: string | undefined, writeCache = true): Loaded {
  const script = `
const { loadCachedModule } = require(${JSON.stringify(CODE_CACHE_MODULE)});
const loaded = loadCachedModule(process.argv[1], process.argv[2] || undefined);
const e = loaded.exports;
(process.argv[3] === 'write' ? loaded.writeCache() : Promise.resolve()).then(() =>
  process.stdout.write(JSON.stringify({ cache: loaded.cache, answer: e.answer(), dirname: e.dirname, helper: e.helper, osType: e.osType })));
`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, bundle, cacheDir ?? '', writeCache ? 'write' : ''], { encoding: 'utf8' })) as Loaded;
}

describe('loading the bundle with a code cache', () => {
  let dir: string;
  let cacheDir: string;
  let bundle: string;
  const write = (answer: string) => {
    fs.writeFileSync(
      bundle,
      `"use strict";
const helper = require('./helper.js');
module.exports = { answer: () => ${JSON.stringify(answer)}, dirname: __dirname, helper, osType: require('os').type() };
`,
    );
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-code-cache-'));
    cacheDir = path.join(dir, 'storage', 'code-cache');
    bundle = path.join(dir, 'extension.js');
    fs.writeFileSync(path.join(dir, 'helper.js'), 'module.exports = "helped";\n');
    write('first');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cacheFiles = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);

  it('runs the file as a CommonJS module; the first load writes a cache that the next one uses', () => {
    const first = load(bundle, cacheDir);
    assert.deepStrictEqual(first, { cache: 'missing', answer: 'first', dirname: dir, helper: 'helped', osType: os.type() });
    assert.strictEqual(cacheFiles().length, 1);
    const written = fs.statSync(path.join(cacheDir, cacheFiles()[0])).mtimeMs;
    const second = load(bundle, cacheDir);
    assert.strictEqual(second.cache, 'used');
    assert.strictEqual(second.answer, 'first');
    assert.strictEqual(fs.statSync(path.join(cacheDir, cacheFiles()[0])).mtimeMs, written, 'a cache that served is not written again');
  });

  it('a rebuilt bundle of the same length runs its own code, not the cached one, and its cache replaces the old', () => {
    load(bundle, cacheDir);
    const [oldCache] = cacheFiles();
    write('other');
    const rebuilt = load(bundle, cacheDir);
    assert.strictEqual(rebuilt.cache, 'missing');
    assert.strictEqual(rebuilt.answer, 'other');
    assert.strictEqual(cacheFiles().length, 1);
    assert.notStrictEqual(cacheFiles()[0], oldCache);
    assert.strictEqual(load(bundle, cacheDir).cache, 'used');
  });

  it('a cache V8 refuses (garbage, another V8) is ignored and rewritten', () => {
    load(bundle, cacheDir);
    const [name] = cacheFiles();
    fs.writeFileSync(path.join(cacheDir, name), Buffer.from('not a V8 code cache at all'));
    const refused = load(bundle, cacheDir);
    assert.strictEqual(refused.cache, 'rejected');
    assert.strictEqual(refused.answer, 'first');
    assert.strictEqual(load(bundle, cacheDir).cache, 'used');
  });

  it('no cache directory, or one that cannot be written: the module still loads, and nothing throws', () => {
    const off = load(bundle, undefined);
    assert.strictEqual(off.cache, 'off');
    assert.strictEqual(off.answer, 'first');
    // A file where the directory should be.
    fs.mkdirSync(path.dirname(cacheDir), { recursive: true });
    fs.writeFileSync(cacheDir, 'in the way');
    const blocked = load(bundle, cacheDir);
    assert.strictEqual(blocked.cache, 'missing');
    assert.strictEqual(blocked.answer, 'first');
    assert.strictEqual(fs.readFileSync(cacheDir, 'utf8'), 'in the way');
  });
});
