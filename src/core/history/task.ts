/**
 * The history task (bundled as dist/historyTask.js): run in a child process of its own by
 * offThread.ts. It asks the server, parses answers of tens of MiB and assembles the fleet here —
 * so neither the bytes nor the parsing ever cost the extension host a moment, a hostile answer
 * costs this process at most, and Cancel is a kill.
 */
import { serveIsolatedTask } from '../util/isolatedChild';
import { fetchFleetHistory, fetchReplicaDetails } from './fetch';
import type { HistoryTaskRequest } from './offThread';

serveIsolatedTask(async (raw, _input, progress) => {
  const request = raw as HistoryTaskRequest;
  const server = { ...request.server, base: new URL(request.server.base) };
  if (request.replica) {
    if (request.fleet.step === undefined) throw new Error('A replica is read on its fleet\'s step.');
    return fetchReplicaDetails(server, { ...request.fleet, step: request.fleet.step }, request.replica, progress, request.limits);
  }
  return fetchFleetHistory(server, request.fleet, progress, request.limits);
});
