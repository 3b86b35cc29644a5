/**
 * Reading a V8 CPU profile of the extension host: whose code the time went to (ours, VS Code's,
 * Node's, the garbage collector), and which of our functions — located in src/ through a source
 * map of the very bundle the .vsix ships.
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import { SourceMap } from 'module';
import * as path from 'path';
import type { CpuProfile } from './common';

const ROOT = path.resolve(__dirname, '..', '..', '..');

type ProfileNode = CpuProfile['nodes'][number] & { children?: readonly number[] };

export interface Attribution {
  /** Sampled time that was not idle, ms. */
  readonly busyMs: number;
  readonly profileMs: number;
  /** ms per category: each sample goes to the nearest JavaScript frame outside Node's own modules (natives and Node internals count for their caller). */
  readonly byCategory: Record<string, number>;
  /** The heaviest functions (self + the natives and Node internals they called), largest first. */
  readonly top: readonly { readonly category: string; readonly functionName: string; readonly where: string; readonly ms: number }[];
}

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/**
 * `classify` names the category of a script URL; `locate` turns a frame of ours into a place in
 * src/ (or undefined to keep the bundle position).
 */
export function attributeProfile(profile: CpuProfile, classify: (url: string) => string, locate: (line: number, column: number, url: string) => string | undefined): Attribution {
  const nodes = profile.nodes as readonly ProfileNode[];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const ownerCache = new Map<number, ProfileNode>();
  const owner = (id: number): ProfileNode => {
    const cached = ownerCache.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    const up = parent.get(id);
    // A JavaScript frame outside Node's own modules owns its time; natives and Node internals go to their caller.
    const url = node.callFrame.url;
    let found: ProfileNode;
    if ((url && !url.startsWith('node:')) || SPECIAL.has(node.callFrame.functionName)) found = node;
    else if (up === undefined || byId.get(up)!.callFrame.functionName === '(root)') found = url ? node : byId.get(id)!;
    else found = owner(up);
    ownerCache.set(id, found);
    return found;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const mean = samples.length ? (profile.endTime - profile.startTime) / samples.length : 0;
  const byCategory: Record<string, number> = {};
  const byFunction = new Map<ProfileNode, number>();
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const ms = (i + 1 < deltas.length ? deltas[i + 1] : mean) / 1000;
    const node = owner(samples[i]);
    const name = node.callFrame.functionName;
    if (name === '(idle)') continue;
    busy += ms;
    const category = SPECIAL.has(name) ? name : classify(node.callFrame.url);
    byCategory[category] = (byCategory[category] ?? 0) + ms;
    byFunction.set(node, (byFunction.get(node) ?? 0) + ms);
  }
  // Frames of the same function (different call paths) are one entry.
  const merged = new Map<string, { category: string; functionName: string; where: string; ms: number }>();
  for (const [node, ms] of byFunction) {
    const f = node.callFrame;
    const category = SPECIAL.has(f.functionName) ? f.functionName : classify(f.url);
    const where = (f.url && locate(f.lineNumber, f.columnNumber, f.url)) || (f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '');
    const key = `${f.functionName}|${where}`;
    const prev = merged.get(key);
    merged.set(key, { category, functionName: f.functionName || '(anonymous)', where, ms: (prev?.ms ?? 0) + ms });
  }
  return { busyMs: busy, profileMs: (profile.endTime - profile.startTime) / 1000, byCategory, top: [...merged.values()].sort((a, b) => b.ms - a.ms) };
}

/**
 * Locates frames of the installed dist/extension.js in src/: builds the extension exactly as the
 * .vsix does (scripts/build.mjs --production) plus a source map, and uses the map only if the
 * code is byte-identical to the installed file. Returns undefined (no mapping) otherwise.
 */
export async function extensionLocator(installedBundle: string): Promise<((line: number, column: number) => string | undefined) | undefined> {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src', 'extension.ts')],
    outfile: path.join(ROOT, 'dist', 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'external',
    minify: true,
    write: false,
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  if (js.trimEnd() !== fs.readFileSync(installedBundle, 'utf8').trimEnd()) return undefined;
  const sourceMap = new SourceMap(JSON.parse(map));
  const sourceLines = new Map<string, string[]>();
  return (line, column) => {
    const entry = sourceMap.findEntry(line, column) as { originalSource?: string; originalLine?: number };
    if (!entry.originalSource || entry.originalLine === undefined) return undefined;
    const file = path.relative(ROOT, path.resolve(path.join(ROOT, 'dist'), entry.originalSource.replace(/^file:\/\//, '')));
    let lines = sourceLines.get(file);
    if (!lines) {
      lines = fs.existsSync(path.join(ROOT, file)) ? fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n') : [];
      sourceLines.set(file, lines);
    }
    const text = (lines[entry.originalLine] ?? '').trim().slice(0, 60);
    return `${file}:${entry.originalLine + 1}${text ? ` \`${text.replace(/`/g, "'")}\`` : ''}`;
  };
}
