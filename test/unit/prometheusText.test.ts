/**
 * The Prometheus text reader (src/core/goruntime/prometheusText.ts): real pages recorded from
 * client_golang (test/unit/recorded/prometheus, see record.sh there), checked against the
 * program's own runtime/metrics read around the same gather; then each format feature and each
 * hostile input on its own.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { GoFigures } from '../../src/core/goruntime/figures';
import { assertMatchesTruth, Truth } from '../support/prometheusTruth';
import { mainThreadSchedstat } from '../support/wait';
import { expositionFormat, KEPT_SAMPLES, MAX_LINE_BYTES, PrometheusPage, PrometheusTextReader, PrometheusTextReaderOptions } from '../../src/core/goruntime/prometheusText';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'prometheus');
const page = (name: string): Buffer => fs.readFileSync(path.join(RECORDED, `${name}.txt`));
const contentType = (name: string): string => fs.readFileSync(path.join(RECORDED, `${name}.content-type`), 'utf8').trim();

/** The program's own figures around the gather that made a recorded page (the fixture's /truth). */
const truth = (name: string): Truth => JSON.parse(fs.readFileSync(path.join(RECORDED, `${name}.truth.json`), 'utf8')) as Truth;

/** Reads `input` fed in `chunks` pieces of about equal size (1: whole). */
function read(input: string | Buffer, options: PrometheusTextReaderOptions = {}, chunkBytes = Infinity): PrometheusPage {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const reader = new PrometheusTextReader(options);
  for (let i = 0; i < bytes.length; i += Math.min(chunkBytes, bytes.length)) reader.feed(bytes.subarray(i, i + Math.min(chunkBytes, bytes.length)));
  return reader.end();
}

/** A minimal page of the default registry's families, with `extra` lines after. */
const BASE = [
  '# HELP go_goroutines Number of goroutines that currently exist.',
  '# TYPE go_goroutines gauge',
  'go_goroutines 7',
  'go_info{version="go1.26.8"} 1',
  'go_gc_duration_seconds_count 12',
  'go_memstats_alloc_bytes 1000',
  'go_memstats_heap_alloc_bytes 1000',
  'go_memstats_heap_idle_bytes 5000',
  'go_memstats_heap_inuse_bytes 1500',
  'go_memstats_heap_released_bytes 3000',
  'go_memstats_next_gc_bytes 4.194304e+06',
  'go_memstats_stack_sys_bytes 65536',
  'go_memstats_sys_bytes 1.2e+07',
  'process_resident_memory_bytes 9.9e+06',
  '',
].join('\n');

const BASE_FIGURES: GoFigures = {
  heapObjects: 1000,
  heapUnused: 500,
  heapFree: 2000,
  heapReleased: 3000,
  stacks: 65536,
  total: 12_000_000,
  gcCycles: 12,
  gcGoal: 4_194_304,
  heapLive: undefined,
  memoryLimit: undefined,
  gogc: undefined,
  goVersion: 'go1.26.8',
  processRss: 9_900_000,
  goroutines: 7,
};

/** The page with `line` added, and the problems the reader gave. */
function withLine(line: string): PrometheusPage {
  return read(`${BASE}${line}\n`);
}

