/**
 * The Go files "Add FreeOSMemory Hook to This Program" writes: added to a program that exposes
 * nothing, with no change to go.mod, they make Memory Watch find Go figures and free memory, over
 * HTTP and by SIGUSR1; and they build for Windows and macOS too.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover } from '../../src/core/goruntime/discovery';
import { HOOK_FILES, isPackageMain } from '../../src/core/hook/template';
import { MiB } from '../../src/shared/format';
import { postHook } from '../../src/core/release/httpHook';
import { sendSignal } from '../../src/core/release/signal';
import { procIdentity } from '../../src/core/sampling/procfs';
import { isAlive, waitFor } from '../support/wait';
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
      for (const file of HOOK_FILES) fs.writeFileSync(path.join(dir, file.name), file.source);
      const go = process.env.MEMORY_WATCH_GO || 'go';
      execFileSync(go, ['vet', '.'], { cwd: dir });
      // The HTTP half is in every build, the SIGUSR1 half only where the OS has it; each builds.
      for (const [goos, goarch, files] of [['windows', 'amd64', 'main.go memorywatch_hook.go'], ['darwin', 'arm64', 'main.go memorywatch_hook.go memorywatch_hook_signal.go']]) {
        const env = { ...process.env, GOOS: goos, GOARCH: goarch, CGO_ENABLED: '0' };
        assert.strictEqual(execFileSync(go, ['list', '-f', '{{join .GoFiles " "}}', '.'], { cwd: dir, env, encoding: 'utf8' }).trim(), files, goos);
        execFileSync(go, ['vet', '.'], { cwd: dir, env });
      }
      execFileSync(go, ['build', '-o', 'hooked', '.'], { cwd: dir });
      assert.strictEqual(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8'), 'module hooked\n\ngo 1.22\n', 'go.mod unchanged');
      // GOGC=off with a memory limit: the runtime holds the freed 128 MiB until asked to return it.
      const program = await startProgram(path.join(dir, 'hooked'), [], /ready/, { MEMORYWATCH_AGENT_DIR: agentDir, GOGC: 'off', GOMEMLIMIT: '1GiB' });
      const found = await discover(program.pid, { overrideUrl: '', allowedHosts: [] });
      assert.strictEqual(found.source?.kind, 'agent', found.reason);
      const held = found.figures!.heapFree;
      assert.ok(held > 100 * MiB, `free heap held ${held / MiB} MiB`);

      // SIGUSR1 (memorywatch_hook_signal.go): the runtime returns what it held; the program lives.
      sendSignal(procIdentity(program.pid), 'SIGUSR1');
      const afterSignal = await waitFor(async () => {
        const f = (await found.source!.read()).figures;
        return f.heapReleased - found.figures!.heapReleased > 100 * MiB ? f : undefined;
      }, 'SIGUSR1 to release the held heap', 10_000, 100);
      assert.ok(afterSignal.heapFree < held / 4, `free heap after SIGUSR1: ${afterSignal.heapFree / MiB} MiB`);
      assert.ok(isAlive(program.pid));

      // HTTP: answers with before/after; at most once a second (the signal's run counts too).
      const answer = await waitFor(async () => {
        const a = await postHook(found.source!.freeOSMemoryUrl!, []);
        return a.status === 200 ? a : (assert.strictEqual(a.status, 429, a.body), undefined);
      }, 'the POST to be accepted once the second since SIGUSR1 has passed', 5000, 100);
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
