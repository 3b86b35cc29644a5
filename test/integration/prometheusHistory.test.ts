/**
 * History from a real Prometheus server (issue 26), through the same child-process fetch the
 * command uses:
 *   - a day of 22 replicas backfilled with promtool, read through a proxy that serves the API
 *     under /prometheus and wants a tenant and a token (as Mimir behind a gateway): the top 20 by
 *     peak (checked against the server's own max_over_time), the leak named and diagnosed, the
 *     restart, the OOM kill and the outage marked where the backfill put them, the container limit
 *     joined; every request under the prefix with the tenant and the token, the token never in a
 *     URL or the result; the extension host never blocked;
 *   - a live fleet of real client_golang programs scraped every second: a replica the kernel
 *     OOM-kills in a 128 MiB cgroup, one restarted, one holding free heap, one leaking — each told
 *     apart as a live watch would, the figures equal to the server's own;
 *   - a wrong prefix, a missing token, the server's own refusals: one line each.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withRealPrometheus } from '../support/prometheusSuite';
import type { FetchProgress } from '../../src/core/history/fetch';
import type { FleetHistory, ReplicaHistory } from '../../src/core/history/fleet';
import { fetchHistoryOffThread, fetchReplicaOffThread } from '../../src/core/history/offThread';
import { PrometheusServer as ApiServer } from '../../src/core/history/promApi';
import { parseSelector } from '../../src/core/history/selector';
import { backfillFleet, BackfillResult, DAY_OF_A_FLEET } from '../support/backfill';
import { v1MemoryCgroupUnavailable } from '../support/cgroupV1';
import { Fleet, startFleet } from '../support/fleet';
import { PrometheusServer, query, queryRange, startPrometheus, waitForQuery } from '../support/prometheusServer';
import { PromProxy, startPromProxy } from '../support/promProxy';
import { longestBlock } from '../support/wait';

const MiB = 1024 * 1024;
const MAX_BLOCK_MS = 50;
const TOKEN = 'tok-s3cret-9f2c';
const note = (text: string) => console.log(`        (${text})`);
const matchers = (text: string) => {
  const r = parseSelector(text);
  assert.ok(r.ok, text);
  return r.matchers;
};

describe('history from a real Prometheus server', function () {
  this.timeout(300_000);
  const dirs = withRealPrometheus();

  describe('a day of 22 replicas, behind a prefix, a tenant and a token', () => {
    let day: BackfillResult;
    let server: PrometheusServer;
    let proxy: PromProxy;
    let fleet: FleetHistory;
    let api: ApiServer;
    const progress: FetchProgress[] = [];
    const byPod = new Map<string, ReplicaHistory>();

    before(async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-history-day-'));
      dirs.push(dataDir);
      day = await backfillFleet(dataDir, { ...DAY_OF_A_FLEET, replicas: 22 });
      note(`backfilled ${day.series} series, ${day.samples} samples in ${day.generateMs + day.promtoolMs} ms`);
      server = await startPrometheus({ dataDir });
      proxy = await startPromProxy({ upstream: server.url, prefix: '/prometheus', tenant: 'team-a', bearer: TOKEN });
      api = { base: new URL(proxy.url), tenant: 'team-a', auth: { kind: 'bearer', token: TOKEN }, allowedHosts: [] };
      const started = Date.now();
      const { result, blockedMs } = await longestBlock(() => fetchHistoryOffThread(api, { matchers: matchers('{job="api"}'), start: day.startS, end: day.endS }, { onProgress: (p) => progress.push(p) }));
      fleet = result;
      note(`fetched ${fleet.replicas.length} replicas (+${fleet.others?.count ?? 0}) in ${Date.now() - started} ms over ${proxy.requests.length} requests; longest block ${blockedMs.toFixed(1)} ms`);
      assert.ok(blockedMs <= MAX_BLOCK_MS, `the event loop was blocked ${blockedMs.toFixed(0)} ms`);
      for (const r of fleet.replicas) byPod.set(r.labels.pod, r);
    });

    /** A replica's history in full: from the fleet when drawn there (its details read as picking it reads them), else read on its own. */
    async function replica(index: number): Promise<ReplicaHistory> {
      const pod = day.replicas[index].pod;
      const drawn = byPod.get(pod);
      if (drawn?.detailed) return drawn;
      if (drawn) return fetchReplicaOffThread(api, { matchers: matchers('{job="api"}'), start: day.startS, end: day.endS, step: fleet.stepMs / 1000 }, drawn);
      const alone = await fetchHistoryOffThread(api, { matchers: matchers(`{job="api", pod="${pod}"}`), start: day.startS, end: day.endS });
      assert.strictEqual(alone.replicas.length, 1);
      return alone.replicas[0];
    }

    it('draws the 20 highest peaks — the server’s own max_over_time — and sums up the other 2', async () => {
      const truth = await query(server, `max_over_time(process_resident_memory_bytes{job="api"}[${day.endS - day.startS + 60}s])`, day.endS);
      const ranked = truth.map((s) => ({ pod: s.metric.pod, peak: Number(s.value[1]) })).sort((a, b) => b.peak - a.peak);
      assert.strictEqual(ranked.length, 22);
      assert.deepStrictEqual(
        fleet.replicas.map((r) => r.labels.pod),
        ranked.slice(0, 20).map((r) => r.pod),
      );
      for (const [i, r] of fleet.replicas.entries()) assert.strictEqual(r.peakRss, ranked[i].peak, r.name);
      assert.strictEqual(fleet.others?.count, 2);
      assert.match(fleet.others!.text, /^and 2 more replicas with lower peaks/);
      assert.ok(fleet.stepMs >= 15_000 && (fleet.end - fleet.start) / fleet.stepMs <= 2000, `${fleet.stepMs} ms steps`);
    });

    it('reads the top replica in full at once, another when it is picked, on the same grid', async () => {
      assert.deepStrictEqual(
        fleet.replicas.map((r) => r.detailed),
        fleet.replicas.map((_r, i) => i === 0),
      );
      assert.ok(fleet.replicas[0].goFrom && fleet.replicas[0].series.columns.heapObjects);
      const second = fleet.replicas[1];
      assert.strictEqual(second.series.columns.heapObjects, undefined);
      const requestsBefore = proxy.requests.length;
      const { result: full, blockedMs } = await longestBlock(() => fetchReplicaOffThread(api, { matchers: matchers('{job="api"}'), start: day.startS, end: day.endS, step: fleet.stepMs / 1000 }, second));
      assert.ok(blockedMs <= MAX_BLOCK_MS);
      assert.strictEqual(full.id, second.id);
      assert.strictEqual(full.name, second.name);
      assert.ok(full.detailed && full.goFrom && full.series.columns.heapObjects);
      assert.deepStrictEqual([...full.series.time], [...second.series.time]);
      assert.deepStrictEqual([...full.series.columns.rss!], [...second.series.columns.rss!]);
      assert.strictEqual(full.peakRss, second.peakRss);
      // Its queries named it: a single replica's series, not the fleet's.
      for (const r of proxy.requests.slice(requestsBefore).filter((x) => x.path.endsWith('query_range'))) assert.match(decodeURIComponent(r.rawUrl), new RegExp(`pod=~?"${second.labels.pod}"`), r.rawUrl);
    });

    it('names the leaking replica and diagnoses a leak at its peak', async () => {
      const leak = await replica(3);
      assert.match(fleet.headline, new RegExp(`${leak.name} (peaked highest|grew fastest)`), fleet.headline);
      const fastest = fleet.replicas.filter((r) => r.growth).sort((a, b) => b.growth!.bytesPerHour - a.growth!.bytesPerHour)[0];
      assert.strictEqual(fastest.name, leak.name);
      assert.strictEqual(leak.diagnosis?.kind, 'leak', JSON.stringify(leak.diagnosis));
      assert.match(leak.diagnosis!.message, /^At its peak \(.*\): Live heap grew \d+ %/);
      assert.strictEqual(leak.goFrom, 'the MemStats families (go_memstats_*)');
    });

    it('marks the OOM kill where kube-state-metrics says OOMKilled, with the RSS it had reached and the limit', async () => {
      const truth = day.replicas[7];
      const r = await replica(7);
      const kills = r.series.events.filter((e) => e.kind === 'oom');
      assert.strictEqual(kills.length, 1, JSON.stringify(r.series.events));
      assert.strictEqual(kills[0].label, 'OOM-killed');
      assert.match(kills[0].detail!, /OOMKilled/);
      // Marked at the new process's start time (within a step of the grid).
      assert.ok(Math.abs(kills[0].time - truth.startTimesS[1] * 1000) <= fleet.stepMs, `${kills[0].time} vs ${truth.startTimesS[1] * 1000}`);
      assert.ok(kills[0].bytes! > 0.8 * 512 * MiB, `RSS before the kill ${kills[0].bytes}`);
      assert.strictEqual(r.oomKills, 1);
      assert.strictEqual(r.restarts, 1);
      assert.strictEqual(r.containerLimit, 512 * MiB);
      assert.ok(Object.keys(r.series.columns).includes('cgroupWorkingSet'));
    });

    it('marks the plain restart as a restart, not an OOM kill', async () => {
      const r = await replica(5);
      const marks = r.series.events.filter((e) => e.kind === 'oom' || e.kind === 'restart');
      assert.deepStrictEqual(
        marks.map((e) => e.label),
        ['restarted'],
      );
      assert.ok(Math.abs(marks[0].time - day.replicas[5].startTimesS[1] * 1000) <= fleet.stepMs);
      assert.match(marks[0].detail!, /a new process start time; kube-state-metrics' restart count/);
      assert.strictEqual(r.oomKills, 0);
    });

    it('marks the 20-minute outage as a gap where the target was down', async () => {
      const r = await replica(9);
      const gaps = r.series.events.filter((e) => e.band);
      assert.strictEqual(gaps.length, 1, JSON.stringify(gaps));
      assert.strictEqual(gaps[0].label, 'down');
      const minutes = (gaps[0].endTime! - gaps[0].time) / 60_000;
      // Backfilled series have no staleness markers: the last sample stands for the 5-minute lookback.
      assert.ok(minutes >= 14 && minutes <= 22, `${minutes} min`);
      assert.ok(Math.abs(gaps[0].time - (day.startS + 12 * 3600) * 1000) <= 6 * 60_000);
    });

    it('asked every request under the prefix with the tenant and the token, never the token in a URL, and said how far it had come', () => {
      assert.ok(proxy.requests.length > 3);
      for (const r of proxy.requests) {
        assert.match(r.path, /^\/prometheus\/api\/v1\/(series|query_range)$/, r.rawUrl);
        assert.strictEqual(r.headers['x-scope-orgid'], 'team-a');
        assert.strictEqual(r.headers.authorization, `Bearer ${TOKEN}`);
        assert.strictEqual(r.method, 'GET');
      }
      assert.deepStrictEqual(proxy.urlsContaining([TOKEN]), []);
      assert.ok(!JSON.stringify(fleet, (_k, v: unknown) => (v instanceof Float64Array ? undefined : v)).includes(TOKEN));
      assert.ok(progress.length >= 3);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i].done >= progress[i - 1].done);
      const last = progress[progress.length - 1];
      assert.strictEqual(last.done, last.total, JSON.stringify(last));
    });

    it('says one line for a wrong prefix, a missing token, the wrong tenant, and the server’s own refusal', async () => {
      const sel = { matchers: matchers('{job="api"}'), start: day.endS - 3600, end: day.endS };
      const message = (server: ApiServer) => fetchHistoryOffThread(server, sel).then(() => 'fetched', (e: Error) => e.message);
      assert.match(await message({ ...api, base: new URL(proxy.origin) }), /^No Prometheus API at 127\.0\.0\.1:\d+ \(HTTP 404 for \/api\/v1\/series\): check the URL and its path prefix/);
      assert.match(await message({ ...api, auth: undefined }), /refused the request \(HTTP 401\): it needs credentials \(Memory Watch: Set Prometheus Credentials…\) and the tenant\.$/);
      assert.match(await message({ ...api, auth: { kind: 'bearer', token: 'wrong' } }), /refused the request \(HTTP 401\): check the credentials/);
      assert.match(await message({ ...api, tenant: 'team-b' }), /HTTP 401/);
      proxy.setMode('bad-data', /query_range/);
      try {
        const said = await message(api);
        assert.match(said, /refused the query: .*11,?000 points/i);
        assert.ok(!said.includes('\n'));
      } finally {
        proxy.setMode('forward');
      }
    });
  });

  describe('a live fleet scraped every second', () => {
    const cgroupsUnavailable = v1MemoryCgroupUnavailable();
    let live: Fleet;
    let server: PrometheusServer;
    let fleet: FleetHistory;
    let from: number;
    let api: ApiServer;
    const by = async (pod: string): Promise<ReplicaHistory> => {
      const r = fleet.replicas.find((x) => x.labels.pod === pod)!;
      return r.detailed ? r : fetchReplicaOffThread(api, { matchers: matchers('{job="api"}'), start: fleet.start / 1000, end: fleet.end / 1000, step: fleet.stepMs / 1000 }, r);
    };

    before(async () => {
      live = await startFleet({
        replicas: [
          { pod: 'api-leak', behaviour: 'leaking', flags: ['-registry', 'custom'] },
          { pod: 'api-restart', behaviour: 'steady' },
          { pod: 'api-free', behaviour: 'free-heap' },
          ...(cgroupsUnavailable ? [] : [{ pod: 'api-oom', behaviour: 'oom' as const, cgroupLimitBytes: 128 * MiB }]),
        ],
      });
      server = await startPrometheus({ jobs: live.jobs() });
      await waitForQuery(server, 'up{job="api"} == 1', (r) => r.length === live.replicas.length, 30_000);
      from = Math.floor(Date.now() / 1000) - 5;
      await new Promise((r) => setTimeout(r, 15_000));
      await live.restart('api-restart');
      if (!cgroupsUnavailable) await waitForQuery(server, 'kube_pod_container_status_last_terminated_reason{pod="api-oom",reason="OOMKilled"} == 1', (r) => r.length === 1, 60_000);
      await new Promise((r) => setTimeout(r, 15_000));
      const to = Math.floor(Date.now() / 1000);
      api = { base: new URL(server.url), allowedHosts: [] };
      const { result, blockedMs } = await longestBlock(() => fetchHistoryOffThread(api, { matchers: matchers('{job="api"}'), start: from, end: to }));
      fleet = result;
      assert.ok(blockedMs <= MAX_BLOCK_MS, `blocked ${blockedMs.toFixed(0)} ms`);
      note(`${fleet.replicas.length} replicas over ${to - from} s: ${fleet.headline}`);
    });

    it('reads each replica’s RSS as the server has it, point for point', async () => {
      const leak = await by('api-leak');
      const [truth] = await queryRange(server, 'process_resident_memory_bytes{pod="api-leak"}', fleet.start / 1000, fleet.end / 1000, fleet.stepMs / 1000);
      const expected = new Map(truth.values.map(([t, v]) => [t * 1000, Number(v)]));
      const rss = leak.series.columns.rss!;
      let compared = 0;
      for (let i = 0; i < leak.series.time.length; i++) {
        if (Number.isNaN(rss[i])) continue;
        assert.strictEqual(rss[i], expected.get(leak.series.time[i]), `at ${leak.series.time[i]}`);
        compared++;
      }
      assert.ok(compared >= 20, `${compared} points`);
      assert.strictEqual(leak.goFrom, 'runtime/metrics classes (go_memory_classes_*)');
      assert.match(fleet.headline, /api-leak grew fastest|api-leak peaked highest.*grew fastest too/);
    });

    it('marks the restart at the new process’s start', async () => {
      const r = await by('api-restart');
      const marks = r.series.events.filter((e) => e.kind === 'restart' || e.kind === 'oom');
      assert.strictEqual(marks.length, 1, JSON.stringify(r.series.events));
      assert.strictEqual(marks[0].kind, 'restart');
      const ready = live.replica('api-restart').events().filter((e) => e.kind === 'ready');
      assert.ok(Math.abs(marks[0].time - ready[ready.length - 1].atMs) < 3000, `${marks[0].time} vs ${ready[ready.length - 1].atMs}`);
    });

    it('says the free heap the runtime held is what made the free-heap replica large', async () => {
      const r = await by('api-free');
      assert.strictEqual(r.diagnosis?.kind, 'free-held', JSON.stringify(r.diagnosis));
    });

    it('marks each OOM kill of the replica in the 128 MiB cgroup, as the kubelet saw them', async function () {
      if (cgroupsUnavailable) this.skip();
      const r = await by('api-oom');
      const kills = live
        .replica('api-oom')
        .events()
        .filter((e) => e.kind === 'exited' && e.reason === 'OOMKilled' && e.atMs >= fleet.start && e.atMs <= fleet.end);
      const marks = r.series.events.filter((e) => e.kind === 'oom');
      assert.ok(marks.length >= 1 && Math.abs(marks.length - kills.length) <= 1, `${marks.length} marks for ${kills.length} kills: ${JSON.stringify(r.series.events.map((e) => e.label))}`);
      assert.ok(marks.every((m) => m.label === 'OOM-killed' || m.label === 'OOM kill?'));
      assert.strictEqual(r.containerLimit, 128 * MiB);
      // RSS counts the binary's pages too, which the cgroup may not have been charged for: a little over the limit.
      assert.ok(r.peakRss <= 1.1 * 128 * MiB && r.peakRss > 64 * MiB, String(r.peakRss));
    });
  });
});
