/**
 * The bundle loaded with a V8 code cache (src/core/util/codeCache.ts), on real files in a temporary
 * directory and real V8 caches: it runs as a CommonJS module, a cache is written and then used, and
 * a cache never runs code other than the file's own — V8 itself checks only the source's length.
 * The cache file is ours but sits where others may write: a FIFO, a device or a file from another
 * build in its place is refused before or without a large read, and rewritten.
 * Each load runs in a Node process of its own, as the extension host loads the bundle once: within
 * one process V8 reuses the script it compiled before and never looks at the cache.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
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
  /** How long loadCachedModule took. */
  readonly loadMs: number;
  /** The most the process ever had resident. */
  readonly maxRssMiB: number;
}

/**
 * Loads `bundle` in a new Node process, writes its cache (unless told not to), and says what
 * happened. The process gets 10 s, and on Linux 1 GiB of address space: a load that hangs or reads
 * without end fails the test rather than the machine.
 */
function load(bundle: string, cacheDir: string | undefined, writeCache = true): Loaded {
  const script = `
const { performance } = require('perf_hooks');
const { loadCachedModule } = require(${JSON.stringify(CODE_CACHE_MODULE)});
const start = performance.now();
const loaded = loadCachedModule(process.argv[1], process.argv[2] || undefined);
const loadMs = performance.now() - start;
const e = loaded.exports;
const answer = e.answer();
(process.argv[3] === 'write' ? loaded.writeCache() : Promise.resolve()).then(() =>
  process.stdout.write(JSON.stringify({ cache: loaded.cache, answer, dirname: e.dirname, helper: e.helper, osType: e.osType, loadMs, maxRssMiB: process.resourceUsage().maxRSS / 1024 })));
`;
  const args = ['-e', script, bundle, cacheDir ?? '', writeCache ? 'write' : ''];
  const [command, commandArgs] = process.platform === 'linux' ? ['/bin/sh', ['-c', 'ulimit -v 1048576 && exec "$0" "$@"', process.execPath, ...args]] : [process.execPath, args];
  return JSON.parse(execFileSync(command, commandArgs, { encoding: 'utf8', timeout: 10_000 })) as Loaded;
}

/** What the cache file of `source` is named (its SHA-256, as the loader names it). */
const cacheNameOf = (source: string): string => `${crypto.createHash('sha256').update(source).digest('hex').slice(0, 32)}.v8cache`;

/** The header the loader writes before V8's data: magic, the bundle's SHA-256, the data's length (little-endian). */
function header(source: string, dataLength: number): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(dataLength);
  return Buffer.concat([Buffer.from('MW-V8C-1', 'latin1'), crypto.createHash('sha256').update(source).digest(), length]);
}

/**
 * V8's own cache for `file` (no header), made as the loader makes one — the CommonJS wrapper, the
 * module run first — and, for `tryOn`, whether V8 accepts it for that other file and what it runs.
 */
