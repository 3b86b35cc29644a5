/**
 * Where "Add FreeOSMemory Hook" may write: a folder whose real path is inside a workspace folder's
 * real path, hook files that are absent or regular files — never through a symbolic link — and the
 * same checks again when the user says yes (the question can stay open for minutes while the
 * folder changes). Real folders, real symbolic links.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { planHook, resolveHookFolder, writeHook } from '../../src/core/hook/place';
import { HOOK_FILE_NAME, HOOK_FILES, HOOK_SIGNAL_FILE_NAME } from '../../src/core/hook/template';

describe('where the FreeOSMemory hook may be written', () => {
  let base: string;
  let ws: string;
  let outside: string;
  beforeEach(() => {
    // realpath: os.tmpdir() itself may be a link (macOS: /var → /private/var).
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-hookplace-')));
    ws = path.join(base, 'ws');
    outside = path.join(base, 'outside');
    for (const d of [ws, path.join(ws, 'prog'), outside]) fs.mkdirSync(d);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('a folder inside a workspace folder: its real path', async () => {
    assert.deepStrictEqual(await resolveHookFolder(path.join(ws, 'prog'), [ws]), { ok: true, folder: path.join(ws, 'prog') });
    assert.deepStrictEqual(await resolveHookFolder(ws, [ws]), { ok: true, folder: ws });
    // A link that stays inside the workspace is fine: the real path is what is written to.
    fs.symlinkSync(path.join(ws, 'prog'), path.join(ws, 'alias'), 'dir');
    assert.deepStrictEqual(await resolveHookFolder(path.join(ws, 'alias'), [ws]), { ok: true, folder: path.join(ws, 'prog') });
    // A workspace folder opened through a link: compared by real paths too.
    fs.symlinkSync(ws, path.join(base, 'ws-link'), 'dir');
    assert.deepStrictEqual(await resolveHookFolder(path.join(ws, 'prog'), [path.join(base, 'ws-link')]), { ok: true, folder: path.join(ws, 'prog') });
  });

  it('a symbolic link inside the workspace leading outside it: refused, saying where it leads', async () => {
    fs.symlinkSync(outside, path.join(ws, 'elsewhere'), 'dir');
    const result = await resolveHookFolder(path.join(ws, 'elsewhere'), [ws]);
    assert.strictEqual(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /elsewhere is outside this workspace's folders \(it leads to .*outside\)/);
  });

  it('a folder beside the workspace whose name starts with the workspace\'s: refused', async () => {
    fs.mkdirSync(path.join(base, 'ws-evil'));
    assert.strictEqual((await resolveHookFolder(path.join(base, 'ws-evil'), [ws])).ok, false);
    assert.strictEqual((await resolveHookFolder(path.join(ws, '..', 'outside'), [ws])).ok, false);
  });

  it('not a folder, or missing: refused', async () => {
    fs.writeFileSync(path.join(ws, 'file.go'), 'package main\n');
    assert.match(JSON.stringify(await resolveHookFolder(path.join(ws, 'file.go'), [ws])), /is not a folder/);
    assert.match(JSON.stringify(await resolveHookFolder(path.join(ws, 'missing'), [ws])), /is not a folder/);
  });

  it('the plan: which hook files it would replace; a link where one goes, dangling or not: refused', async () => {
    const prog = path.join(ws, 'prog');
    assert.deepStrictEqual(await planHook(prog), { ok: true, existing: [] });
    fs.writeFileSync(path.join(prog, HOOK_FILE_NAME), '// old\n');
    assert.deepStrictEqual(await planHook(prog), { ok: true, existing: [HOOK_FILE_NAME] });

    fs.writeFileSync(path.join(outside, 'mine.go'), '// mine\n');
    fs.symlinkSync(path.join(outside, 'mine.go'), path.join(prog, HOOK_SIGNAL_FILE_NAME));
    const linked = await planHook(prog);
    assert.match(!linked.ok ? linked.reason : '', new RegExp(`^${HOOK_SIGNAL_FILE_NAME} is a symbolic link \\(to .*mine\\.go\\)`));

    fs.unlinkSync(path.join(prog, HOOK_SIGNAL_FILE_NAME));
    fs.symlinkSync(path.join(outside, 'absent.go'), path.join(prog, HOOK_SIGNAL_FILE_NAME));
    assert.strictEqual((await planHook(prog)).ok, false, 'a dangling link: writing would create the file it points to');
  });

  it('writes both files ("create"); a file that appeared meanwhile is not replaced', async () => {
    const prog = path.join(ws, 'prog');
    const written = await writeHook(prog, [ws], 'create');
    assert.deepStrictEqual(written, { ok: true, file: path.join(prog, HOOK_FILE_NAME) });
    for (const f of HOOK_FILES) assert.strictEqual(fs.readFileSync(path.join(prog, f.name), 'utf8'), f.source);

    fs.writeFileSync(path.join(prog, HOOK_FILE_NAME), '// edited by hand while the question was open\n');
    const again = await writeHook(prog, [ws], 'create');
    assert.match(!again.ok ? again.reason : '', new RegExp(`${HOOK_FILE_NAME} already exists`));
    assert.strictEqual(fs.readFileSync(path.join(prog, HOOK_FILE_NAME), 'utf8'), '// edited by hand while the question was open\n');
  });

  it('"Overwrite" replaces regular files, but not a link swapped in while the question was open', async () => {
    const prog = path.join(ws, 'prog');
    fs.writeFileSync(path.join(prog, HOOK_FILE_NAME), '// old\n');
    assert.deepStrictEqual(await writeHook(prog, [ws], 'replace'), { ok: true, file: path.join(prog, HOOK_FILE_NAME) });
    assert.strictEqual(fs.readFileSync(path.join(prog, HOOK_FILE_NAME), 'utf8'), HOOK_FILES[0].source);

    // After the plan (no links) and before the yes: the file becomes a link to one outside.
    fs.writeFileSync(path.join(outside, 'mine.go'), '// mine\n');
    fs.rmSync(path.join(prog, HOOK_FILE_NAME));
    fs.symlinkSync(path.join(outside, 'mine.go'), path.join(prog, HOOK_FILE_NAME));
    const result = await writeHook(prog, [ws], 'replace');
    assert.match(!result.ok ? result.reason : '', /is a symbolic link/);
    assert.strictEqual(fs.readFileSync(path.join(outside, 'mine.go'), 'utf8'), '// mine\n');
  });

  it('the folder itself swapped for a link to one outside while the question was open: refused', async () => {
    const prog = path.join(ws, 'prog');
    fs.rmSync(prog, { recursive: true });
    fs.symlinkSync(outside, prog, 'dir');
    const result = await writeHook(prog, [ws], 'create');
    assert.strictEqual(result.ok, false);
    assert.deepStrictEqual(fs.readdirSync(outside), []);
  });
});
