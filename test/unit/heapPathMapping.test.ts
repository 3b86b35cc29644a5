/**
 * Mapping a heap profile's file names to local files: every rule on an in-memory file system
 * (the rules are pure), then the real file system's bounded reads on real files — a FIFO and a
 * 2 GiB sparse file named go.mod must cost nothing.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createPathContext, escapeModulePath, LineCheck, mapProfilePath, parseGoModDirectives, PathContext, PathFs } from '../../src/core/heap/pathMapping';
import { createRealPathContext, listWorkspaceGoFiles, MAX_SOURCE_SCAN_BYTES, realPathFs } from '../../src/core/heap/realFs';
import { longestBlock } from '../support/wait';

/** Files as text; a `null` entry is something that exists but is no regular file (a FIFO). */
class MemoryFs implements PathFs {
  constructor(private readonly files: Record<string, string | null>) {}
  async isFile(file: string) {
    return typeof this.files[file] === 'string';
  }
  async readText(file: string, maxBytes: number) {
    const text = this.files[file];
    return typeof text === 'string' && Buffer.byteLength(text) <= maxBytes ? text : undefined;
  }
  async checkLine(file: string, line: number): Promise<LineCheck> {
    const text = this.files[file];
    return typeof text === 'string' && text.split('\n').filter((l, i, all) => i < all.length - 1 || l).length >= line ? 'present' : 'absent';
  }
  // No links here: every path is its own real path (links are tested on the real disk).
  async realPath(file: string) {
    return file;
  }
  list() {
    return Object.keys(this.files);
  }
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `// line ${i + 1}`).join('\n') + '\n';

const GOROOT = '/usr/lib/go';
const MODCACHE = '/home/me/go/pkg/mod';
const WORKSPACE_FILES: Record<string, string | null> = {
  '/ws/go.mod': 'module example.com/svc // the service\n\ngo 1.22\n\nreplace (\n\texample.com/dep2 v1.0.0 => ../dep2\n\texample.com/remote => example.com/fork v1.0.0\n)\n',
  '/ws/go.work': 'go 1.22\n\nuse (\n\t.\n\t./api-module\n\t"../lib" // outside the workspace\n)\nuse ./broken\n',
  '/ws/store.go': lines(50),
  '/ws/api-module/go.mod': 'module "example.com/svc/api"\n',
  '/ws/api-module/handler.go': lines(30),
  // A decoy where the enclosing module would put example.com/svc/api/handler.go.
  '/ws/api/handler.go': lines(30),
  '/ws/broken/go.mod': null,
  '/ws/internal/db/conn.go': lines(80),
  '/ws/internal/db/only.go': lines(10),
  // Two modules with the same layout: a suffix cannot tell them apart.
  '/ws/m1/go.mod': 'module example.com/m1\n',
  '/ws/m1/pkg/store.go': lines(40),
  '/ws/m2/go.mod': 'module example.com/m2\n',
  '/ws/m2/pkg/store.go': lines(40),
  '/ws/vendor/example.com/vend/v.go': lines(5),
  '/lib/go.mod': 'module example.com/lib\n',
  '/lib/x.go': lines(12),
  '/dep2/y.go': lines(12),
  [`${GOROOT}/src/runtime/malloc.go`]: lines(2000),
  [`${MODCACHE}/github.com/!burnt!sushi/toml@v1.2.0/decode.go`]: lines(300),
};
// The workspace's own files (the list VS Code would give): not /lib, /dep2, GOROOT, the cache.
const IN_WORKSPACE = Object.keys(WORKSPACE_FILES).filter((f) => f.startsWith('/ws/'));

