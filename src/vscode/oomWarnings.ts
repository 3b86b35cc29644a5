/** An OOM kill is news, whether it ended the watched process or another one in its container. */
import { IDisposable } from '../core/util/lifecycle';
import { WatchRegistry } from '../core/watchRegistry';
import { CommandId, runCommand } from './commandIds';
import { showWarning } from './notify';

/** Says so when a watch gets an OOM marker, with a button to its graph. */
export function warnOnOomKills(registry: WatchRegistry): IDisposable {
  return registry.onDidAddEvent(({ watch, event }) => {
    if (event.kind !== 'oom') return;
    const text = watch.state === 'running' ? `Memory Watch: ${event.detail ?? event.label}` : `Memory Watch: ${watch.endReason ?? event.label}`;
    void showWarning(text, 'Show Graph').then((choice) => {
      if (!choice) return;
      registry.select(watch.id);
      void runCommand(CommandId.ShowGraph);
    });
  });
}
