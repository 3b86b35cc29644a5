/**
 * The demo: builds the .vsix and the demo Go program, starts the program (with a PID file and its
 * FreeOSMemory hook on a free loopback port), then code-server with the extension installed and
 * user settings that attach to the demo (memoryWatch.pidFiles) and point Free OS Memory at its
 * hook. Prints the URL. Ctrl+C (SIGINT/SIGTERM) stops both.
 *   MEMORY_WATCH_PORT=8080 npm start     # choose VS Code's port (default 8080, or a free one)
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { CodeServer, freePort, installVsix, startCodeServer } from './codeServer';
import { missingVsCodeTools, REPO_ROOT } from './tools';
import { packageVsix } from './package';

/** code-server's state for the demo (MEMORY_WATCH_DEMO_STATE overrides, e.g. for the test of `npm start`). */
const STATE = process.env.MEMORY_WATCH_DEMO_STATE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'memory-watch', 'demo-state');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const missing = missingVsCodeTools();
  if (missing) throw new Error(missing);
  const say = (line: string) => console.log(`[memory-watch] ${line}`);

  say('packaging the extension…');
  fs.mkdirSync(path.join(REPO_ROOT, 'out'), { recursive: true });
  const vsix = path.join(REPO_ROOT, 'out', 'memory-watch-demo.vsix');
  packageVsix(vsix);

  say('building the demo Go program…');
  const demoBin = path.join(REPO_ROOT, 'out', 'demo-bin', 'memory-watch-demo');
  execFileSync('go', ['build', '-o', demoBin, '.'], { cwd: path.join(REPO_ROOT, 'demo'), stdio: 'inherit' });

  // A fresh state each time: the demo starts the same way for everyone.
  fs.rmSync(STATE, { recursive: true, force: true });
  fs.mkdirSync(STATE, { recursive: true });
  const pidFile = path.join(STATE, 'demo.pid');
  const demoPort = await freePort();
  // Detached: a terminal's Ctrl+C reaches us, and we stop the demo in order (no race with its exit).
  const demo: ChildProcess = spawn(demoBin, ['-addr', `127.0.0.1:${demoPort}`, '-pidfile', pidFile], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  process.on('exit', () => demo.kill('SIGTERM'));
  const started: { server?: CodeServer } = {};
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    demo.kill('SIGTERM');
    await started.server?.stop();
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stopAll(0));
  demo.on('exit', (code) => {
    if (!stopping) {
      say(`the demo program exited (code ${code}).`);
      void stopAll(1);
    }
  });
  while (!fs.existsSync(pidFile)) await new Promise((r) => setTimeout(r, 50));

  say('installing the extension into code-server…');
  await installVsix(STATE, vsix);
  const wanted = Number(process.env.MEMORY_WATCH_PORT) || 8080;
  const port = (await portIsFree(wanted)) ? wanted : await freePort();
  const server = await startCodeServer({
    stateDir: STATE,
    port,
    userSettings: {
      'memoryWatch.pidFiles': [pidFile],
      'memoryWatch.freeOSMemory.url': `http://127.0.0.1:${demoPort}/debug/freeosmemory`,
      'memoryWatch.sampleInterval': 500,
      'workbench.colorTheme': 'Default Dark Modern',
    },
  });
  started.server = server;
  const url = server.urlFor(path.join(REPO_ROOT, 'demo'));
  say(`demo program: PID ${demo.pid}, http://127.0.0.1:${demoPort} (FreeOSMemory hook: POST /debug/freeosmemory)`);
  say('VS Code is ready. Open this URL in a browser:');
  console.log(`\n    ${url}\n`);
  say('The status bar shows the demo\'s RSS; click it for the graph. Ctrl+C stops everything.');
}

main().catch((err) => {
  console.error(`[memory-watch] ${(err as Error).message}`);
  process.exit(1);
});
