/**
 * gops' protocol: connect to its loopback port, write one command byte, read the answer to EOF.
 * Loopback only, a deadline, a bounded answer — like every other request to a target.
 */
import net = require('net');

/** gops command 0x03: memory statistics. */
export const GOPS_MEMSTATS = 0x03;

/** Runs one gops command on 127.0.0.1:`port`; rejects on timeout, error or an oversized answer. */
export function gopsCommand(port: number, command: number, timeoutMs = 1000, maxBytes = 64 * 1024): Promise<string> {
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) return Promise.reject(new Error(`${port} is not a TCP port`));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => finish(new Error(`gops did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.from([command])));
    socket.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBytes) return finish(new Error('gops answer too large'));
      chunks.push(chunk);
    });
    socket.on('end', () => finish());
    socket.on('error', (err) => finish(err));
  });
}
