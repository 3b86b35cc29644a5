/**
 * The heap worker's entry (bundled as dist/heapWorker.js; out/src/core/heap/worker.js in tests):
 * answers one {@link HeapWorkerRequest} with one {@link HeapWorkerReply}. Decoding and ranking a
 * large profile takes hundreds of milliseconds of CPU, which must not happen on the extension
 * host's thread.
 */
import { parentPort } from 'worker_threads';
import { analyzeHeapProfile } from './analyze';
import { HeapProfileError } from './errors';
import { HeapWorkerReply, HeapWorkerRequest } from './workerProtocol';

if (!parentPort) throw new Error('heap worker: run me with new Worker(), not directly');
const port = parentPort;

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
