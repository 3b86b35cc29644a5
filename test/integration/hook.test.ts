/**
 * The Go file "Add FreeOSMemory Hook to This Program" writes: added to a program that exposes
 * nothing, with no change to go.mod, it makes Memory Watch find Go figures and free memory.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover } from '../../src/core/goruntime/discovery';
import { HOOK_FILE_NAME, HOOK_SOURCE, isPackageMain } from '../../src/core/hook/template';
import { MiB } from '../../src/core/format';
import { postHook } from '../../src/core/release/httpHook';
import { startProgram, stopAll } from '../support/goFixtures';

describe('the FreeOSMemory hook file', function () {
  this.timeout(120_000);
  afterEach(() => stopAll());

  it('compiles into a program with nothing else, and serves the agent protocol', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-hook-'));
    const agentDir = path.join(dir, 'agents');
    try {
      // A program with no memory endpoints, and its own go.mod with no requirements.
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module hooked\n\ngo 1.22\n');
      fs.writeFileSync(
        path.join(dir, 'main.go'),
        'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n\t"time"\n)\n\nfunc main() {\n\tgarbage := make([][]byte, 0)\n\tfor i := 0; i < 128; i++ {\n\t\tb := make([]byte, 1<<20)\n\t\tfor j := range b {\n\t\t\tb[j] = 1\n\t\t}\n\t\tgarbage = append(garbage, b)\n\t}\n\tgarbage = nil\n\truntime.GC()\n\tfmt.Println("ready")\n\tfor {\n\t\ttime.Sleep(time.Second)\n\t}\n}\n',
      );
      assert.ok(isPackageMain(fs.readFileSync(path.join(dir, 'main.go'), 'utf8')));
      fs.writeFileSync(path.join(dir, HOOK_FILE_NAME), HOOK_SOURCE);
      execFileSync(process.env.MEMORY_WATCH_GO || 'go', ['vet', '.'], { cwd: dir });
      execFileSync(process.env.MEMORY_WATCH_GO || 'go', ['build', '-o', 'hooked', '.'], { cwd: dir });
      assert.strictEqual(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8'), 'module hooked\n\ngo 1.22\n', 'go.mod unchanged');
      const program = await startProgram(path.join(dir, 'hooked'), [], /ready/, { MEMORYWATCH_AGENT_DIR: agentDir });
      const found = await discover(program.pid, { overrideUrl: '', allowedHosts: [] });
      assert.strictEqual(found.source?.kind, 'agent', found.reason);
      assert.ok(found.figures!.heapFree + found.figures!.heapReleased > 100 * MiB);
      const answer = await postHook(found.source!.freeOSMemoryUrl!, []);
      assert.strictEqual(answer.status, 200);
      const body = JSON.parse(answer.body);
      assert.ok(body.after.heapReleased >= body.before.heapReleased);
      const again = await postHook(found.source!.freeOSMemoryUrl!, []);
      assert.strictEqual(again.status, 429, 'at most once a second');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recognises package main', () => {
    assert.ok(isPackageMain('// Command x.\npackage main\n'));
    assert.ok(isPackageMain('/* package lib */\n\npackage main // yes\n'));
    assert.ok(!isPackageMain('package mainly\n'));
    assert.ok(!isPackageMain('// package main\npackage lib\n'));
  });
});
