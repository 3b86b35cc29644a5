/**
 * Recordings: keep, share and compare what a watch saw. The file format (schema.ts), writing it
 * from a live series (write.ts), reading it back safely (read.ts), run summaries and comparisons
 * (compare.ts) and CSV export (csv.ts). Plain TypeScript with no Node or VS Code imports, so the
 * extension host, a worker thread and the webview can all use it.
 */
export * from './schema';
export * from './write';
export * from './read';
export * from './compare';
export * from './csv';
