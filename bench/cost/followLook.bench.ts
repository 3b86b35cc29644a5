/**
 * What `memoryWatch.followCommandLines` costs while its process does not run: a look every 2 s.
 * Before: every process's command line read at each look (findProcesses: a fresh table each time), per pattern. Now: the
 * ProcessTable (new PIDs only, all every 30 s, one look shared by the patterns). CPU of this
 * process per look (process.cpuUsage), looks interleaved, with the processes running here and
 * with 3,000 more (`sleep`), as on a build server or a desktop full of containers.
 */
import { ChildProcess, spawn } from 'child_process';
import { findProcesses, FULL_SCAN_MS, ProcessTable } from '../../src/core/processes/processTable';
import { median, saveResult } from '../benchUtil';
import { fmt, sleep } from './common';

const LOOKS = 15;
/** Looks come 2 s apart in use; here 600 ms (past the table's sharing of one scan), so the full scans come every FULL_SCAN_MS / 600 looks. */
const LOOK_GAP_MS = 600;

async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function measure(extra: number): Promise<{ processes: number; before: number; table: number; tableFull: number }> {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < extra; i++) children.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
    await sleep(1500);
    const processes = (await findProcesses(() => true)).length;
    const table = new ProcessTable();
    const tableFull = await cpuMs(() => table.find(() => false));
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < LOOKS; i++) {
      before.push(await cpuMs(() => findProcesses((c) => c.includes('no-such-command-line'))));
      await sleep(LOOK_GAP_MS);
      after.push(await cpuMs(() => table.find((c) => c.includes('no-such-command-line'))));
    }
    return { processes, before: median(before), table: median(after), tableFull };
  } finally {
    for (const child of children) child.kill();
  }
}

export async function runFollowLookBench(): Promise<string> {
  if (process.platform !== 'linux') return '## A look for a followed command line\n\nLinux only.';
  const rows = [await measure(0), await measure(3000)];
  const machine = saveResult('follow-look', { rows, looks: LOOKS, fullScanMs: FULL_SCAN_MS });
  const perLookOverTime = (r: (typeof rows)[0]) => (r.tableFull + (FULL_SCAN_MS / 2000 - 1) * r.table) / (FULL_SCAN_MS / 2000);
  return [
    '## A look for a followed command line (`memoryWatch.followCommandLines`)',
    '',
    `Machine: ${machine}. Until its process runs, a pattern is looked for every 2 s. CPU of the looking process per look (process.cpuUsage), median of ${LOOKS} interleaved looks.`,
    'Before: every process\'s command line read at each look, per pattern (findProcesses). Now: the ProcessTable — command lines of new PIDs only, every process\'s again every 30 s (a full scan), one look shared by all patterns.',
    '',
    '| processes with a command line (kernel threads besides) | before, ms a look (per pattern) | now, ms a look | a full scan, ms | now, over 30 s of looks ÷ before |',
    '|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.processes} | ${fmt(r.before, 1)} | ${fmt(r.table, 1)} | ${fmt(r.tableFull, 1)} | **${fmt(perLookOverTime(r) / r.before, 2)}** |`),
  ].join('\n');
}
