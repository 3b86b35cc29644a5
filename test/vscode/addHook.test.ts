/**
 * Add FreeOSMemory Hook writes only inside the workspace's folders and never through a symbolic
 * link: real symlinks in the real workspace, the real command. Each case is refused before the
 * question (the modal, which nothing can answer from here), so the command must settle by itself.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { getApi } from './util';

const PREVIEW_SCHEME = 'memorywatch-preview';
const MAIN_GO = 'package main\n\nfunc main() {}\n';

describe('Add FreeOSMemory Hook: symbolic links', function () {
  this.timeout(30_000);
  const workspace = process.env.MEMORY_WATCH_WORKSPACE!;
  let outside: string;
  const made: string[] = [];

  before(() => getApi());
  beforeEach(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outside-'));
    fs.writeFileSync(path.join(outside, 'main.go'), MAIN_GO);
  });
  afterEach(() => {
    for (const p of made.splice(0)) fs.rmSync(p, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  /** A path in the workspace, removed after the test. */
  function inWorkspace(name: string): string {
    const p = path.join(workspace, name);
    made.push(p);
    return p;
  }

  /** Runs the command: its result, and whether it showed the files (the question comes right after them). */
  async function addHook(arg?: { folder: string }): Promise<{ result: unknown; previewed: boolean }> {
    let previewed = false;
    const sub = vscode.workspace.onDidOpenTextDocument((d) => {
      if (d.uri.scheme === PREVIEW_SCHEME) previewed = true;
    });
    try {
      let timer: NodeJS.Timeout | undefined;
      const asking = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after 10 s (asking the user?); files shown: ${previewed}`)), 10_000)));
      const result = await Promise.race([vscode.commands.executeCommand('memoryWatch.addFreeOSMemoryHook', arg), asking]).finally(() => clearTimeout(timer));
      return { result, previewed };
    } finally {
      sub.dispose();
    }
  }

  it('a folder argument that is a symbolic link leading outside the workspace: refused', async () => {
    const link = inWorkspace('outside-link');
    fs.symlinkSync(outside, link, 'dir');
    const { result, previewed } = await addHook({ folder: link });
    assert.strictEqual(result, undefined);
    assert.strictEqual(previewed, false, 'the files were shown: it was about to ask');
    assert.deepStrictEqual(fs.readdirSync(outside), ['main.go']);
  });

  it('picking from the list: a package main folder reached through a symbolic link leading outside is not offered', async () => {
    const link = inWorkspace('outside-link');
    fs.symlinkSync(outside, link, 'dir');
    // VS Code's search follows symbolic links (search.followSymlinks): the folder is found.
    const found = await vscode.workspace.findFiles('outside-link/*.go');
    assert.deepStrictEqual(
      found.map((u) => path.basename(u.fsPath)),
      ['main.go'],
      'findFiles does not follow the link here: this test shows nothing',
    );
    const { result, previewed } = await addHook();
    assert.strictEqual(result, undefined);
    assert.strictEqual(previewed, false, 'the folder outside was picked and the files shown');
    assert.deepStrictEqual(fs.readdirSync(outside), ['main.go']);
  });

  it('memorywatch_hook.go is a symbolic link to a file outside: refused before asking, that file unchanged', async () => {
    const prog = inWorkspace('prog');
    fs.mkdirSync(prog);
    fs.writeFileSync(path.join(prog, 'main.go'), MAIN_GO);
    const target = path.join(outside, 'mine.go');
    fs.writeFileSync(target, '// mine\n');
    fs.symlinkSync(target, path.join(prog, 'memorywatch_hook.go'));
    const { result, previewed } = await addHook({ folder: prog });
    assert.strictEqual(result, undefined);
    assert.strictEqual(previewed, false, 'it went on to ask "Overwrite"');
    assert.strictEqual(fs.readFileSync(target, 'utf8'), '// mine\n');
    assert.ok(fs.lstatSync(path.join(prog, 'memorywatch_hook.go')).isSymbolicLink(), 'the link is left as it was');
  });

  it('a dangling symbolic link named like a hook file: refused (writing would create the file it points to)', async () => {
    const prog = inWorkspace('prog');
    fs.mkdirSync(prog);
    fs.writeFileSync(path.join(prog, 'main.go'), MAIN_GO);
    const target = path.join(outside, 'created.go');
    fs.symlinkSync(target, path.join(prog, 'memorywatch_hook_signal.go'));
    const { result, previewed } = await addHook({ folder: prog });
    assert.strictEqual(result, undefined);
    assert.strictEqual(previewed, false, 'it went on to ask "Write"');
    assert.ok(!fs.existsSync(target));
  });
});
