/** File descriptors we keep open (/proc and cgroup files read again and again). */
import fs = require('fs');

/** Closes `fd`; one already closed (or never valid) is nothing to release. */
export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
