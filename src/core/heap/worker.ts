/**
 * The heap worker's entry (bundled as dist/heapWorker.js; out/src/core/heap/worker.js in tests):
 * answers one {@link HeapWorkerRequest} with one {@link HeapWorkerReply}. Decoding and ranking a
 * large profile takes hundreds of milliseconds of CPU, which must not happen on the extension
 * host's thread.
 */
import os = require('os');
import { parentPort } from 'worker_threads';
import { analyzeHeapProfile } from './analyze';
import { HeapProfileError } from './errors';
import { HeapWorkerReply, HeapWorkerRequest } from './workerProtocol';

if (!parentPort) throw new Error('heap worker: run me with new Worker(), not directly');
const port = parentPort;

// On Linux the nice value belongs to the thread: lowering this one lets the extension host's
// thread win the CPU on a busy machine (measured on 2 loaded cores: its longest stalls during a
// decode went from 20–38 ms to 10–14 ms). Elsewhere it would lower the whole process: left alone.
if (process.platform === 'linux') {
  try {
    os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not permitted: run at normal priority.
  }
}

port.once('message', (request: HeapWorkerRequest) => {
  const reply = (message: HeapWorkerReply) => port.postMessage(message);
  analyzeHeapProfile(request.gz, request.options).then(
    (summary) => reply({ ok: true, summary }),
    (err: unknown) => {
      // Our own refusals keep their code; anything else is a bug or a bad option, said as is.
      if (err instanceof HeapProfileError) reply({ ok: false, code: err.code, message: err.message });
      else reply({ ok: false, code: 'worker-failed', message: `Reading the heap profile failed: ${err instanceof Error ? err.message : String(err)}` });
    },
  );
});
