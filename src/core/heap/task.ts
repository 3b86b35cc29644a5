/**
 * The heap profile task (bundled as dist/heapTask.js; out/src/core/heap/task.js in tests): run in
 * a child process of its own by decode.ts, one profile per process. Its input is the gzip body.
 * Decoding and ranking a large profile takes hundreds of milliseconds and may take hundreds of
 * MiB: neither may happen in the extension host.
 */
import { analyzeHeapProfile } from './analyze';
import type { HeapTaskRequest } from './decode';
import { serveIsolatedTask } from '../util/isolatedChild';

serveIsolatedTask((request, input) => analyzeHeapProfile(input ?? new Uint8Array(0), (request as HeapTaskRequest).options));
