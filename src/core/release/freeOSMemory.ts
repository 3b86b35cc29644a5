/**
 * "Free OS Memory": picks the configured way to make the target call debug.FreeOSMemory(),
 * checks it is allowed and safe, triggers it and measures the effect. Pure core: the shell
 * supplies settings and a way to ask the user.
 */
import { formatBytes } from '../format';
import { Watch } from '../watch';
import { checkHookUrl, postHook } from './httpHook';
import { measureRelease, ReleaseMethod, ReleaseReport, TriggerOutcome } from './measure';
import { checkSignal, isReleaseSignal, sendSignal } from './signal';

export interface ReleaseSettings {
  readonly method: ReleaseMethod;
  readonly url: string;
  readonly signal: string;
  readonly allowedHosts: readonly string[];
}

export interface ReleaseDeps {
  /** Asks the user to confirm (a modal); resolves true to go ahead. */
  confirm(message: string): Promise<boolean>;
}

/** A report for something refused before anything was sent. */
function refused(method: ReleaseMethod, message: string): ReleaseReport {
  return { method, triggered: false, message };
}

export async function freeOSMemory(watch: Watch, settings: ReleaseSettings, deps: ReleaseDeps): Promise<ReleaseReport> {
  if (watch.state !== 'running') {
    return refused(settings.method, `${watch.info.name} (PID ${watch.pid}) is no longer watched: ${watch.endReason ?? 'the watch has ended'}.`);
  }
  if (settings.method === 'http') {
    const check = checkHookUrl(settings.url, settings.allowedHosts);
    if (!check.ok) return refused('http', check.message);
    const url = check.url;
    return measureRelease(watch, 'http', async (): Promise<TriggerOutcome> => {
      try {
        const answer = await postHook(url, settings.allowedHosts);
        const start = answer.body.trim().replace(/\s+/g, ' ').slice(0, 200);
        const detail = `HTTP ${answer.status}${start ? `: ${start}` : ''}`;
        if (answer.status >= 200 && answer.status < 300) return { ok: true, detail };
        return { ok: false, message: `The FreeOSMemory hook answered HTTP ${answer.status}${start ? `: ${start}` : ''}`, detail };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    }, 'Does the handler at the hook URL call debug.FreeOSMemory()?');
  }

  const signal = settings.signal;
  if (!isReleaseSignal(signal)) return refused('signal', `"${signal}" is not a signal Memory Watch sends; use SIGUSR1 or SIGUSR2.`);
  let check;
  try {
    check = checkSignal(watch.identity, signal, watch.info.name);
  } catch (err) {
    return refused('signal', (err as Error).message);
  }
  if (check.verdict === 'refuse') return refused('signal', check.message);
  if (check.verdict === 'unknown' && !(await deps.confirm(check.message))) {
    return refused('signal', `${signal} not sent.`);
  }
  const rss = watch.latest ? ` at RSS ${formatBytes(watch.latest.rss)}` : '';
  return measureRelease(watch, 'signal', async (): Promise<TriggerOutcome> => {
    try {
      sendSignal(watch.identity, signal);
      return { ok: true, detail: `${signal} sent to PID ${watch.pid}${rss}` };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }, `Does the program call debug.FreeOSMemory() when it gets ${signal}?`);
}
