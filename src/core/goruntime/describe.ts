/** One line on where a watch's Go figures come from — or how to get them. */
import { GoStatus } from './tracker';

/** The one line a Go program needs for Memory Watch to see inside its heap. */
export const AGENT_IMPORT = 'import _ "github.com/memorywatch/memory-watch/agent/autostart"';

export function describeGoStatus(status: GoStatus | undefined, paused: boolean): { state: GoStatus['state']; text: string } {
  if (!status || status.state === 'off') return { state: 'off', text: 'Go figures: off (memoryWatch.goFigures)' };
  switch (status.state) {
    case 'searching':
      return {
        state: 'searching',
        text: `Go figures: looking for the Memory Watch agent, Prometheus /metrics, expvar, net/http/pprof or gops…${status.lastError ? ` (the last source failed: ${status.lastError})` : ''}`,
      };
    case 'found':
      return { state: 'found', text: `Go figures: ${status.source.description}${paused ? ' (not asked while stopped in the debugger)' : ''}` };
    case 'stopped':
      return { state: 'stopped', text: `Go figures: stopped asking — ${status.reason}.` };
    case 'none':
      return { state: 'none', text: `OS figures only: ${status.reason}. To see inside the Go heap, add one line: ${AGENT_IMPORT} (or import _ "expvar", or serve Prometheus /metrics).` };
  }
}