describe('heap profile path mapping (rules)', () => {
  let context: PathContext;
  before(async () => {
    context = await createPathContext({ workspaceFolders: ['/ws'], workspaceFiles: IN_WORKSPACE, goroot: GOROOT, gomodcache: MODCACHE }, new MemoryFs(WORKSPACE_FILES));
  });
  const map = (file: string, line = 1) => mapProfilePath(file, line, context);

  it('reads go.mod and go.work: modules, nested modules, use, local replacements', () => {
    const modules = context.modules.map((m) => `${m.modulePath} → ${m.dir}`);
    assert.deepStrictEqual(
      modules.sort(),
      ['example.com/dep2 → /dep2', 'example.com/lib → /lib', 'example.com/m1 → /ws/m1', 'example.com/m2 → /ws/m2', 'example.com/svc → /ws', 'example.com/svc/api → /ws/api-module'].sort(),
    );
    assert.strictEqual(context.modules[0].modulePath, 'example.com/svc/api', 'longest first');
    assert.deepStrictEqual(context.problems, ['/ws/broken/go.mod: not a readable file of at most 1 MiB']);
  });

  it('the exact path, classified: workspace, GOROOT, module cache, elsewhere (all but the workspace read-only)', async () => {
    assert.deepStrictEqual(await map('/ws/store.go', 50), { kind: 'workspace', fsPath: '/ws/store.go', readOnly: false, rule: 'exact' });
    assert.deepStrictEqual(await map(`${GOROOT}/src/runtime/malloc.go`, 1200), { kind: 'goroot', fsPath: `${GOROOT}/src/runtime/malloc.go`, readOnly: true, rule: 'exact' });
    const cached = await map(`${MODCACHE}/github.com/!burnt!sushi/toml@v1.2.0/decode.go`);
    assert.deepStrictEqual([cached.kind, cached.readOnly], ['modcache', true]);
    assert.deepStrictEqual(await map('/lib/x.go', 3), { kind: 'external', fsPath: '/lib/x.go', readOnly: true, rule: 'exact' });
  });

  it('-trimpath module paths: the module that declares them, longest module path first', async () => {
    assert.deepStrictEqual(await map('example.com/svc/store.go', 10), { kind: 'workspace', fsPath: '/ws/store.go', readOnly: false, rule: 'module' });
    assert.strictEqual((await map('example.com/svc/api/handler.go')).fsPath, '/ws/api-module/handler.go', 'the nested module, not the decoy');
    assert.strictEqual((await map('example.com/svc/internal/db/conn.go')).fsPath, '/ws/internal/db/conn.go');
    assert.deepStrictEqual(await map('example.com/lib/x.go'), { kind: 'external', fsPath: '/lib/x.go', readOnly: true, rule: 'module' }, 'go.work use ../lib: outside the workspace');
    assert.strictEqual((await map('example.com/dep2/y.go')).fsPath, '/dep2/y.go', 'replace => ../dep2');
    // A module that only shares a prefix of the name is not the module, nor is any file of another.
    assert.deepStrictEqual(await map('example.com/svcx/store.go'), { kind: 'none', readOnly: true, reason: "3 workspace files are named store.go, none in the profile's package (svcx/store.go)" });
  });

  it('dependencies: the module cache (case-escaped), else a vendor folder', async () => {
    const dep = await map('github.com/BurntSushi/toml@v1.2.0/decode.go', 200);
    assert.deepStrictEqual(dep, { kind: 'modcache', fsPath: `${MODCACHE}/github.com/!burnt!sushi/toml@v1.2.0/decode.go`, readOnly: true, rule: 'modcache' });
    // Another machine's cache, default place and elsewhere.
    assert.strictEqual((await map('/home/ci/go/pkg/mod/github.com/!burnt!sushi/toml@v1.2.0/decode.go')).fsPath, dep.fsPath);
    assert.strictEqual((await map('/var/cache/gomod/github.com/!burnt!sushi/toml@v1.2.0/decode.go')).fsPath, dep.fsPath);
    assert.deepStrictEqual(await map('example.com/vend@v0.1.0/v.go'), { kind: 'workspace', fsPath: '/ws/vendor/example.com/vend/v.go', readOnly: false, rule: 'vendor' });
    const missing = await map('github.com/BurntSushi/toml@v1.3.0/decode.go');
    assert.strictEqual(missing.kind, 'none');
    assert.strictEqual(missing.reason, 'github.com/BurntSushi/toml@v1.3.0 is not in the module cache (/home/me/go/pkg/mod); no file in the workspace ends with decode.go');
    assert.strictEqual(escapeModulePath('github.com/Azure/azure-SDK'), 'github.com/!azure/azure-!s!d!k');
  });

  it('the standard library: -trimpath and any other GOROOT map to the local GOROOT, read-only', async () => {
    const expected = { kind: 'goroot', fsPath: `${GOROOT}/src/runtime/malloc.go`, readOnly: true, rule: 'goroot' };
    assert.deepStrictEqual(await map('runtime/malloc.go', 1000), expected);
    assert.deepStrictEqual(await map('/usr/local/go/src/runtime/malloc.go', 1000), expected);
    assert.deepStrictEqual(await map('/home/u/src/go1.26/src/runtime/malloc.go', 1000), expected);
    assert.deepStrictEqual(await map('C:\\Program Files\\Go\\src\\runtime\\malloc.go', 1000), expected);
    assert.strictEqual((await map('/usr/local/go/src/runtime/nosuch.go')).kind, 'none');
  });

  it('other machines: the longest unique path suffix, covering the path inside the module', async () => {
    assert.deepStrictEqual(await map('/build/ci/svc/internal/db/conn.go', 80), { kind: 'workspace', fsPath: '/ws/internal/db/conn.go', readOnly: false, rule: 'suffix' });
    assert.strictEqual((await map('C:\\build\\svc\\internal\\db\\conn.go', 5)).fsPath, '/ws/internal/db/conn.go');
    assert.deepStrictEqual(await map('/proc/self/cwd/internal/db/conn.go', 5), { kind: 'workspace', fsPath: '/ws/internal/db/conn.go', readOnly: false, rule: 'relative' }, "Bazel's prefix");
    // At a module's root only the base name can match (the checkout's folder name is anyone's);
    // m1/pkg/store.go and m2/pkg/store.go also end with store.go, but not with …/checkout/store.go.
    assert.strictEqual((await map('/home/bob/checkout/store.go', 12)).fsPath, '/ws/store.go');
  });

  it("the function's package path settles another machine's path", async () => {
    // Without it, a store.go at a module's root is the best guess for any …/store.go…
    assert.strictEqual((await map('/build/x/util/store.go')).fsPath, '/ws/store.go');
    // …with it, the package folder is known: found, or refused.
    assert.strictEqual((await mapProfilePath('/build/x/util/store.go', 1, context, 'example.com/svc/util.Save')).kind, 'none');
    assert.deepStrictEqual(await mapProfilePath('/build/x/svc/store.go', 1, context, 'example.com/svc.(*Server).Start'), { kind: 'workspace', fsPath: '/ws/store.go', readOnly: false, rule: 'module' });
    assert.deepStrictEqual(await mapProfilePath('/elsewhere/db/conn.go', 7, context, 'example.com/svc/internal/db.(*Conn).Query'), { kind: 'workspace', fsPath: '/ws/internal/db/conn.go', readOnly: false, rule: 'module' });
    assert.strictEqual((await mapProfilePath('/elsewhere/pkg/store.go', 7, context, 'example.com/m2/pkg.Put[go.shape.int]')).fsPath, '/ws/m2/pkg/store.go');
    assert.deepStrictEqual(await mapProfilePath('/x/store.go', 7, context, 'main.main'), await map('/x/store.go', 7), 'package main says nothing');
  });

  it('never a wrong file: ambiguous, absent, another package, too short', async () => {
    assert.deepStrictEqual(await map('/other/pkg/store.go'), { kind: 'none', readOnly: true, reason: '2 files in the workspace end with pkg/store.go' });
    assert.deepStrictEqual(await map('/other/nothing.go'), { kind: 'none', readOnly: true, reason: 'no file in the workspace ends with nothing.go' });
    assert.deepStrictEqual(await map('/build/svc/cache/only.go'), {
      kind: 'none',
      readOnly: true,
      reason: "the only workspace file named only.go is internal/db/only.go in module example.com/svc, not the profile's cache/only.go",
    });
    assert.strictEqual((await mapProfilePath('/build/x/util/store.go', 1, context, 'example.com/svc/util.Save')).reason, "3 workspace files are named store.go, none in the profile's package (util/store.go)");
    assert.deepStrictEqual(await map('/build/svc/internal/db/conn.go', 81), { kind: 'none', readOnly: true, reason: '/ws/internal/db/conn.go ends before line 81: it is not the file the program was built from' });
    for (const bad of ['', 'a\0b', '../../etc/passwd', 'x'.repeat(5000)]) assert.strictEqual((await map(bad)).kind, 'none', JSON.stringify(bad.slice(0, 20)));
  });

  it('a file found by name but now shorter is still the file, with a caveat', async () => {
    const stale = await map('example.com/svc/store.go', 51);
    assert.strictEqual(stale.fsPath, '/ws/store.go');
    assert.strictEqual(stale.reason, 'line 51 is past the end of store.go: the file changed since the program was built');
  });

  it('says so when GOMODCACHE is not known', async () => {
    const bare = await createPathContext({ workspaceFolders: ['/ws'], workspaceFiles: IN_WORKSPACE }, new MemoryFs(WORKSPACE_FILES));
    const dep = await mapProfilePath('github.com/BurntSushi/toml@v1.2.0/decode.go', 1, bare);
    assert.match(dep.reason!, /the module cache's location \(GOMODCACHE\) is not known/);
    assert.strictEqual((await mapProfilePath('runtime/malloc.go', 1, bare)).kind, 'none');
  });

  it('parses go.mod and go.work directives', () => {
    const parsed = parseGoModDirectives('// c\nmodule `example.com/raw`\nuse "./a b"\nreplace x => ./y // why\nreplace (\n  z v1 => /abs/z\n)\n');
    assert.deepStrictEqual(parsed, { module: 'example.com/raw', use: ['./a b'], replace: [{ from: 'x', to: './y' }, { from: 'z', to: '/abs/z' }] });
  });
});

describe('heap profile path mapping (real file system)', function () {
  this.timeout(10_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heap-paths-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Resolves with the value, or fails if it takes longer than `ms` (a hang). */
  const quickly = <T>(promise: Promise<T>, ms = 2000) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`took over ${ms} ms`)), ms).unref())]);

  it('a FIFO, a 2 GiB file and a folder named go.mod are not read; a real one is', async () => {
    const fifo = path.join(dir, 'fifo', 'go.mod');
    fs.mkdirSync(path.dirname(fifo));
    execFileSync('mkfifo', [fifo]);
    const huge = path.join(dir, 'huge', 'go.mod');
    fs.mkdirSync(path.dirname(huge));
    fs.writeFileSync(huge, 'module example.com/huge\n');
    fs.truncateSync(huge, 2 * 1024 ** 3); // sparse: costs no disk
    const folder = path.join(dir, 'folder', 'go.mod');
    fs.mkdirSync(folder, { recursive: true });
    const real = path.join(dir, 'real', 'go.mod');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, 'module example.com/real\n');

    assert.strictEqual(await quickly(realPathFs.readText(fifo, 1024 * 1024)), undefined);
    assert.strictEqual(await quickly(realPathFs.readText(huge, 1024 * 1024)), undefined);
    assert.strictEqual(await quickly(realPathFs.readText(folder, 1024 * 1024)), undefined);
    assert.strictEqual(await quickly(realPathFs.readText(path.join(dir, 'none'), 10)), undefined);
    assert.strictEqual(await realPathFs.readText(real, 1024 * 1024), 'module example.com/real\n');
    assert.strictEqual(await realPathFs.readText(real, 5), undefined, 'over the limit');
    assert.strictEqual(await quickly(realPathFs.isFile(fifo)), false);
    assert.strictEqual(await quickly(realPathFs.checkLine(fifo, 1)), 'absent');

    const context = await quickly(createRealPathContext({ workspaceFolders: [dir], workspaceFiles: [fifo, huge, folder, real] }));
    assert.deepStrictEqual(context.modules.map((m) => m.modulePath), ['example.com/real']);
    assert.strictEqual(context.problems.length, 3);
  });

  it('checkLine counts lines with bounded reads, also past a 64 KiB chunk', async () => {
    const file = path.join(dir, 'lines.go');
    fs.writeFileSync(file, 'x'.repeat(70_000) + '\n' + 'a\nb\n\nd');
    assert.strictEqual(await realPathFs.checkLine(file, 1), 'present');
    assert.strictEqual(await realPathFs.checkLine(file, 5), 'present');
    assert.strictEqual(await realPathFs.checkLine(file, 6), 'absent');
    assert.strictEqual(await realPathFs.checkLine(file, 0), 'absent');
    const trailing = path.join(dir, 'trailing.go');
    fs.writeFileSync(trailing, 'a\nb\n');
    assert.deepStrictEqual([await realPathFs.checkLine(trailing, 2), await realPathFs.checkLine(trailing, 3)], ['present', 'absent']);
    fs.writeFileSync(path.join(dir, 'empty.go'), '');
    assert.strictEqual(await realPathFs.checkLine(path.join(dir, 'empty.go'), 1), 'absent');
    // As many lines as bytes: the last line possible, and one more.
    const dense = path.join(dir, 'dense.go');
    fs.writeFileSync(dense, '\n'.repeat(99) + 'x');
    assert.deepStrictEqual([await realPathFs.checkLine(dense, 100), await realPathFs.checkLine(dense, 101)], ['present', 'absent']);
  });

  it('checkLine reads at most 4 MiB: a line its size allows but that lies further is unchecked, not counted on', async () => {
    assert.strictEqual(MAX_SOURCE_SCAN_BYTES, 4 * 1024 ** 2);
    const newlines = path.join(dir, 'capped.go');
    fs.writeFileSync(newlines, Buffer.alloc(8 * 1024 ** 2, 10));
    assert.strictEqual(await realPathFs.checkLine(newlines, 4 * 1024 ** 2), 'present', 'within the first 4 MiB');
    const cpuBefore = process.cpuUsage();
    const { result, blockedMs } = await longestBlock(() => realPathFs.checkLine(newlines, 6_000_000));
    const cpu = process.cpuUsage(cpuBefore);
    assert.strictEqual(result, 'unchecked');
    // ≈ 30 ms here (more on a first, unoptimised run); the 64 MiB scan it replaces took 1.9 s.
    const cpuMs = (cpu.user + cpu.system) / 1000;
    assert.ok(cpuMs < 250, `4 MiB of newlines took ${cpuMs.toFixed(1)} ms of CPU`);
    assert.ok(blockedMs < 50, `the event loop was blocked ${blockedMs.toFixed(1)} ms`);
    // In the mapping: the file, with the doubt said (and so no inline hint).
    const context = await createRealPathContext({ workspaceFolders: [dir], workspaceFiles: [newlines] });
    const mapping = await mapProfilePath(newlines, 6_000_000, context);
    assert.deepStrictEqual([mapping.fsPath, mapping.reason], [newlines, 'capped.go is too large to check that it has line 6000000']);
  });

  it('a line far past the end of a large file is answered at once: 5 lookups of line 1e9 cost ≪ 50 ms of CPU', async () => {
    // A 200 MiB sparse file (no disk) and 8 MiB of newlines (the most lines per byte): neither
    // can have a billionth line, which their sizes say without reading them.
    const sparse = path.join(dir, 'sparse.go');
    fs.writeFileSync(sparse, 'package big\n');
    fs.truncateSync(sparse, 200 * 1024 ** 2);
    const newlines = path.join(dir, 'newlines.go');
    fs.writeFileSync(newlines, Buffer.alloc(8 * 1024 ** 2, 10));
    for (const file of [sparse, newlines]) {
      // The first call of all pays for loading fs code (≈ 20 ms once): not the cost of a lookup.
      await realPathFs.checkLine(file, 1e9);
      const cpuBefore = process.cpuUsage();
      const { result, blockedMs } = await longestBlock(async () => {
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await realPathFs.checkLine(file, 1e9));
        return answers;
      });
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      assert.deepStrictEqual(result, ['absent', 'absent', 'absent', 'absent', 'absent']);
      assert.ok(cpuMs < 25, `${path.basename(file)}: 5 lookups of line 1e9 took ${cpuMs.toFixed(1)} ms of CPU`);
      assert.ok(blockedMs < 50, `${path.basename(file)}: the event loop was blocked ${blockedMs.toFixed(1)} ms`);
    }
  });

  it('lists a workspace: .go, go.mod and go.work; not node_modules, .git or symlink loops; bounded', async () => {
    const root = path.join(dir, 'ws');
    for (const f of ['go.mod', 'go.work', 'a/a.go', 'a/b/b.go', 'node_modules/x/x.go', '.git/y.go', 'a/README.md']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), 'package a\n');
    }
    fs.symlinkSync(root, path.join(root, 'a', 'loop'));
    const { files, truncated } = await listWorkspaceGoFiles([root]);
    assert.deepStrictEqual(files.map((f) => path.relative(root, f)).sort(), ['a/a.go', 'a/b/b.go', 'go.mod', 'go.work']);
    assert.strictEqual(truncated, false);
    const bounded = await listWorkspaceGoFiles([root], { maxFiles: 2 });
    assert.deepStrictEqual([bounded.files.length, bounded.truncated], [2, true]);
  });
});


