#!/usr/bin/env node
// `npm start`: the main job. Builds the extension, builds and starts the demo Go program, starts
// a real VS Code (code-server) on 127.0.0.1 with the extension installed and the demo attached,
// and prints the URL to open. Ctrl+C stops everything it started.
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureNodeModules, ensureTools, root } from './bootstrap.mjs';

ensureNodeModules();
ensureTools();
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--tests'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);
// The harness runs in this process's place; signals reach it (Ctrl+C stops the demo and VS Code).
const child = spawn(process.execPath, [join(root, 'out', 'scripts', 'harness', 'start.js'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
