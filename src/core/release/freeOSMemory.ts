/**
 * "Free OS Memory": picks a way to make the target call debug.FreeOSMemory(), checks it is
 * allowed, safe and possible now, triggers it and measures the effect. Pure core: the shell
 * supplies settings, a way to ask the user, and — when the target is in a debug session — a way
 * to call the function through the debugger.
 *
 * "auto" chooses: through the debugger while the target is stopped in Delve (it could not answer
 * HTTP anyway); else the HTTP hook when a URL is set; else it says what would work.
 */
import { formatBytes, formatDuration } from '../../shared/format';
import type { ReleaseMethodSetting } from '../settings';
import { Watch } from '../watch';
import { checkUrl, HOOK_URL } from '../net/urlPolicy';
import { postHook } from './httpHook';
import { measureRelease, ReleaseMethod, ReleaseReport, TriggerOutcome } from './measure';
import { checkSignal, isReleaseSignal, sendSignal } from './signal';
import { AGENT_IMPORT } from '../goruntime/describe';
import type { GoSourceKind } from '../goruntime/figures';

export interface ReleaseSettings {
  readonly method: ReleaseMethodSetting;
  readonly url: string;
  readonly signal: string;
  readonly allowedHosts: readonly string[];
}

/** The debugger route for one watch, when its process is being debugged. */
export interface DebuggerRoute {
  /** The session's name, for messages. */
  readonly sessionName: string;
  /** Delve can call functions (other adapters cannot). */
  readonly canCall: boolean;
  /** Calls debug.FreeOSMemory() in the stopped target. */
  call(): Promise<TriggerOutcome>;
}

export interface ReleaseDeps {
  /** Asks the user to confirm (a modal); resolves true to go ahead. */
  confirm(message: string): Promise<boolean>;
  /** The Memory Watch agent's FreeOSMemory endpoint, when the program runs it. */
  readonly agentUrl?: URL;
  /** The debug session of the watched process, if it has one. */
  readonly debugger?: DebuggerRoute;
}

/** A report for something refused before anything was sent. */
function refused(method: ReleaseMethod, message: string): ReleaseReport {
  return { method, triggered: false, message };
}

const PAUSED_NO_HTTP = 'The program is stopped in the debugger, so it cannot answer HTTP now (the request would hang).';

/** What the choice depends on about the target. */
export interface TargetView {
  readonly pid: number;
  readonly name: string;
  /** Stopped in a debugger. */
  readonly paused: boolean;
  /** Reached only through this URL (a port-forward): no local process to signal or debug. */
  readonly url?: string;
  /** Where its Go figures come from, when known: a metrics page or expvar can read memory, not free it. */
  readonly goSource?: GoSourceKind;
}

/** Which method to use now, or why none can work. */
export function chooseMethod(target: TargetView, settings: ReleaseSettings, route: DebuggerRoute | undefined, agentUrl?: URL): { method: ReleaseMethod } | { refusal: ReleaseReport } {
  const delveStopped = target.paused && route?.canCall === true;
  switch (settings.method) {
    case 'auto':
      if (delveStopped) return { method: 'debugger' };
      if (target.paused) return { refusal: refused('http', `${PAUSED_NO_HTTP} Continue it, then try again.`) };
      if (agentUrl) return { method: 'agent' };
      if (settings.url.trim()) return { method: 'http' };
      if (target.goSource === 'prometheus') {
        return {
          refusal: refused(
            'http',
            `${target.name}'s figures come from its Prometheus /metrics, which can read memory but not free it: add the Memory Watch agent (${AGENT_IMPORT}) or a FreeOSMemory hook (the Add FreeOSMemory Hook command), then set memoryWatch.freeOSMemory.url to the hook.`,
          ),
        };
      }
      return {
        refusal: refused(
          'http',
          'No way to call FreeOSMemory in this program yet: set memoryWatch.freeOSMemory.url to its hook (the README shows the few lines), stop it at a breakpoint in the Go debugger (no code change needed), or use the signal method.',
        ),
      };
    case 'http':
      return target.paused ? { refusal: refused('http', `${PAUSED_NO_HTTP} Continue it, or use the "debugger" method.`) } : { method: 'http' };
    case 'signal':
      if (target.url) return { refusal: refused('signal', `${target.name} is reached through ${target.url}, not as a process of this machine: no signal can reach it. Use the Memory Watch agent (method "auto").`) };
      return target.paused
        ? { refusal: refused('signal', 'The program is stopped in the debugger: its signal handler cannot run until it continues. Continue it, or use the "debugger" method.') }
        : { method: 'signal' };
    case 'debugger':
      if (!route) return { refusal: refused('debugger', `${target.name} (PID ${target.pid}) is not in a debug session here, so the debugger method cannot reach it.`) };
      if (!route.canCall) return { refusal: refused('debugger', `The debug session "${route.sessionName}" is not Delve; only Delve can call debug.FreeOSMemory() in a Go program.`) };
      if (!target.paused) return { refusal: refused('debugger', 'Stop the program at a breakpoint first: Delve can call a function only in a stopped program.') };
      return { method: 'debugger' };
  }
}

