/**
 * The page of our graph in the live benchmark: the harness (the host's part, counters) first,
 * then the real webview, src/webview/main.ts, as media/dist/graph.js bundles it.
 */
import './liveHarness';
import '../../src/webview/main';
