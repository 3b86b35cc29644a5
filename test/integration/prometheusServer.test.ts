/**
 * The test infrastructure for history from a Prometheus server (issue 26), checked against the
 * real thing, so the history tests can trust it:
 *   - a real Prometheus (Debian's 2.x) scraping, every second, real client_golang replicas and the
 *     kubelet stand-in that supervises them: a leak shows in query_range, a restart as a new
 *     process_start_time_seconds and a counted restart, a kernel OOM kill in a 128 MiB v1 cgroup
 *     as reason OOMKilled with the working set near the limit, free heap held as idle − released;
 *   - the proxy in front of it: the API only under its prefix, with the tenant, with the token;
 *     what was sent recorded; each hostile answer as described;
 *   - a backfilled day of 20 replicas, served at once: counts, restarts, the OOM kill, gaps.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withRealPrometheus } from '../support/prometheusSuite';
import { backfillFleet, BackfillResult } from '../support/backfill';
import { v1MemoryCgroupUnavailable } from '../support/cgroupV1';
import { Fleet, ReplicaSpec, startFleet } from '../support/fleet';
import {
  apiGet,
  httpGet,
  httpRequest,
  PrometheusServer,
  query,
  queryRange,
  scrapeHealth,
  startPrometheus,
  waitForQuery,
} from '../support/prometheusServer';
import { PromProxy, startPromProxy } from '../support/promProxy';
import { waitFor } from '../support/wait';

const MiB = 1024 * 1024;
const OOM_LIMIT = 128 * MiB;
const nowS = () => Date.now() / 1000;
const num = (s: string) => Number(s);
const note = (text: string) => console.log(`        (${text})`);

describe('a real Prometheus server for the history tests', function () {
  this.timeout(180_000);
  const dirs = withRealPrometheus();

  describe('a fleet of real replicas scraped every second', () => {
    const cgroupsUnavailable = v1MemoryCgroupUnavailable();
    let fleet: Fleet;
    let server: PrometheusServer;

    before(async () => {
      const replicas: ReplicaSpec[] = [
        { pod: 'api-leak', behaviour: 'leaking' },
        { pod: 'api-restart', behaviour: 'steady' },
        { pod: 'api-free', behaviour: 'free-heap' },
        ...(cgroupsUnavailable ? [] : [{ pod: 'api-oom', behaviour: 'oom' as const, cgroupLimitBytes: OOM_LIMIT }]),
      ];
      if (cgroupsUnavailable) note(`no OOM-killed replica: ${cgroupsUnavailable}`);
      const started = Date.now();
      fleet = await startFleet({ replicas });
      server = await startPrometheus({ jobs: fleet.jobs() });
      // Every target up once: the first scrapes come about 5 s after /-/ready (discovery's throttle).
      await waitForQuery(server, 'up == 1', (r) => r.length === replicas.length + 1, 30_000);
      note(`fleet of ${replicas.length} ready in ${fleet.readyMs} ms; Prometheus ready in ${server.readyMs} ms; every target scraped ${Date.now() - started} ms after the start`);
    });

    it('scrapes every replica and the kubelet; the replicas’ series carry job, namespace, pod and container', async () => {
      const health = await scrapeHealth(server);
      assert.deepStrictEqual(health.map((t) => t.job).sort(), [...fleet.replicas.map(() => 'api'), 'kubelet'].sort());
      for (const t of health.filter((x) => x.job === 'api')) assert.strictEqual(t.labels.namespace, 'shop', JSON.stringify(t));
      const starts = await query(server, 'process_start_time_seconds{job="api"}');
      assert.deepStrictEqual(starts.map((s) => s.metric.pod).sort(), fleet.replicas.map((r) => r.pod).sort());
      for (const s of starts) {
        const replica = fleet.replica(s.metric.pod);
        assert.deepStrictEqual({ ...s.metric }, { __name__: 'process_start_time_seconds', job: 'api', instance: replica.address, namespace: 'shop', pod: replica.pod, container: 'api' });
      }
      // The kubelet's series keep their own pod labels (honor_labels), so they join the replicas'.
      const joined = await query(server, 'container_memory_working_set_bytes * on (namespace, pod, container) group_left process_resident_memory_bytes * 0 + 1');
      assert.strictEqual(joined.length, fleet.replicas.length, JSON.stringify(joined));
    });

    it('shows the leaking replica’s RSS growing in query_range', async () => {
      const series = await waitFor(
        async () => {
          const [s] = await queryRange(server, 'process_resident_memory_bytes{pod="api-leak"}', nowS() - 60, nowS(), 1);
          return s && s.values.length >= 8 ? s : undefined;
        },
        '8 seconds of the leaking replica’s RSS',
        30_000,
        500,
      );
      const values = series.values.map(([, v]) => num(v));
      const grew = values[values.length - 1] - values[0];
      note(`RSS ${(values[0] / MiB).toFixed(1)} → ${(values[values.length - 1] / MiB).toFixed(1)} MiB over ${values.length} samples`);
      // 256 KiB every 100 ms is 2.5 MiB/s: 7 s of it is well above 8 MiB.
      assert.ok(grew > 8 * MiB, `RSS grew by ${grew} bytes: ${values.join(', ')}`);
    });

    it('shows a restart on the same port as a new process_start_time_seconds and a counted restart', async () => {
      const [before] = await waitForQuery(server, 'process_start_time_seconds{pod="api-restart"}', (r) => r.length === 1);
      const { oldPid, newPid } = await fleet.restart('api-restart');
      assert.notStrictEqual(newPid, oldPid);
      const [after] = await waitForQuery(server, 'process_start_time_seconds{pod="api-restart"}', (r) => r.length === 1 && num(r[0].value[1]) > num(before.value[1]), 20_000);
      assert.strictEqual(after.metric.instance, before.metric.instance, 'the same target');
      assert.ok(Math.abs(num(after.value[1]) - nowS()) < 30, `the new start time ${after.value[1]} is just now`);
      const [restarts] = await waitForQuery(server, 'kube_pod_container_status_restarts_total{pod="api-restart"}', (r) => r.length === 1 && r[0].value[1] === '1', 10_000);
      assert.strictEqual(restarts.metric.job, 'kubelet');
      // A SIGKILL that was not the OOM killer's: Error, exit code 137.
      await waitForQuery(server, 'kube_pod_container_status_last_terminated_reason{pod="api-restart",reason="Error"} == 1', (r) => r.length === 1, 10_000);
      await waitForQuery(server, 'kube_pod_container_status_last_terminated_exitcode{pod="api-restart"} == 137', (r) => r.length === 1, 10_000);
      const changes = await queryRange(server, 'process_start_time_seconds{pod="api-restart"}', nowS() - 120, nowS(), 1);
      assert.strictEqual(new Set(changes[0].values.map(([, v]) => v)).size, 2, 'two processes in the range');
    });

    it('shows the kernel’s OOM kill of the replica in a 128 MiB cgroup: OOMKilled, restarted, working set near the limit', async function () {
      if (cgroupsUnavailable) {
        console.log(`      skipped: ${cgroupsUnavailable}`);
        this.skip();
      }
      const [reason] = await waitForQuery(server, 'kube_pod_container_status_last_terminated_reason{pod="api-oom"} == 1', (r) => r.length === 1 && r[0].metric.reason === 'OOMKilled', 60_000);
      assert.strictEqual(reason.metric.namespace, 'shop');
      const [restarts] = await waitForQuery(server, 'kube_pod_container_status_restarts_total{pod="api-oom"}', (r) => r.length === 1 && num(r[0].value[1]) >= 1, 20_000);
      // The kernel's own count is the yardstick: the kubelet said OOMKilled because it rose.
      const oomKills = Number(/^oom_kill (\d+)$/m.exec(fleet.replica('api-oom').cgroup!.read('memory.oom_control'))?.[1]);
      assert.ok(oomKills >= 1, `memory.oom_control oom_kill ${oomKills}`);
      assert.ok(fleet.replica('api-oom').events().some((e) => e.kind === 'exited' && e.reason === 'OOMKilled' && e.exitCode === 137));
      const [limit] = await query(server, 'kube_pod_container_resource_limits{pod="api-oom",resource="memory",unit="byte"}');
      assert.strictEqual(num(limit.value[1]), OOM_LIMIT);
      const [specLimit] = await query(server, 'container_spec_memory_limit_bytes{pod="api-oom"}');
      assert.strictEqual(num(specLimit.value[1]), OOM_LIMIT);
      const [peak] = await waitForQuery(server, 'max_over_time(container_memory_working_set_bytes{pod="api-oom"}[5m])', (r) => r.length === 1 && num(r[0].value[1]) > 0.7 * OOM_LIMIT, 30_000);
      note(`OOM-killed ${oomKills} time(s) (restarts_total ${restarts.value[1]}); peak working set seen ${(num(peak.value[1]) / MiB).toFixed(1)} MiB of ${OOM_LIMIT / MiB}`);
    });

    it('shows the free heap the free-heap replica holds (idle − released)', async () => {
      const [free] = await waitForQuery(server, 'go_memstats_heap_idle_bytes{pod="api-free"} - go_memstats_heap_released_bytes{pod="api-free"}', (r) => r.length === 1, 20_000);
      assert.ok(num(free.value[1]) > 200 * MiB, `free heap ${free.value[1]} bytes after a 256 MiB spike with GOGC=off GOMEMLIMIT=1GiB`);
    });

    it('answers label values and series for the fleet', async () => {
      const pods = await apiGet<string[]>(server, 'label/pod/values', { 'match[]': 'up{job="api"}' });
      assert.deepStrictEqual(pods.sort(), fleet.replicas.map((r) => r.pod).sort());
      const series = await apiGet<Record<string, string>[]>(server, 'series', { 'match[]': ['container_memory_working_set_bytes', 'container_spec_memory_limit_bytes'], start: nowS() - 300, end: nowS() });
      assert.strictEqual(series.length, 2 * fleet.replicas.length, JSON.stringify(series));
    });

    it('shows a replica that stops answering as a gap: up 0, its series stale, until it answers again', async () => {
      const pausedAt = nowS();
      fleet.pause('api-free');
      try {
        await waitForQuery(server, 'up{pod="api-free"} == 0', (r) => r.length === 1, 15_000);
        // Prometheus marks the series stale at the failed scrape: gone at once, not 5 min later (the lookback).
        await waitForQuery(server, 'process_resident_memory_bytes{pod="api-free"}', (r) => r.length === 0, 5_000);
        // Three failed scrapes (up 0 three times), so the hole is plainly wider than a late scrape.
        await waitForQuery(server, 'count_over_time(up{pod="api-free"}[15s]) - sum_over_time(up{pod="api-free"}[15s]) >= 3', (r) => r.length === 1, 15_000);
      } finally {
        fleet.resume('api-free');
      }
      const resumedAt = nowS();
      // Samples before the pause, none while paused, and again after: a hole in the range.
      let times: number[] = [];
      await waitFor(
        async () => {
          const [rss] = await queryRange(server, 'process_resident_memory_bytes{pod="api-free"}', pausedAt - 10, nowS(), 1);
          times = rss?.values.map(([t]) => t) ?? [];
          return times.length > 0 && times[times.length - 1] > resumedAt + 1;
        },
        'samples after the replica answers again',
        15_000,
        250,
      ).catch((err: Error) => assert.fail(`${err.message}: ${times.join(', ')}`));
      const hole = Math.max(...times.slice(1).map((t, i) => t - times[i]));
      assert.ok(hole >= 3, `a hole in the range (longest step between samples ${hole} s): ${times.join(', ')}`);
      note(`paused for ${(resumedAt - pausedAt).toFixed(1)} s: a hole of ${hole} s in query_range at 1 s steps`);
    });

    it('reloads its config: a new job is scraped (here a target nobody serves: up 0), a removed one goes', async () => {
      await server.reload([...fleet.jobs(), { job: 'gone', targets: [{ address: '127.0.0.1:1', labels: { namespace: 'shop', pod: 'api-gone', container: 'api' } }] }]);
      await waitForQuery(server, 'up{job="gone"} == 0', (r) => r.length === 1 && r[0].metric.pod === 'api-gone', 20_000);
      const gone = (await scrapeHealth(server)).find((t) => t.job === 'gone');
      assert.strictEqual(gone?.health, 'down');
      assert.match(gone.lastError, /connection refused/);
      await server.reload(fleet.jobs());
      await waitFor(async () => !(await scrapeHealth(server)).some((t) => t.job === 'gone'), 'the job to be dropped', 20_000, 250);
    });

    describe('behind the proxy', () => {
      let proxy: PromProxy;
      const TOKEN = 's3cr3t-t0ken';
      before(async () => {
        proxy = await startPromProxy({ upstream: server.url, tenant: 'team-a', bearer: TOKEN });
      });
      beforeEach(() => {
        proxy.setMode('forward');
        proxy.requests.length = 0;
        proxy.canary.requests.length = 0;
      });

      it('serves the API only under its prefix, with the tenant and the token, and records what was sent', async () => {
        const instant = `query=${encodeURIComponent('up{job="api"}')}`;
        assert.strictEqual((await httpGet(`${proxy.origin}/api/v1/query?${instant}`, 5000, proxy.headers())).status, 404, 'no API outside the prefix');
        const noTenant = await httpGet(`${proxy.url}/api/v1/query?${instant}`, 5000, { authorization: `Bearer ${TOKEN}` });
        assert.deepStrictEqual([noTenant.status, noTenant.body], [401, 'no org id\n']);
        assert.strictEqual((await httpGet(`${proxy.url}/api/v1/query?${instant}`, 5000, { ...proxy.headers(), 'x-scope-orgid': 'team-b' })).status, 401, 'another tenant');
        const noToken = await httpGet(`${proxy.url}/api/v1/query?${instant}`, 5000, { 'x-scope-orgid': 'team-a' });
        assert.strictEqual(noToken.status, 401);
        assert.match(String(noToken.headers['www-authenticate']), /^Bearer /);
        // Through: the same answer as the server's own.
        const through = await query(proxy.apiBase(), 'up{job="api"}');
        assert.strictEqual(through.length, fleet.replicas.length);
        // A POSTed form (as clients send long queries) is forwarded with its body.
        const posted = await httpRequest('POST', `${proxy.url}/api/v1/query_range`, 10_000, proxy.headers(), `query=${encodeURIComponent('process_resident_memory_bytes')}&start=${nowS() - 30}&end=${nowS()}&step=5`);
        assert.strictEqual(posted.status, 200, posted.body);
        assert.strictEqual(JSON.parse(posted.body).data.result.length, fleet.replicas.length);

        const ok = proxy.requests.filter((r) => r.answeredBy === 'upstream');
        assert.deepStrictEqual(ok.map((r) => [r.method, r.path]), [['GET', '/prometheus/api/v1/query'], ['POST', '/prometheus/api/v1/query_range']]);
        assert.deepStrictEqual(ok[0].query.query, ['up{job="api"}']);
        assert.strictEqual(ok[0].headers['x-scope-orgid'], 'team-a');
        assert.strictEqual(ok[0].headers.authorization, `Bearer ${TOKEN}`);
        assert.match(ok[1].body, /^query=process_resident_memory_bytes&/);
        assert.deepStrictEqual(proxy.requests.map((r) => r.status), [404, 401, 401, 401, 200, 200]);
        assert.deepStrictEqual(proxy.urlsContaining([TOKEN, 'team-a']), [], 'no credential in a URL');
      });

      it('takes basic auth when configured that way', async () => {
        const basic = await startPromProxy({ upstream: server.url, prefix: '/mimir/prometheus', tenant: 'team-a', basic: { user: 'reader', password: 'pa:ss' } });
        assert.strictEqual((await httpGet(`${basic.url}/api/v1/labels`, 5000, { 'x-scope-orgid': 'team-a', authorization: 'Basic cmVhZGVyOndyb25n' })).status, 401);
        const names = await apiGet<string[]>(basic.apiBase(), 'labels');
        assert.ok(names.includes('pod'), JSON.stringify(names));
        assert.strictEqual(basic.requests[1].headers.authorization, `Basic ${Buffer.from('reader:pa:ss').toString('base64')}`);
        await basic.close();
      });

      it('answers each hostile mode as described', async () => {
        const end = Math.floor(nowS());
        const range = `query=up&start=${end - 3600}&end=${end}&step=15`;
        const get = (apiPath: string, timeoutMs = 10_000) => httpGet(`${proxy.url}/api/v1/${apiPath}`, timeoutMs, proxy.headers());
        const parsed = (body: string) => JSON.parse(body) as { status: string; errorType?: string; data: { resultType: string; result: { metric: Record<string, string>; values: [number, unknown][] }[] } };

        proxy.setMode('malformed');
        const malformed = (await get(`query_range?${range}`)).body;
        assert.throws(() => JSON.parse(malformed), SyntaxError);
        proxy.setMode('values-as-numbers');
        assert.strictEqual(typeof parsed((await get(`query_range?${range}`)).body).data.result[0].values[0][1], 'number');
        proxy.setMode('result-not-array');
        assert.ok(!Array.isArray(parsed((await get(`query_range?${range}`)).body).data.result));
        proxy.setMode('nan-inf');
        const odd = parsed((await get(`query_range?${range}`)).body).data.result[0].values.map(([, v]) => v);
        for (const v of ['NaN', '+Inf', '-Inf']) assert.ok(odd.includes(v), `${v} in ${odd.join(',')}`);
        proxy.setMode('too-many-points');
        const many = parsed((await get(`query_range?${range}`)).body).data.result[0].values;
        assert.strictEqual(many.length, 11_001);
        assert.deepStrictEqual([many[0][0], many[1][0] - many[0][0]], [end - 3600, 15]);
        for (const [mode, status, errorType] of [['bad-data', 400, 'bad_data'], ['execution', 422, 'execution'], ['timeout', 503, 'timeout']] as const) {
          proxy.setMode(mode);
          const answer = await get(`query_range?${range}`);
          assert.deepStrictEqual([answer.status, parsed(answer.body).status, parsed(answer.body).errorType], [status, 'error', errorType], mode);
        }
        proxy.setMode('unauthorized');
        const unauthorized = await get('labels');
        assert.deepStrictEqual([unauthorized.status, unauthorized.headers['www-authenticate']], [401, 'Bearer realm="prometheus"']);
        proxy.setMode('forbidden');
        assert.strictEqual((await get('labels')).status, 403);

        // Only where asked: query_range times out, label values still come from the server.
        proxy.setMode('timeout', /\/query_range$/);
        assert.strictEqual((await get(`query_range?${range}`)).status, 503);
        assert.strictEqual((await get('label/pod/values')).status, 200);

        proxy.setMode('redirect');
        const redirect = await get(`query_range?${range}`);
        assert.strictEqual(redirect.status, 302);
        const location = String(redirect.headers.location);
        assert.ok(location.startsWith(`${proxy.canary.url}/prometheus/api/v1/query_range?`), location);
        // The canary records whoever follows (here: this test, without credentials).
        await httpGet(location);
        assert.strictEqual(proxy.canary.requests.length, 1);
        assert.strictEqual(proxy.canary.requests[0].headers.authorization, undefined);

        proxy.setMode('slow');
        const slowStarted = Date.now();
        await assert.rejects(get(`query_range?${range}`, 1200), /no complete answer within 1200 ms/);
        assert.ok(Date.now() - slowStarted < 3000);

        proxy.setMode('huge');
        const huge = await hugeBody(`${proxy.url}/api/v1/query_range?${range}`, proxy.headers() as Record<string, string>);
        note(`huge: ${(huge.bytes / MiB).toFixed(1)} MiB in ${huge.ms} ms, brackets balanced`);
        assert.ok(huge.bytes >= 200 * MiB, `${huge.bytes} bytes`);
        assert.ok(huge.head.startsWith('{"status":"success","data":{"resultType":"matrix","result":[{"metric":'), huge.head);
      });
    });
  });

  describe('a backfilled day of 20 replicas', () => {
    let result: BackfillResult;
    let server: PrometheusServer;
    const LIMIT = 512 * MiB;

    before(async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-backfilled-'));
      dirs.push(dataDir);
      result = await backfillFleet(dataDir, {
        replicas: 20,
        hours: 24,
        stepS: 15,
        leaking: [3],
        restarts: [{ replica: 5, atHour: 6 }],
        oomKills: [{ replica: 7, atHour: 12 }],
        gaps: [{ replica: 9, atHour: 18, minutes: 20 }],
        limitBytes: LIMIT,
      });
      server = await startPrometheus({ dataDir });
      note(
        `${result.series} series, ${(result.samples / 1e6).toFixed(2)} M samples, ${(result.bytes / MiB).toFixed(0)} MiB of OpenMetrics written in ${result.generateMs} ms; ` +
          `promtool made ${result.blocks.length} block(s) in ${result.promtoolMs} ms; Prometheus ready in ${server.readyMs} ms`,
      );
    });

    it('serves 24 h × 20 replicas at once', async () => {
      const started = Date.now();
      const rss = await queryRange(server, 'process_resident_memory_bytes', result.startS, result.endS, 15);
      note(`query_range of 24 h at 15 s: ${rss.length} series in ${Date.now() - started} ms`);
      assert.strictEqual(rss.length, 20);
      const points = 24 * 240 + 1;
      for (const s of rss) {
        const r = result.replicas.find((x) => x.pod === s.metric.pod)!;
        // Replica 9 went unscraped for 20 minutes, 15 of them past the 5-minute lookback.
        const expected = r.index === 9 ? points - 15 * 4 : points;
        assert.ok(Math.abs(s.values.length - expected) <= 4, `${s.metric.pod}: ${s.values.length} points, not ≈ ${expected}`);
        assert.deepStrictEqual({ ...s.metric }, { __name__: 'process_resident_memory_bytes', job: 'api', instance: r.instance, namespace: 'shop', pod: r.pod, container: 'api' });
      }
      const pods = await apiGet<string[]>(server, 'label/pod/values', { start: result.startS, end: result.endS });
      assert.deepStrictEqual(pods.sort(), result.replicas.map((r) => r.pod).sort());
      // Every family, 20 series each (the last terminated reason only for the replicas that ended once).
      const counts = await query(server, 'count by (__name__) ({namespace="shop"})', result.endS);
      const byName = Object.fromEntries(counts.map((c) => [c.metric.__name__, num(c.value[1])]));
      for (const name of ['up', 'process_virtual_memory_bytes', 'process_start_time_seconds', 'go_memstats_heap_inuse_bytes', 'go_memstats_heap_idle_bytes', 'go_memstats_heap_released_bytes', 'go_memstats_next_gc_bytes', 'go_gc_duration_seconds_count', 'go_goroutines', 'go_gc_gomemlimit_bytes', 'container_memory_working_set_bytes', 'container_spec_memory_limit_bytes', 'kube_pod_container_resource_limits', 'kube_pod_container_status_restarts_total']) {
        assert.strictEqual(byName[name], 20, `${name}: ${JSON.stringify(byName)}`);
      }
      assert.strictEqual(byName.kube_pod_container_status_last_terminated_reason, 2);
    });

    it('holds the leak, the restart, the OOM kill and the outage', async () => {
      const pod = (i: number) => result.replicas[i].pod;
      const [leak] = await queryRange(server, `process_resident_memory_bytes{pod="${pod(3)}"}`, result.startS, result.endS, 3600);
      const first = num(leak.values[0][1]);
      const last = num(leak.values[leak.values.length - 1][1]);
      assert.ok(last > 2 * first, `leaking RSS ${first} → ${last}`);

      const [starts] = await queryRange(server, `process_start_time_seconds{pod="${pod(5)}"}`, result.startS, result.endS, 60);
      assert.deepStrictEqual([...new Set(starts.values.map(([, v]) => num(v)))], result.replicas[5].startTimesS);
      const [restarted] = await query(server, `kube_pod_container_status_restarts_total{pod="${pod(5)}"}`, result.endS);
      assert.strictEqual(restarted.value[1], '1');
      const [error] = await query(server, `kube_pod_container_status_last_terminated_reason{pod="${pod(5)}"}`, result.endS);
      assert.strictEqual(error.metric.reason, 'Error');

      const [oom] = await query(server, `kube_pod_container_status_last_terminated_reason{pod="${pod(7)}"} == 1`, result.endS);
      assert.strictEqual(oom.metric.reason, 'OOMKilled');
      assert.strictEqual(oom.metric.job, 'kube-state-metrics');
      const oomAt = result.replicas[7].terminations[0].atS;
      const [peak] = await query(server, `max_over_time(container_memory_working_set_bytes{pod="${pod(7)}"}[15m])`, oomAt);
      assert.ok(num(peak.value[1]) >= 0.95 * LIMIT, `working set before the OOM kill ${peak.value[1]}`);
      const [limit] = await query(server, `kube_pod_container_resource_limits{pod="${pod(7)}",resource="memory",unit="byte"}`, result.endS);
      assert.strictEqual(num(limit.value[1]), LIMIT);

      // The outage: up 0 for 20 minutes, 80 samples at 15 s.
      const [down] = await query(server, `count_over_time((up{pod="${pod(9)}"} == 0)[24h:15s])`, result.endS);
      assert.ok(Math.abs(num(down.value[1]) - 80) <= 2, `up == 0 for ${down.value[1]} samples`);
    });
  });
});

/** Reads a huge answer, counting bytes and checking that its brackets and braces balance (it is one JSON value). */
async function hugeBody(url: string, headers: Record<string, string>): Promise<{ bytes: number; head: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, { headers });
  assert.strictEqual(res.status, 200);
  let bytes = 0;
  let head = '';
  let depth = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (head.length < 200) head += Buffer.from(chunk).toString('utf8', 0, 200);
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
      if (depth < 0) throw new Error(`unbalanced at byte ${bytes - chunk.length + i}`);
    }
  }
  assert.strictEqual(depth, 0, 'every bracket and brace closed');
  return { bytes, head, ms: Date.now() - started };
}