/**
 * What a row may open, and how, on real files and real symbolic links: only files whose real path
 * is inside a workspace folder are editable; everything else that maps opens read-only; nothing in
 * /proc, /sys or /dev maps at all; a path with ".." is refused before it is looked up.
 */
describe('heap profile path mapping (what may open: real files and links)', function () {
  this.timeout(10_000);
  let root: string;
  let ws: string;
  let outside: string;
  let context: PathContext;
  const map = (file: string, line = 1) => mapProfilePath(file, line, context);

  before(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heap-open-')));
    ws = path.join(root, 'ws');
    outside = path.join(root, 'outside');
    fs.mkdirSync(path.join(ws, 'app'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(ws, 'app', 'app.go'), lines(20));
    fs.writeFileSync(path.join(outside, 'secret.go'), lines(10));
    fs.writeFileSync(path.join(outside, 'leak.go'), lines(10));
    fs.writeFileSync(
      path.join(ws, 'go.mod'),
      `module example.com/ws\n\nreplace example.com/evil => ${outside}\nreplace example.com/etc => /etc\nreplace example.com/sys => /proc/self\nreplace example.com/up => ../outside\n`,
    );
    fs.symlinkSync(outside, path.join(ws, 'out-link'));
    fs.symlinkSync('/proc/self', path.join(ws, 'proc-link'));
    fs.symlinkSync(path.join(ws, 'app'), path.join(ws, 'inner-link'));
    // A workspace file that is a link to a file outside (VS Code's file search follows links).
    fs.symlinkSync(path.join(outside, 'leak.go'), path.join(ws, 'leak.go'));
    fs.symlinkSync(ws, path.join(root, 'ws-link'));
    const workspaceFiles = ['go.mod', 'app/app.go', 'leak.go'].map((f) => path.join(ws, f));
    context = await createRealPathContext({ workspaceFolders: [ws], workspaceFiles });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a file outside the workspace opens read-only, named by its real path', async () => {
    assert.deepStrictEqual(await map(path.join(outside, 'secret.go'), 3), { kind: 'external', fsPath: path.join(outside, 'secret.go'), readOnly: true, rule: 'exact' });
    assert.deepStrictEqual(await map('/etc/passwd'), { kind: 'external', fsPath: '/etc/passwd', readOnly: true, rule: 'exact' });
    // A link inside the workspace that leads outside is outside.
    assert.deepStrictEqual(await map(path.join(ws, 'out-link', 'secret.go'), 3), { kind: 'external', fsPath: path.join(outside, 'secret.go'), readOnly: true, rule: 'exact' });
    const suffix = await map('/build/ci/leak.go', 3);
    assert.deepStrictEqual(suffix, { kind: 'external', fsPath: path.join(outside, 'leak.go'), readOnly: true, rule: 'suffix' }, 'a linked workspace file found by its suffix');
  });

  it('a workspace file is editable, also through links that stay inside', async () => {
    assert.deepStrictEqual(await map(path.join(ws, 'app', 'app.go'), 20), { kind: 'workspace', fsPath: path.join(ws, 'app', 'app.go'), readOnly: false, rule: 'exact' });
    assert.deepStrictEqual(await map(path.join(ws, 'inner-link', 'app.go'), 20), { kind: 'workspace', fsPath: path.join(ws, 'app', 'app.go'), readOnly: false, rule: 'exact' });
    // The workspace opened through a link (as macOS's /tmp is): its files are still its own, named as VS Code names them.
    const linked = await createRealPathContext({ workspaceFolders: [path.join(root, 'ws-link')], workspaceFiles: [] });
    assert.deepStrictEqual(await mapProfilePath(path.join(ws, 'app', 'app.go'), 20, linked), { kind: 'workspace', fsPath: path.join(root, 'ws-link', 'app', 'app.go'), readOnly: false, rule: 'exact' });
  });

  it('".." never escapes: refused before the file is looked up', async () => {
    for (const escape of [`${ws}/../outside/secret.go`, `${ws}/../../../../../../../../etc/passwd`, `${ws}/app/../app/app.go`, 'example.com/ws/../../etc/passwd', '/proc/self/cwd/../../../etc/passwd', 'C:\\ws\\..\\..\\etc\\passwd']) {
      const mapping = await map(escape);
      assert.deepStrictEqual(mapping, { kind: 'none', readOnly: true, reason: 'the path has a ".." segment, which is never followed' }, escape);
    }
  });

  it('nothing in /proc, /sys or /dev maps, as named or through a link', async () => {
    for (const file of ['/proc/self/environ', '/proc/self/cmdline', '/sys/kernel/mm/transparent_hugepage/enabled', '/dev/stdin', '/dev/fd/0', '//proc/./self/environ']) {
      const mapping = await map(file);
      assert.strictEqual(mapping.kind, 'none', file);
      assert.match(mapping.reason!, /^\/(proc|sys|dev)\/.* is in \/(proc|sys|dev), which is never opened$/, file);
    }
    const linked = await map(path.join(ws, 'proc-link', 'environ'));
    assert.strictEqual(linked.kind, 'none');
    assert.match(linked.reason!, new RegExp(`^${ws}/proc-link/environ leads to /proc/\\d+/environ, in /proc, which is never opened$`));
  });

  it("go.mod's replace directives: a folder outside the workspace opens read-only; /proc not at all", async () => {
    assert.deepStrictEqual(await map('example.com/evil/secret.go', 3), { kind: 'external', fsPath: path.join(outside, 'secret.go'), readOnly: true, rule: 'module' });
    assert.deepStrictEqual(await map('example.com/up/secret.go', 3), { kind: 'external', fsPath: path.join(outside, 'secret.go'), readOnly: true, rule: 'module' });
    assert.deepStrictEqual(await map('example.com/etc/passwd'), { kind: 'external', fsPath: '/etc/passwd', readOnly: true, rule: 'module' });
    const proc = await map('example.com/sys/environ');
    assert.strictEqual(proc.kind, 'none');
    assert.match(proc.reason!, /^\/proc\/self\/environ leads to \/proc\/\d+\/environ, in \/proc, which is never opened$/);
  });
});
