/** Our companion agent (agent/, or the file the "Add FreeOSMemory Hook" command writes): its snapshot. */
import { KeptConnection } from '../../net/request';
import { MAX_SNAPSHOT_BYTES, parseAgentSnapshot } from '../parsers';
import { get, GO_FIGURES_MIN_INTERVAL_MS, GoSource, HttpSourceKind, reading, READ_TIMEOUT_MS, SourceError } from './source';

export const AGENT_PREFIX = '/debug/memorywatch/';

export function agentSource(base: URL, pid: number): GoSource {
  const snapshot = new URL(`${AGENT_PREFIX}snapshot`, base);
  const connection = new KeptConnection();
  return {
    kind: 'agent',
    description: `Memory Watch agent at ${snapshot.host}`,
    minIntervalMs: GO_FIGURES_MIN_INTERVAL_MS,
    baseUrl: new URL(base.origin),
    freeOSMemoryUrl: new URL(`${AGENT_PREFIX}freeosmemory`, base),
    async read(timeoutMs = READ_TIMEOUT_MS) {
      const body = await get(snapshot, `The agent at ${snapshot.host}`, { timeoutMs, maxBytes: MAX_SNAPSHOT_BYTES, connection });
      const problems: string[] = [];
      const parsed = parseAgentSnapshot(body.toString('utf8'), problems);
      if (!parsed) return reading(undefined, problems, 'the agent answered something that is not a snapshot');
      // The port now belongs to another program (the agent's process restarted): not ours.
      if (parsed.pid !== pid) throw new SourceError(`the agent at ${snapshot.host} belongs to PID ${parsed.pid}, not ${pid}`);
      return reading(parsed.figures, problems, '');
    },
    close: () => connection.close(),
  };
}


export const agentKind: HttpSourceKind = {
  kind: 'agent',
  probeUrl: (base) => new URL(`${AGENT_PREFIX}snapshot`, base),
  claims: (pathname) => pathname.startsWith(AGENT_PREFIX),
  at: (base, pid) => agentSource(base, pid),
};
