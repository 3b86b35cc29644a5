/**
 * The history benchmark's part inside the extension host (bench/history.bench.ts starts the server
 * and reads what this writes): from the command to the first frame the graph webview reports
 * drawing, and the longest block of the extension host meanwhile — VS Code's postMessage and our
 * fetch's messages included — then picking another replica until it is drawn in full. Rounds
 * alternate with closing the view, so each is a first open.
 */
import * as fs from 'fs';
import * as inspector from 'inspector';
import * as vscode from 'vscode';
import type { HistoryViewInfo } from '../../src/extension';
import { longestBlock, waitFor } from '../support/wait';
import { getApi } from './util';

/** One round as the bench writes it (bench/history.bench.ts reads it back). */
export interface HistoryBenchRound {
  readonly firstFrameMs: number;
  readonly blockedMs: number;
  readonly rawDelayMs: number;
  readonly points: number;
  readonly replicas: number;
  readonly pickMs: number;
  readonly pickBlockedMs: number;
}

describe('bench: history from a Prometheus server', function () {
  this.timeout(600_000);

  it('opens 24 h of the fleet, then picks another replica', async () => {
    const url = process.env.MEMORY_WATCH_BENCH_PROMETHEUS!;
    const start = Number(process.env.MEMORY_WATCH_BENCH_START);
    const end = Number(process.env.MEMORY_WATCH_BENCH_END);
    const rounds = Number(process.env.MEMORY_WATCH_BENCH_ROUNDS ?? 5);
    const api = await getApi();
    const results: HistoryBenchRound[] = [];
    // MEMORY_WATCH_BENCH_PROFILE: a CPU profile of the extension host over every round, to find a block.
    const profileFile = process.env.MEMORY_WATCH_BENCH_PROFILE;
    const session = profileFile ? new inspector.Session() : undefined;
    const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    }
    for (let i = 0; i < rounds; i++) {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = performance.now();
      const opened = await longestBlock(async () => {
        const info = await vscode.commands.executeCommand<HistoryViewInfo | undefined>('memoryWatch.openFromPrometheus', { url, selector: '{job="api"}', start, end });
        if (!info) throw new Error('the command opened nothing');
        return waitFor(() => api.histories!().find((h) => h.id === info.id && (h.rendered?.points ?? 0) > 0), 'the first frame', 60_000, 5);
      });
      const firstFrameMs = performance.now() - t0;
      const view = opened.result;
      const other = view.replicas[view.replicas.length - 1];
      const t1 = performance.now();
      const picked = await longestBlock(async () => {
        await view.select(other.id);
        return waitFor(() => api.histories!().find((h) => h.id === view.id && h.rendered?.watchId === other.id), 'the picked replica drawn', 60_000, 5);
      });
      results.push({
        firstFrameMs,
        blockedMs: opened.blockedMs,
        rawDelayMs: opened.delayMs,
        points: view.rendered?.points ?? 0,
        replicas: view.replicas.length,
        pickMs: performance.now() - t1,
        pickBlockedMs: picked.blockedMs,
      });
      console.log(`round ${i + 1}: first frame ${firstFrameMs.toFixed(0)} ms, longest block ${opened.blockedMs.toFixed(1)} ms; another replica in ${(performance.now() - t1).toFixed(0)} ms`);
    }
    if (session) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(profileFile!, JSON.stringify(profile));
      session.disconnect();
    }
    fs.writeFileSync(process.env.MEMORY_WATCH_BENCH_OUT!, JSON.stringify(results));
  });
});
