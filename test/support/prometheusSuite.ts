/**
 * What a suite against a real Prometheus server needs around it: skipped, saying why, where
 * Prometheus is not installed; and everything it started stopped and removed at the end. Call it
 * inside the suite's describe().
 */
import * as fs from 'fs';
import { missingPrometheus } from '../../scripts/harness/tools';
import { removeAllTestCgroups } from './cgroupV1';
import { stopAllFleets } from './fleet';
import { stopAllGroups } from './processGroup';
import { stopAllPrometheus } from './prometheusServer';
import { closeAllProxies } from './promProxy';

/** Registers the suite's hooks; returns the list of directories to remove at the end. */
export function withRealPrometheus(): string[] {
  const dirs: string[] = [];
  before(function () {
    const missing = missingPrometheus();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
  });
  after(async () => {
    await closeAllProxies();
    await stopAllPrometheus();
    await stopAllFleets();
    await stopAllGroups();
    await removeAllTestCgroups();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return dirs;
}
