/** A gops agent: its memory statistics command, on the port its port file names. */
import { gopsCommand, GOPS_MEMSTATS } from '../../net/gops';
import { parseGopsMemStats } from '../parsers';
import { GO_FIGURES_MIN_INTERVAL_MS, GoSource, reading, READ_TIMEOUT_MS, SourceError } from './source';

/** gops command 0x03: memory statistics. */
export function gopsSource(port: number): GoSource {
  return {
    kind: 'gops',
    description: `gops agent on 127.0.0.1:${port}`,
    minIntervalMs: GO_FIGURES_MIN_INTERVAL_MS,
    async read(timeoutMs = READ_TIMEOUT_MS) {
      let text: string;
      try {
        text = await gopsCommand(port, GOPS_MEMSTATS, timeoutMs);
      } catch (err) {
        throw new SourceError((err as Error).message, true);
      }
      const problems: string[] = [];
      return reading(parseGopsMemStats(text, problems), problems, 'gops answered something that is not memory statistics');
    },
  };
}
