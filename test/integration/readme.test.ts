/** The Go lines the README tells users to add must compile, and the hook must answer as promised. */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startProgram, stopAll, REPO_ROOT } from '../support/goFixtures';
import { postHook } from '../../src/core/release/httpHook';
import { execFileSync as run } from 'child_process';

function goSnippets(): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```go\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README Go snippets', function () {
  this.timeout(120_000);
  afterEach(() => stopAll());

  it('has the HTTP hook and the signal handler', () => {
    const snippets = goSnippets();
    assert.strictEqual(snippets.length, 2);
    assert.match(snippets[0], /debug\.FreeOSMemory\(\)/);
    assert.match(snippets[1], /signal\.Notify\(c, syscall\.SIGUSR1\)/);
  });

  it('compile into a program whose hook answers a POST', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-readme-'));
    try {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module readme\n\ngo 1.22\n');
      goSnippets().forEach((code, i) => fs.writeFileSync(path.join(dir, `snippet${i}.go`), `package main\n\n${code}`));
      fs.writeFileSync(
        path.join(dir, 'main.go'),
        'package main\n\nimport (\n\t"fmt"\n\t"net"\n\t"net/http"\n)\n\nfunc main() {\n\tln, _ := net.Listen("tcp", "127.0.0.1:0")\n\tfmt.Printf("listening on %s\\n", ln.Addr())\n\thttp.Serve(ln, nil)\n}\n',
      );
      execFileSync('go', ['build', '-o', 'readme-program', '.'], { cwd: dir });
      const program = await startProgram(path.join(dir, 'readme-program'), [], /listening on (127\.0\.0\.1:\d+)/);
      const answer = await postHook(new URL(`http://${program.match![1]}/debug/freeosmemory`), []);
      assert.strictEqual(answer.status, 204);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README links', function () {
  this.timeout(120_000);

  it('every relative link and image names a file that exists and that the .vsix carries', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
    assert.ok(targets.length >= 5, `${targets.length} relative links`);
    // What vsce packs, as `vsce ls` lists it (the same rules as `npm run package`).
    const packed = new Set(run(path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').map((l) => l.trim()));
    for (const target of new Set(targets)) {
      assert.ok(fs.existsSync(path.join(REPO_ROOT, target)), `${target} exists`);
      assert.ok(packed.has(target), `${target} is in the .vsix (.vscodeignore), or the README's link is broken on the extension's page`);
    }
  });

  it('the .vsix carries every bundle the build makes (the extension, its child-process tasks, the webviews)', () => {
    const packed = new Set(run(path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').map((l) => l.trim()));
    // Every esbuild output scripts/build.mjs names (a task's bundle missing from the .vsix fails only where it is installed).
    const build = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'build.mjs'), 'utf8');
    const bundles = [...build.matchAll(/Bundle\('[^']+',\s*'([^']+\.js)'/g)].map((m) => m[1]);
    assert.ok(bundles.length >= 5 && bundles.includes('dist/historyTask.js'), bundles.join(', '));
    for (const bundle of bundles) assert.ok(packed.has(bundle), `${bundle} is built but not in the .vsix (.vscodeignore)`);
  });
});
