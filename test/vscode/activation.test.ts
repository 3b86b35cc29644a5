/** Wiring: the extension activates, returns its API, and its commands match package.json. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { getApi, REPO_ROOT } from './util';

describe('activation', () => {
  it('activates and returns the API', async () => {
    const api = await getApi();
    assert.strictEqual(api.apiVersion, 1);
    assert.deepStrictEqual(api.watches(), []);
    assert.strictEqual(api.statusBar().visible, false, 'hidden while nothing is watched');
  });

  it('registers every command in package.json, and no other', async () => {
    await getApi();
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const declared = (manifest.contributes.commands as { command: string; category: string }[]).map((c) => c.command).sort();
    const views = (manifest.contributes.views.debug as { id: string }[]).map((v) => `${v.id}.`);
    // VS Code adds commands of its own for each view (memoryWatch.debugView.focus, …).
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('memoryWatch.') && !views.some((v) => c.startsWith(v))).sort();
    assert.deepStrictEqual(registered, declared);
    for (const c of manifest.contributes.commands) assert.strictEqual(c.category, 'Memory Watch', c.command);
  });

  it('is not activated on "*"', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.ok(!manifest.activationEvents.includes('*'));
    assert.deepStrictEqual(manifest.extensionKind, ['workspace']);
  });
});