function rawV8Cache(file: string, tryOn?: string): { data: Buffer; rejected?: boolean; answer?: string } {
  const script = `
const fs = require('fs'); const vm = require('vm'); const Module = require('module');
const compile = (f, cachedData) => new vm.Script(Module.wrap(fs.readFileSync(f, 'utf8')), { filename: f, cachedData });
const run = (script, f) => { const m = { exports: {} }; script.runInThisContext()(m.exports, Module.createRequire(f), m, f, require('path').dirname(f)); return m.exports.answer(); };
const own = compile(process.argv[1]);
run(own, process.argv[1]);
const data = own.createCachedData();
const out = { data: data.toString('base64') };
if (process.argv[2]) {
  const other = compile(process.argv[2], data);
  Object.assign(out, { rejected: other.cachedDataRejected, answer: run(other, process.argv[2]) });
}
process.stdout.write(JSON.stringify(out));
`;
  // Another process: this one has compiled nothing of these files (V8 would reuse what it had).
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script, file, tryOn ?? ''], { encoding: 'utf8', timeout: 10_000 })) as { data: string; rejected?: boolean; answer?: string };
  return { ...out, data: Buffer.from(out.data, 'base64') };
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
    const { cache, answer, dirname, helper, osType } = load(bundle, cacheDir);
    assert.deepStrictEqual({ cache, answer, dirname, helper, osType }, { cache: 'missing', answer: 'first', dirname: dir, helper: 'helped', osType: os.type() });
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

  it('a cache V8 refuses (another V8) is ignored and rewritten', () => {
    load(bundle, cacheDir);
    const [name] = cacheFiles();
    // Our header, right for this bundle; then what V8 will not take (as another V8's cache).
    const garbage = Buffer.from('not a V8 code cache at all');
    fs.writeFileSync(path.join(cacheDir, name), Buffer.concat([header(fs.readFileSync(bundle, 'utf8'), garbage.length), garbage]));
    const refused = load(bundle, cacheDir);
    assert.strictEqual(refused.cache, 'rejected');
    assert.strictEqual(refused.answer, 'first');
    assert.strictEqual(load(bundle, cacheDir).cache, 'used');
  });

  it('a cache made from another source of the same length is not used — V8 alone would run it', () => {
    const source = fs.readFileSync(bundle, 'utf8');
    const first = path.join(dir, 'first.js');
    fs.copyFileSync(bundle, first);
    write('other');
    assert.strictEqual(fs.readFileSync(bundle, 'utf8').length, source.length);
    // What V8 does with first's cache for other's source: takes it, and runs first's code.
    const foreign = rawV8Cache(first, bundle);
    assert.strictEqual(foreign.rejected, false, 'V8 checks the length only');
    assert.strictEqual(foreign.answer, 'first', 'and runs the code the cache was made from');
    // In other's place: V8's data alone (a cache written before it had a header), then the
    // loader's own cache file for first — its name says other, its header says first.
    const firstCacheDir = path.join(dir, 'first-cache');
    load(first, firstCacheDir);
    const firstCacheFile = fs.readFileSync(path.join(firstCacheDir, cacheNameOf(source)));
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const impostor of [foreign.data, firstCacheFile]) {
      fs.writeFileSync(path.join(cacheDir, cacheNameOf(fs.readFileSync(bundle, 'utf8'))), impostor);
      const loaded = load(bundle, cacheDir);
      assert.strictEqual(loaded.answer, 'other', 'the bundle runs its own code');
      assert.strictEqual(loaded.cache, 'refused');
      const rewritten = load(bundle, cacheDir);
      assert.deepStrictEqual([rewritten.cache, rewritten.answer], ['used', 'other'], 'its own cache replaced the impostor');
    }
  });

  it('a cache file whose header is cut, garbage, or says a length it does not have: refused, and rewritten', () => {
    load(bundle, cacheDir);
    const [name] = cacheFiles();
    const file = path.join(cacheDir, name);
    const valid = fs.readFileSync(file);
    for (const [what, bytes] of [
      ['empty', Buffer.alloc(0)],
      ['the magic alone', valid.subarray(0, 8)],
      ['the header cut', valid.subarray(0, 30)],
      ['garbage', Buffer.from('not a V8 code cache at all, and no header either')],
      ['the data cut short', valid.subarray(0, valid.length - 10)],
      ['more data than it says', Buffer.concat([valid, Buffer.from('trailing')])],
    ] as const) {
      fs.writeFileSync(file, bytes);
      const loaded = load(bundle, cacheDir);
      assert.deepStrictEqual([loaded.cache, loaded.answer], ['refused', 'first'], what);
      assert.strictEqual(load(bundle, cacheDir, false).cache, 'used', `${what}: rewritten`);
    }
  });

  it('a FIFO in the cache file\'s place: refused at once (no wait for a writer), and replaced by a cache', function () {
    if (process.platform === 'win32') this.skip();
    fs.mkdirSync(cacheDir, { recursive: true });
    const file = path.join(cacheDir, cacheNameOf(fs.readFileSync(bundle, 'utf8')));
    execFileSync('mkfifo', [file]);
    const loaded = load(bundle, cacheDir);
    assert.deepStrictEqual([loaded.cache, loaded.answer], ['refused', 'first']);
    assert.ok(loaded.loadMs < 1000, `loading took ${loaded.loadMs.toFixed(0)} ms`);
    assert.ok(fs.statSync(file).isFile(), 'the FIFO was replaced by a cache file');
    assert.strictEqual(load(bundle, cacheDir).cache, 'used');
  });

  it('a symlink to /dev/zero, or a file far larger than any cache: refused without reading it', function () {
    if (process.platform === 'win32') this.skip();
    fs.mkdirSync(cacheDir, { recursive: true });
    const file = path.join(cacheDir, cacheNameOf(fs.readFileSync(bundle, 'utf8')));
    fs.symlinkSync('/dev/zero', file);
    const zero = load(bundle, cacheDir, false);
    assert.deepStrictEqual([zero.cache, zero.answer], ['refused', 'first']);
    // Node alone, with this small a module, stays well under this; reading /dev/zero would not.
    assert.ok(zero.maxRssMiB < 150, `the process grew to ${zero.maxRssMiB.toFixed(0)} MiB`);
    fs.rmSync(file);
    // 64 MiB, sparse (no disk used), beginning with a header right for this bundle.
    const source = fs.readFileSync(bundle, 'utf8');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, header(source, 64 * 1024 * 1024 - 44));
    fs.ftruncateSync(fd, 64 * 1024 * 1024);
    fs.closeSync(fd);
    const large = load(bundle, cacheDir, false);
    assert.deepStrictEqual([large.cache, large.answer], ['refused', 'first']);
    assert.ok(large.maxRssMiB < 150, `the process grew to ${large.maxRssMiB.toFixed(0)} MiB`);
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
