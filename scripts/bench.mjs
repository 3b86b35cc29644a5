#!/usr/bin/env node
// `npm run bench`: builds, then runs bench/run.ts (results into bench/RESULTS.md and bench/results/).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (argv) => {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step([process.execPath, 'scripts/build.mjs', '--tests']);
// --expose-gc: the soak forces collections to read a settled heap.
step([process.execPath, '--expose-gc', 'out/bench/run.js', ...process.argv.slice(2)]);