export async function freeOSMemory(watch: Watch, settings: ReleaseSettings, deps: ReleaseDeps): Promise<ReleaseReport> {
  const fallback: ReleaseMethod = settings.method === 'auto' ? 'http' : settings.method;
  if (watch.state !== 'running') {
    return refused(fallback, `${watch.info.name} (PID ${watch.pid}) is no longer watched: ${watch.endReason ?? 'the watch has ended'}.`);
  }
  const url = watch.target.kind === 'url' ? watch.target.url : undefined;
  const goSource = watch.remoteSource?.kind ?? watch.goRuntime?.currentSource?.kind;
  const choice = chooseMethod({ pid: watch.pid, name: watch.info.name, paused: watch.paused, url, goSource }, settings, deps.debugger, deps.agentUrl);
  if ('refusal' in choice) return choice.refusal;
  switch (choice.method) {
    case 'agent':
      // A URL target's agent may sit on a host the user allowed; a local agent is on loopback.
      return releaseByAgent(watch, deps.agentUrl!, url ? settings.allowedHosts : []);
    case 'http':
      return releaseByHttp(watch, settings);
    case 'signal':
      return releaseBySignal(watch, settings, deps);
    case 'debugger': {
      const route = deps.debugger!;
      return measureRelease(watch, 'debugger', () => route.call(), 'Did Delve run the call? (Its output is in the Debug Console.)');
    }
  }
}

async function releaseByHttp(watch: Watch, settings: ReleaseSettings): Promise<ReleaseReport> {
  const check = checkUrl(settings.url, settings.allowedHosts, HOOK_URL);
  if (!check.ok) return refused('http', check.message);
  const url = check.url;
  return measureRelease(
    watch,
    'http',
    async (): Promise<TriggerOutcome> => {
      try {
        const answer = await postHook(url, settings.allowedHosts);
        const start = answer.body.trim().replace(/\s+/g, ' ').slice(0, 200);
        const detail = `HTTP ${answer.status}${start ? `: ${start}` : ''}`;
        if (answer.status >= 200 && answer.status < 300) return { ok: true, detail };
        return { ok: false, message: `The FreeOSMemory hook answered HTTP ${answer.status}${start ? `: ${start}` : ''}`, detail };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    'Does the handler at the hook URL call debug.FreeOSMemory()?',
  );
}

/** The agent answers with what the runtime itself released; the measured RSS effect is the report. */
async function releaseByAgent(watch: Watch, url: URL, allowedHosts: readonly string[]): Promise<ReleaseReport> {
  return measureRelease(
    watch,
    'agent',
    async (): Promise<TriggerOutcome> => {
      try {
        const answer = await postHook(url, allowedHosts);
        if (answer.status === 429) return { ok: false, message: 'The Memory Watch agent is already freeing memory (or did a moment ago); try again in a second.' };
        if (answer.status !== 200) return { ok: false, message: `The Memory Watch agent answered HTTP ${answer.status}: ${answer.body.trim().slice(0, 200)}` };
        const body = JSON.parse(answer.body) as { released?: number; durationMs?: number };
        return { ok: true, detail: `agent: runtime released ${formatBytes(body.released ?? 0)} in ${formatDuration(body.durationMs ?? 0)}` };
      } catch (err) {
        return { ok: false, message: `The Memory Watch agent did not answer: ${(err as Error).message}` };
      }
    },
    'The runtime had nothing left to return.',
  );
}

async function releaseBySignal(watch: Watch, settings: ReleaseSettings, deps: ReleaseDeps): Promise<ReleaseReport> {
  const signal = settings.signal;
  if (!isReleaseSignal(signal)) return refused('signal', `"${signal}" is not a signal Memory Watch sends; use SIGUSR1 or SIGUSR2.`);
  let check;
  try {
    check = checkSignal(watch.identity, signal, watch.info.name, watch.info.go !== undefined);
  } catch (err) {
    return refused('signal', (err as Error).message);
  }
  if (check.verdict === 'refuse') return refused('signal', check.message);
  if (check.verdict === 'unknown' && !(await deps.confirm(check.message))) {
    return refused('signal', `${signal} not sent.`);
  }
  const rss = watch.latest ? ` at RSS ${formatBytes(watch.latest.rss)}` : '';
  return measureRelease(
    watch,
    'signal',
    async (): Promise<TriggerOutcome> => {
      try {
        sendSignal(watch.identity, signal);
        return { ok: true, detail: `${signal} sent to PID ${watch.pid}${rss}` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    `Does the program call debug.FreeOSMemory() when it gets ${signal}?`,
  );
}
