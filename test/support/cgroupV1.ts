/**
 * Real cgroup v1 memory cgroups for the tests: made inside the test process's own memory cgroup
 * (never elsewhere), with a limit, a program started inside before it allocates anything, and
 * removed afterwards by `removeAllTestCgroups()` — also when a test fails. Needs root and a
 * writable v1 memory hierarchy; `v1MemoryCgroupUnavailable()` says why not otherwise.
 */
import * as fs from 'fs';
import * as path from 'path';
import { memoryMembership, parseMountInfo, parseProcCgroup, segmentsBelow } from '../../src/core/cgroup/parsers';
import { RunningProgram, startProgram } from './goFixtures';
import { waitFor } from './wait';

/** Where the test process's own v1 memory cgroup is. */
export interface OwnMemoryCgroup {
  /** As /proc/self/cgroup names it. */
  readonly path: string;
  readonly dir: string;
  /** The directory of the hierarchy's mount (the root cgroup when the mount root is "/"). */
  readonly mountDir: string;
  readonly mountRoot: string;
}

/** The test process's own v1 memory cgroup, or why there is none (a sentence). */
export function ownV1MemoryCgroup(): OwnMemoryCgroup | string {
  const found = memoryMembership(parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')));
  if (!found || found.version !== 1) return 'the memory controller is not on a cgroup v1 hierarchy here';
  const membership = found.membership;
  const mounts = parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  for (const mount of mounts) {
    const segments = segmentsBelow(membership.path, mount.root);
    if (segments) return { path: membership.path, dir: path.join(mount.mountPoint, ...segments), mountDir: mount.mountPoint, mountRoot: mount.root };
  }
  return `no v1 memory mount shows this process's cgroup ${membership.path}`;
}

/** Why this run cannot make v1 memory cgroups (for a test's skip message), or undefined when it can. */
export function v1MemoryCgroupUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'creating a memory cgroup needs root';
  const own = ownV1MemoryCgroup();
  if (typeof own === 'string') return own;
  // A real probe: a read-only or delegated-away hierarchy fails here, not in the middle of a test.
  const probe = path.join(own.dir, `mw-probe-${process.pid}`);
  try {
    fs.mkdirSync(probe);
    fs.writeFileSync(path.join(probe, 'memory.limit_in_bytes'), String(64 << 20));
  } catch (err) {
    return `cannot create a memory cgroup in ${own.dir}: ${(err as Error).message}`;
  } finally {
    try {
      fs.rmdirSync(probe);
    } catch {
      // Not created.
    }
  }
  return undefined;
}

/** A memory cgroup made for one test. */
export interface TestCgroup {
  /** As /proc/PID/cgroup names it for a process inside. */
  readonly path: string;
  readonly dir: string;
  /** One of its files, read now. */
  read(name: string): string;
  /**
   * Starts `file args` inside this cgroup: a shell writes its own PID into cgroup.procs, then
   * execs the program, so the program keeps that PID and everything it allocates is charged here.
   */
  start(file: string, args: string[], ready?: RegExp): Promise<RunningProgram & { match?: RegExpMatchArray }>;
  /** Kills what is still inside and removes the cgroup. Safe to call twice. */
  remove(): Promise<void>;
}

const created = new Set<TestCgroup>();
let counter = 0;

/** Starts `file args` with the shell writing its PID into `procsFile` first (see TestCgroup.start). */
export function startInCgroup(procsFile: string, file: string, args: string[], ready?: RegExp): Promise<RunningProgram & { match?: RegExpMatchArray }> {
  // sh -c SCRIPT $0 $@: the shell's $$ becomes the program's PID through exec.
  return startProgram('sh', ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, file, ...args], ready);
}

/** The PIDs in a cgroup now (cgroup.procs; the cgroup only ever holds what a test started). */
function pidsIn(dir: string): number[] {
  try {
    return fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  } catch {
    return [];
  }
}

/** Creates a memory cgroup inside the test's own, with `limitBytes` when given. */
export function createTestCgroup(limitBytes?: number): TestCgroup {
  const own = ownV1MemoryCgroup();
  if (typeof own === 'string') throw new Error(own);
  const name = `mw-test-${process.pid}-${++counter}`;
  const dir = path.join(own.dir, name);
  fs.mkdirSync(dir);
  let removed = false;
  const cgroup: TestCgroup = {
    path: path.posix.join(own.path, name),
    dir,
    read: (file) => fs.readFileSync(path.join(dir, file), 'utf8'),
    start: (file, args, ready) => startInCgroup(path.join(dir, 'cgroup.procs'), file, args, ready),
    async remove() {
      if (removed) return;
      removed = true;
      created.delete(cgroup);
      // Only processes this test started can be inside: the cgroup is new and only they entered it.
      for (const pid of pidsIn(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await waitFor(() => pidsIn(dir).length === 0, `the processes in ${dir} to exit`, 5000);
      // A cgroup whose last process has just exited may still be busy for a moment.
      await waitFor(
        () => {
          fs.rmdirSync(dir);
          return true;
        },
        `rmdir ${dir}`,
        3000,
      );
    },
  };
  try {
    if (limitBytes !== undefined) fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  } catch (err) {
    fs.rmdirSync(dir);
    throw err;
  }
  created.add(cgroup);
  return cgroup;
}

/** Removes every cgroup the tests created (call in afterEach, after stopping the programs). */
export async function removeAllTestCgroups(): Promise<void> {
  const errors: string[] = [];
  for (const cgroup of [...created]) {
    try {
      await cgroup.remove();
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new Error(`Could not remove test cgroups: ${errors.join('; ')}`);
}
