/**
 * The layers hold because ESLint holds them: a webview imports only src/shared, and src/shared
 * imports neither Node, vscode nor anything above it. Lints a line that breaks each rule, as if
 * it were in a real file of that layer, with the project's own configuration.
 */
import * as assert from 'assert';
import * as path from 'path';
import { ESLint } from 'eslint';

const ROOT = path.join(__dirname, '..', '..', '..');

/** One linter for every case: the project is loaded once. */
let eslint: ESLint | undefined;

async function restrictedImports(file: string, source: string): Promise<string[]> {
  eslint ??= new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(source, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layers, as ESLint holds them', function () {
  // Type-aware linting loads the project once (a few seconds).
  this.timeout(60_000);

  it('a webview imports only src/shared: not core, not the shell, not vscode, not Node', async () => {
    const file = 'src/webview/kinds.ts';
    for (const line of ["import { Watch } from '../core/watch';", "import { GraphPanel } from '../vscode/graphPanel';", "import vscode = require('vscode');", "import * as fs from 'fs';", "import { readFile } from 'node:fs/promises';"]) {
      const messages = await restrictedImports(file, `${line}\nexport const x = 1;\n`);
      assert.strictEqual(messages.length, 1, `${line}: ${messages.join('; ')}`);
    }
    assert.deepStrictEqual(await restrictedImports(file, "import { formatBytes } from '../shared/format';\nexport const x = formatBytes;\n"), []);
  });

  it('src/shared imports only src/shared', async () => {
    const file = 'src/shared/text.ts';
    for (const line of ["import { diagnose } from '../core/diagnosis';", "import { Chart } from '../webview/chart';", "import vscode = require('vscode');", "import * as path from 'path';", "import { Worker } from 'node:worker_threads';"]) {
      const messages = await restrictedImports(file, `${line}\nexport const x = 1;\n`);
      assert.strictEqual(messages.length, 1, `${line}: ${messages.join('; ')}`);
    }
    assert.deepStrictEqual(await restrictedImports(file, "import { formatBytes } from './format';\nexport const x = formatBytes;\n"), []);
  });
});