describe('Prometheus text reader', () => {
  describe('real pages (client_golang v1.25.0, recorded)', () => {
    const names = ['default-text', 'runtime-text', 'runtime-openmetrics', 'default-openmetrics', 'two-registries', 'gogc-off-limit'];

    for (const name of names) {
      it(`${name}: the same whole, one byte at a time, and in 1000-byte chunks`, () => {
        const bytes = page(name);
        const whole = read(bytes);
        assert.strictEqual(whole.notASource, undefined);
        assert.deepStrictEqual(read(bytes, {}, 1), whole);
        assert.deepStrictEqual(read(bytes, {}, 1000), whole);
      });
    }

    it('two-registries is cut at every byte into two chunks and reads the same', () => {
      const bytes = page('two-registries');
      const whole = read(bytes);
      for (let cut = 1; cut < bytes.length; cut++) {
        const reader = new PrometheusTextReader();
        reader.feed(bytes.subarray(0, cut));
        reader.feed(bytes.subarray(cut));
        assert.deepStrictEqual(reader.end(), whole, `cut at ${cut}`);
      }
    });

    it('every Content-Type recorded names the format the reader expects', () => {
      for (const name of names) {
        const decision = expositionFormat(contentType(name), page(name));
        assert.deepStrictEqual(decision, { ok: true, format: name.includes('openmetrics') ? 'openmetrics-1.0' : 'text-0.0.4' }, name);
      }
    });

    it('default registry: the MemStats-like families, every figure agreeing with the program’s own readings', () => {
      for (const name of ['default-text', 'default-openmetrics']) {
        const p = read(page(name));
        assert.deepStrictEqual(p.problems, [], name);
        assert.deepStrictEqual(p.missing, [], name);
        assertMatchesTruth(p, truth(name), false);
        // The -spike 16 the recording ran with: freed, held or released.
        assert.ok(p.figures!.heapFree + p.figures!.heapReleased >= 16 * 2 ** 20, `free ${p.figures!.heapFree} + released ${p.figures!.heapReleased}`);
        assert.deepStrictEqual(p.from, {
          heapObjects: 'go_memstats_heap_alloc_bytes',
          heapUnused: 'go_memstats_heap_inuse_bytes − go_memstats_heap_alloc_bytes',
          heapFree: 'go_memstats_heap_idle_bytes − go_memstats_heap_released_bytes',
          heapReleased: 'go_memstats_heap_released_bytes',
          stacks: 'go_memstats_stack_sys_bytes',
          total: 'go_memstats_sys_bytes',
          gcCycles: 'go_gc_duration_seconds_count',
          gcGoal: 'go_memstats_next_gc_bytes',
          memoryLimit: 'go_gc_gomemlimit_bytes',
          gogc: 'go_gc_gogc_percent',
          processRss: 'process_resident_memory_bytes',
          goroutines: 'go_goroutines',
          goVersion: 'go_info',
        });
      }
    });

    it('runtime/metrics registry: the memory classes are preferred, every figure agreeing with the program’s own readings', () => {
      for (const name of ['runtime-text', 'runtime-openmetrics', 'gogc-off-limit']) {
        const p = read(page(name));
        assert.deepStrictEqual(p.problems, [], name);
        assertMatchesTruth(p, truth(name), true);
        assert.strictEqual(p.from.heapObjects, 'go_memory_classes_heap_objects_bytes');
        assert.strictEqual(p.from.stacks, 'go_memory_classes_heap_stacks_bytes + go_memory_classes_os_stacks_bytes');
        assert.strictEqual(p.from.gcCycles, 'go_gc_cycles_total_gc_cycles_total');
        assert.strictEqual(p.from.gcGoal, 'go_gc_heap_goal_bytes');
        // Every memory class is kept; together they are everything mapped.
        const classes = KEPT_SAMPLES.filter((k) => k.startsWith('go_memory_classes_') && k !== 'go_memory_classes_total_bytes');
        assert.strictEqual(classes.length, 13);
        assert.strictEqual(
          classes.reduce((s, k) => s + p.values[k]!, 0),
          p.values.go_memory_classes_total_bytes,
          'the classes partition the total (one runtime/metrics read)',
        );
        assert.strictEqual(p.values.go_memstats_sys_bytes, p.values.go_memory_classes_total_bytes, 'the MemStats-like families come from the same read');
      }
    });

    it('OpenMetrics: # EOF ends it, # UNIT, exemplars and a quoted UTF-8 name are read past', () => {
      const text = page('runtime-openmetrics').toString('utf8');
      assert.match(text, /^\{"my\.app\.dotted_name"\} 42\.0$/m, 'the recording holds a quoted name');
      assert.match(text, / # \{trace_id="[0-9a-f]+"\} 3\.0 [\d.e+]+$/m, 'and an exemplar');
      assert.match(text, /^# UNIT /m);
      const p = read(page('runtime-openmetrics'), { format: 'openmetrics-1.0' });
      assert.strictEqual(p.stats.eof, true);
      assert.strictEqual(p.stats.bytesAfterEof, 0);
      assert.deepStrictEqual(p.problems, []);
      assert.ok(p.figures);
      // Without the Content-Type, the # EOF says OpenMetrics.
      assert.strictEqual(read(page('runtime-openmetrics')).format, 'openmetrics-1.0');
      assert.strictEqual(read(page('default-text')).format, 'text-0.0.4');
    });

    it('two registries: every family is there twice, so none is believed', () => {
      const p = read(page('two-registries'));
      assert.strictEqual(p.figures, undefined);
      assert.deepStrictEqual(p.values, {});
      assert.ok(p.seen.includes('go_goroutines') && p.seen.includes('process_resident_memory_bytes'));
      assert.match(p.problems[0], /^dropped \w+: it appears 2 times on the page/);
      assert.ok(p.problems.length <= 17, 'bounded: 16 and a count of the rest');
      assert.match(p.problems[p.problems.length - 1], /^… and \d+ more$/);
    });

    it('GOGC=off is 2^64 − 1 on the page (runtime/metrics’ uint64): read as −1; GOMEMLIMIT as set', () => {
      assert.match(page('gogc-off-limit').toString(), /^go_gc_gogc_percent 1\.8446744073709552e\+19$/m);
      const p = read(page('gogc-off-limit'));
      assert.strictEqual(p.figures!.gogc, -1);
      assert.strictEqual(p.figures!.memoryLimit, 512 * 2 ** 20);
      assert.deepStrictEqual(p.problems, []);
    });
  });

  describe('format features', () => {
    it('reads the base page', () => {
      const p = read(BASE);
      assert.deepStrictEqual(p.figures, BASE_FIGURES);
      assert.deepStrictEqual(p.missing, []);
      assert.strictEqual(p.stats.samples, 12);
    });

    it('families in any order, the service’s own before, between and after', () => {
      const lines = BASE.split('\n');
      const own = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}_requests_total{path="/p/${i}"} ${i}`);
      const shuffled = [...own('aaa', 50), ...lines.slice(0, 7), ...own('go_app', 20), ...lines.slice(7), ...own('zzz', 50)].join('\n');
      assert.deepStrictEqual(read(shuffled).figures, BASE_FIGURES);
      assert.deepStrictEqual(read([...lines].reverse().join('\n') + '\n').figures, BASE_FIGURES);
    });

    it('# HELP, # TYPE, # UNIT and other comments are skipped, even with kept names and numbers in them', () => {
      const p = withLine('# HELP go_goroutines 99\n# UNIT go_memstats_sys_bytes bytes\n# go_goroutines 5\n#\n# TYPE go_info gauge');
      assert.deepStrictEqual(p.figures, BASE_FIGURES);
    });

    it('# EOF ends the page; what follows is ignored, and said', () => {
      const p = read(`${BASE}# EOF\ngo_goroutines 99\ngarbage \u0000\u00ff\n`);
      assert.strictEqual(p.figures!.goroutines, 7);
      assert.strictEqual(p.stats.eof, true);
      assert.strictEqual(p.stats.bytesAfterEof, 'go_goroutines 99\ngarbage \u0000\u00ff\n'.length + 1);
      assert.ok(p.problems.some((x) => /^ignored \d+ bytes after # EOF$/.test(x)));
      // # EOF as the last bytes, without a newline (OpenMetrics allows it), and after a CRLF.
      assert.strictEqual(read(`${BASE}# EOF`).stats.eof, true);
      assert.deepStrictEqual(read(`${BASE}# EOF`).problems, []);
      assert.strictEqual(read(`${BASE}\r\n# EOF\r\n`).stats.eof, true);
      // "# EOF" with more on its line is a comment.
      assert.strictEqual(read(`${BASE}# EOF now\ngo_goroutines 99\n`).stats.eof, false);
    });

    it('an OpenMetrics page without # EOF may have been cut short: said, figures kept', () => {
      const p = read(BASE, { format: 'openmetrics-1.0' });
      assert.deepStrictEqual(p.figures, BASE_FIGURES);
      assert.deepStrictEqual(p.problems, ['the OpenMetrics page has no # EOF: it may have been cut short']);
    });

    it('exemplars, timestamps (ms and float seconds), labels and blanks around a kept sample', () => {
      for (const line of [
        'go_goroutines 8 # {trace_id="abc"} 1.0 1.7966e+09',
        'go_goroutines 8 1796631322812',
        'go_goroutines 8 1796631322.812',
        'go_goroutines 8 -1',
        'go_goroutines{job="api",instance="10.0.0.1:9090"} 8',
        'go_goroutines{job="a",} 8',
        'go_goroutines { job = "a" } 8',
        'go_goroutines{job="a"}8',
        '   go_goroutines\t8\t',
        'go_goroutines 8.0',
        'go_goroutines 8e0',
        'go_goroutines 0.08e2',
      ]) {
        const p = read(BASE.replace('go_goroutines 7', line));
        assert.strictEqual(p.figures?.goroutines, 8, line);
        assert.deepStrictEqual(p.problems, [], line);
      }
    });

    it('a quoted name inside the braces is a name like any other', () => {
      for (const line of ['{"go_goroutines"} 8', '{"go_goroutines",job="x"} 8', '{ "go_goroutines" , "job.name"="x"} 8']) {
        assert.strictEqual(read(BASE.replace('go_goroutines 7', line)).figures?.goroutines, 8, line);
      }
      // Not ours: a dotted name, a label named like ours, an escaped quote in the name.
      for (const line of ['{"go.goroutines"} 8', '{"go_goroutines"="x"} 8', '{"go_gorout\\"ines"} 8']) {
        const p = read(BASE.replace('go_goroutines 7', line));
        assert.strictEqual(p.figures?.goroutines, undefined, line);
        assert.deepStrictEqual(p.problems, [], line);
      }
    });

    it('escaped label values: \\\\, \\" and \\n around go_info’s version', () => {
      const p = withLine('go_memstats_heap_objects 5').figures;
      assert.ok(p);
      const info = (labels: string) => read(BASE.replace('go_info{version="go1.26.8"} 1', `go_info{${labels}} 1`));
      assert.strictEqual(info('a="x \\" y \\\\ z \\n",version="go1.22.3",b="\\\\"').figures?.goVersion, 'go1.22.3');
      assert.strictEqual(info('"version"="go1.22.3"').figures?.goVersion, 'go1.22.3');
      const odd = info('version="go1.22\\"3"');
      assert.strictEqual(odd.figures?.goVersion, undefined);
      assert.deepStrictEqual(odd.problems, ['dropped go_info: its version label is not a Go version']);
      assert.deepStrictEqual(info('x="go1.22"').problems, ['dropped go_info: its version label is missing']);
      assert.match(info('version="go1.22\\x"').problems[0], /^dropped go_info: a label value does not close/);
      assert.strictEqual(info(`version="go1.${'9'.repeat(300)}"`).figures?.goVersion, undefined);
    });

    it('CRLF line ends read the same as LF', () => {
      const crlf = read(BASE.replace(/\n/g, '\r\n') + '\r\n');
      // A lone # as the first line, CRLF-ended, is a comment (found by the fuzz suite).
      assert.deepStrictEqual(read(`#\r\n${BASE.replace(/\n/g, '\r\n')}`).figures, BASE_FIGURES);
      assert.deepStrictEqual(crlf.figures, BASE_FIGURES);
      assert.deepStrictEqual(crlf.problems, []);
    });

    it('the runtime/metrics classes are preferred to the MemStats-like families, figure by figure', () => {
      const p = withLine('go_memory_classes_heap_objects_bytes 1100\ngo_memory_classes_heap_stacks_bytes 40000\ngo_memory_classes_os_stacks_bytes 8000\ngo_gc_cycles_total_gc_cycles_total 13');
      assert.strictEqual(p.figures!.heapObjects, 1100);
      assert.strictEqual(p.figures!.stacks, 48000);
      assert.strictEqual(p.figures!.gcCycles, 13);
      assert.strictEqual(p.from.heapObjects, 'go_memory_classes_heap_objects_bytes');
      // Still from the MemStats-like ones: the page has no class for them.
      assert.strictEqual(p.from.heapFree, 'go_memstats_heap_idle_bytes − go_memstats_heap_released_bytes');
      // Half the stacks classes is not the stacks: StackSys is used instead.
      assert.strictEqual(withLine('go_memory_classes_heap_stacks_bytes 40000').figures!.stacks, 65536);
    });

    it('GOMEMLIMIT: none (math.MaxInt64, 2^63 as a float) is 0; a limit is itself', () => {
      assert.strictEqual(withLine('go_gc_gomemlimit_bytes 9.223372036854776e+18').figures!.memoryLimit, 0);
      assert.strictEqual(withLine('go_gc_gomemlimit_bytes 5.36870912e+08').figures!.memoryLimit, 536870912);
      assert.deepStrictEqual(withLine('go_gc_gomemlimit_bytes 1e30').problems, ['dropped go_gc_gomemlimit_bytes = "1e30": not a memory limit (a count, or ≥ 2^62 for none)']);
    });

    it('GOGC: a percentage, −1, or 2^64 − 1 (off); nothing else', () => {
      assert.strictEqual(withLine('go_gc_gogc_percent 100').figures!.gogc, 100);
      assert.strictEqual(withLine('go_gc_gogc_percent -1').figures!.gogc, -1);
      assert.strictEqual(withLine('go_gc_gogc_percent 1.8446744073709552e+19').figures!.gogc, -1);
      for (const bad of ['-2', '50.5', '9.3e+18', 'NaN', '+Inf']) assert.strictEqual(withLine(`go_gc_gogc_percent ${bad}`).figures!.gogc, undefined, bad);
    });

    it('a page without the Go collector gives no Go figures, says which are missing, and keeps the process figures', () => {
      const p = read('# HELP process_resident_memory_bytes RSS\nprocess_resident_memory_bytes 1.5e+07\nprocess_virtual_memory_bytes 2e+08\nprocess_start_time_seconds 1.79663132201e+09\nnode_load1 0.5\n');
      assert.strictEqual(p.figures, undefined);
      assert.deepStrictEqual(p.missing, ['heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'stacks', 'total', 'gcCycles', 'gcGoal']);
      assert.deepStrictEqual(p.process, { rss: 15_000_000, vsz: 200_000_000, startTimeSeconds: 1796631322.01 });
    });
  });

  describe('what a target may send', () => {
    it('lying numbers for a byte count: 1e300, −5, NaN, ±Inf, a fraction, past 2^53, hex — dropped with a reason', () => {
      for (const bad of ['1e300', '-5', 'NaN', 'nan', '+Inf', '-Inf', 'Inf', '1.5', '9007199254740993', '1e16', '0x10', '1_000', '--1', '1e400', '']) {
        const p = read(BASE.replace('go_memstats_sys_bytes 1.2e+07', `go_memstats_sys_bytes ${bad}`));
        assert.strictEqual(p.figures, undefined, bad);
        assert.deepStrictEqual(p.missing, ['total'], bad);
        assert.strictEqual(p.problems.length, 1, bad);
        assert.match(p.problems[0], /^dropped go_memstats_sys_bytes/, bad);
      }
      // −0 and a timestamp-looking exponent are fine.
      assert.strictEqual(read(BASE.replace('go_goroutines 7', 'go_goroutines -0')).figures!.goroutines, 0);
      assert.ok(Object.is(read(BASE.replace('go_goroutines 7', 'go_goroutines -0')).figures!.goroutines, 0), '+0, not −0');
    });

    it('impossible combinations: heap in use below the live heap, idle below released, parts above the total', () => {
      assert.deepStrictEqual(read(BASE.replace('go_memstats_heap_inuse_bytes 1500', 'go_memstats_heap_inuse_bytes 900')).problems, [
        'dropped heapUnused: go_memstats_heap_inuse_bytes − go_memstats_heap_alloc_bytes = -100',
        'dropped heapUnused: go_memstats_heap_inuse_bytes − go_memstats_alloc_bytes = -100',
      ]);
      assert.strictEqual(read(BASE.replace('go_memstats_heap_idle_bytes 5000', 'go_memstats_heap_idle_bytes 10')).figures, undefined);
      const p = read(BASE.replace('go_memstats_sys_bytes 1.2e+07', 'go_memstats_sys_bytes 10000'));
      assert.strictEqual(p.figures, undefined);
      assert.match(p.problems[0], /^dropped the Go figures: the heap and stacks \(72036\) exceed everything mapped \(10000\)$/);
    });

    it('the same family twice is refused, whatever the values; the others stand', () => {
      for (const copy of ['go_goroutines 7', 'go_goroutines 8', 'go_goroutines{registry="b"} 7', '{"go_goroutines"} 9', 'go_goroutines NaN', 'go_goroutines']) {
        const p = withLine(copy);
        assert.strictEqual(p.figures!.goroutines, undefined, copy);
        assert.strictEqual(p.figures!.heapObjects, 1000, copy);
        assert.ok(p.problems.includes('dropped go_goroutines: it appears 2 times on the page (two registries, or several programs?)'), `${copy}: ${p.problems.join('; ')}`);
      }
      // A thousand copies cost a count each.
      const many = withLine(Array.from({ length: 1000 }, () => 'go_goroutines 1').join('\n'));
      assert.ok(many.problems.includes('dropped go_goroutines: it appears 1001 times on the page (two registries, or several programs?)'));
    });

    it('malformed kept lines are dropped with a reason; malformed others are not even looked at', () => {
      for (const [line, why] of [
        ['go_goroutines', 'a sample has no value'],
        ['go_goroutines{job="x"', 'the labels do not close'],
        ['go_goroutines{job=x} 8', 'a label value is not quoted'],
        ['go_goroutines{job} 8', 'a label has no value'],
        ['go_goroutines{job="x" instance="y"} 8', 'labels are not separated by commas'],
        ['go_goroutines{1a="x"} 8', 'a label name is malformed'],
        ['go_goroutines 8 9 10', 'a sample has more than a value and a timestamp'],
        ['go_goroutines 8 soon', 'what follows the value is not a timestamp'],
        ['go_goroutines eight', 'value = "eight" is not a number'],
        [`go_goroutines ${'1'.repeat(41)}`, 'a value is too long to be a number'],
      ] as const) {
        const p = read(BASE.replace('go_goroutines 7', line));
        assert.deepStrictEqual(p.problems, [`dropped go_goroutines: ${why}`], line);
      }
      assert.deepStrictEqual(withLine('app_thing{{{ ]]] "unclosed\nhttp_x 1 2 3 4 5\n\u00ff\u00fe bad').problems, []);
    });

    it('a line longer than 64 KiB is skipped without being kept; a kept one is dropped with a reason', () => {
      const huge = 'x'.repeat(10 * 2 ** 20);
      const reader = new PrometheusTextReader();
      reader.feed(Buffer.from(`${BASE}app_info{blob="`));
      for (let i = 0; i < 10; i++) {
        reader.feed(Buffer.from(huge.slice(0, 2 ** 20)));
        assert.ok(reader.heldBytes() < 2 * MAX_LINE_BYTES, `held ${reader.heldBytes()}`);
      }
      reader.feed(Buffer.from(`"} 1\ngo_info{version="go1.26.8",blob="${'y'.repeat(100_000)}"} 1\ngo_memstats_heap_objects 3\n`));
      assert.ok(reader.heldBytes() <= MAX_LINE_BYTES + 2048, `held ${reader.heldBytes()}`);
      const p = reader.end();
      assert.strictEqual(p.stats.longLines, 1, 'the kept go_info line (the skipped one is never measured)');
      assert.strictEqual(p.values.go_memstats_heap_objects, 3);
      assert.ok(p.problems.includes('dropped go_info: it appears 2 times on the page (two registries, or several programs?)'), p.problems.join('; '));
      const alone = read(`go_goroutines 1\ngo_info{version="go1.26.8",blob="${'y'.repeat(100_000)}"} 1\n`);
      assert.deepStrictEqual(alone.problems, ['dropped go_info: its line is longer than 64 KiB']);
    });

    it('a line that never ends costs nothing to keep, and a kept one cut by the end is not believed', () => {
      const reader = new PrometheusTextReader();
      reader.feed(Buffer.from(`${BASE}app_metric{a="`));
      const chunk = Buffer.alloc(2 ** 20, 0x61);
      for (let i = 0; i < 20; i++) reader.feed(chunk);
      assert.ok(reader.heldBytes() < 2 * MAX_LINE_BYTES);
      assert.deepStrictEqual(reader.end().figures, BASE_FIGURES);
      // Truncated inside a number: "12" may be "1200000" cut short.
      const cut = read(`${BASE}go_memstats_heap_objects 12`);
      assert.strictEqual(cut.values.go_memstats_heap_objects, undefined);
      assert.deepStrictEqual(cut.problems, ['dropped go_memstats_heap_objects: the page ended inside its line']);
      const cutHead = read(`${BASE}go_memstats_heap_obj`);
      assert.deepStrictEqual(cutHead.problems, []);
    });

    it('a million series, streamed in 64 KiB chunks: bounded memory, constant work per byte', function () {
      this.timeout(60_000);
      const reader = new PrometheusTextReader();
      reader.feed(Buffer.from(BASE));
      let held = 0;
      let longestMs = 0;
      let bytes = 0;
      const started = process.hrtime.bigint();
      for (let done = 0; done < 1_000_000; ) {
        let text = '';
        while (text.length < 64 * 1024 && done < 1_000_000) text += `app_requests_total{route="/r/${done}",code="200"} ${done++}\n`;
        const chunk = Buffer.from(text);
        bytes += chunk.length;
        // Blocked = wall time less the time this thread waited for a CPU (a shared, loaded machine).
        const s0 = mainThreadSchedstat();
        const t0 = process.hrtime.bigint();
        reader.feed(chunk);
        const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
        const s1 = mainThreadSchedstat();
        longestMs = Math.max(longestMs, wallMs - (s0 && s1 ? (s1.waitNs - s0.waitNs) / 1e6 : 0));
        held = Math.max(held, reader.heldBytes());
      }
      const p = reader.end();
      const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
      assert.deepStrictEqual(p.figures, BASE_FIGURES);
      assert.strictEqual(p.stats.samples, 1_000_012);
      assert.ok(held <= 1024, `held ${held} bytes`);
      assert.ok(longestMs < 50, `a 64 KiB chunk took ${longestMs.toFixed(1)} ms`);
      console.log(`      ${(bytes / 2 ** 20).toFixed(1)} MiB, 10^6 series: ${totalMs.toFixed(0)} ms with generating them; longest feed ${longestMs.toFixed(2)} ms blocked`);
    });

    it('not a metrics page: HTML, JSON, gzip, binary, bad UTF-8, a shell script, empty — refused early', () => {
      const cases: [string | Buffer, RegExp][] = [
        ['<!DOCTYPE html>\n<html><body>Not Found</body></html>\n', /it starts with "<!DOCTYPE html>/],
        ['{"memstats":{"HeapAlloc":1}}\n', /first line is not a Prometheus comment or sample/],
        ['{"cmdline":["x"],\n"memstats":{}}', /first line is not a Prometheus comment or sample/],
        [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]), /it starts with "\\u001f/],
        [Buffer.from([0x00, 0x01, 0x02, 0x0a]), /it starts with "\\u0000/],
        [Buffer.concat([Buffer.from('go_goroutines{a="'), Buffer.from([0xff, 0xfe]), Buffer.from('"} 5\n')]), /not UTF-8/],
        ['#!/bin/sh\necho hi\n', /a # not followed by a space/],
        ['404 page not found\n', /it starts with "404/],
        ['Not Found\n', /first line is not a Prometheus comment or sample/],
        ['', /it is empty/],
        ['\n\n   \n', /only blank lines/],
        [`go_goroutines{a="${'x'.repeat(70_000)}"} 1\n`, /first line is longer than 64 KiB/],
      ];
      for (const [input, why] of cases) {
        const p = read(input);
        assert.match(p.notASource ?? '', why, JSON.stringify(input.toString().slice(0, 40)));
        assert.deepStrictEqual(p.figures, undefined);
      }
      // feed says so as soon as it knows, so the caller can stop reading.
      const reader = new PrometheusTextReader();
      assert.strictEqual(reader.feed(Buffer.from('<html>'.padEnd(200, ' '))), false);
      const big = new PrometheusTextReader();
      assert.strictEqual(big.feed(Buffer.from('<html>')), true, 'six bytes cannot tell yet…');
      assert.strictEqual(big.feed(Buffer.from('\n')), false, '…a line can');
      // A page whose first line is fine but which holds bad UTF-8 in lines we skip is still read.
      assert.deepStrictEqual(read(Buffer.concat([Buffer.from(`${BASE}app_x{a="`), Buffer.from([0xff]), Buffer.from('"} 1\n')])).figures, BASE_FIGURES);
    });
  });

  describe('expositionFormat', () => {
    it('decides from the Content-Type, and from the first bytes when it says nothing', () => {
      assert.deepStrictEqual(expositionFormat('text/plain; version=0.0.4; charset=utf-8; escaping=underscores'), { ok: true, format: 'text-0.0.4' });
      assert.deepStrictEqual(expositionFormat('Text/Plain'), { ok: true, format: 'text-0.0.4' });
      assert.deepStrictEqual(expositionFormat('application/openmetrics-text; version=1.0.0; charset=utf-8'), { ok: true, format: 'openmetrics-1.0' });
      assert.deepStrictEqual(expositionFormat('application/openmetrics-text; version=0.0.1'), { ok: true, format: 'openmetrics-1.0' });
      assert.deepStrictEqual(expositionFormat(undefined, Buffer.from('# HELP x\n')), { ok: true, format: 'text-0.0.4' });
      assert.deepStrictEqual(expositionFormat('application/octet-stream', Buffer.from('\n\n go_goroutines 1')), { ok: true, format: 'text-0.0.4' });
      assert.match((expositionFormat('text/html; charset=utf-8') as { reason: string }).reason, /Content-Type is "text\/html"/);
      assert.match((expositionFormat('application/json') as { reason: string }).reason, /application\/json/);
      assert.match((expositionFormat('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited') as { reason: string }).reason, /protobuf/);
      assert.match((expositionFormat('text/plain; version=9.9') as { reason: string }).reason, /version 9\.9/);
      assert.match((expositionFormat('text/plain', Buffer.from('<html>')) as { reason: string }).reason, /starts with "<html>"/);
      assert.match((expositionFormat('', Buffer.from([0x1f, 0x8b])) as { reason: string }).reason, /starts with/);
    });
  });
});
