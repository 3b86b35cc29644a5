/**
 * From a file name in a heap profile to a file on this disk — or to a reason there is none. A
 * profile names files as the build machine saw them: absolute paths of another machine, or, for
 * a `-trimpath` build, module paths (`example.com/svc/store.go`, dependencies as
 * `example.com/dep@v1.2.3/x.go`, the standard library as `runtime/malloc.go`).
 *
 * `go tool pprof` itself (internal/report/source.go) only strips configured or guessed prefixes
 * (-trim_path; the base name of each -source_path directory; "/proc/self/cwd/") and then looks
 * the rest up under -source_path and each of its parents; it knows nothing of modules. Adopted
 * here: the exact path first; the "/proc/self/cwd/" prefix (Bazel builds); a relative path looked
 * up under roots. Added: go.mod/go.work to resolve module paths, GOMODCACHE for dependencies,
 * GOROOT for the standard library, and a suffix match that must be unique, cover the file's path
 * inside its module and reach the profile's line — a wrong file is worse than none.
 *
 * What a row may open is decided by where the file really is (symbolic links resolved), since the
 * profile's names are the target's word: only a real path inside a workspace folder is editable;
 * GOROOT, the module cache and everything else open read-only; nothing in /proc, /sys or /dev is
 * ever mapped; a name with a ".." segment is refused before it is looked up.
 *
 * The file system is injected ({@link PathFs}) so this is unit-tested; realFs.ts has the real one.
 */
import path = require('path');
import { goPackageOf } from './functionNames';

/**
 * Where a profile's file was found, by its real path. `external`: outside the workspace's folders,
 * the Go installation and the module cache (an absolute path, a go.mod replace, a link).
 */
export type ProfilePathKind = 'workspace' | 'goroot' | 'modcache' | 'external' | 'none';

/** Which rule found it. */
export type ProfilePathRule = 'exact' | 'relative' | 'module' | 'vendor' | 'goroot' | 'modcache' | 'suffix';

/** The answer of {@link mapProfilePath}. */
export interface ProfilePathMapping {
  kind: ProfilePathKind;
  /** The local file; set unless kind is 'none'. */
  fsPath?: string;
  /** True unless the file's real path is inside a workspace folder: opened read-only. */
  readOnly: boolean;
  /** The rule that found it. */
  rule?: ProfilePathRule;
  /**
   * For 'none': why, for the user, lower case without a final period ("no file in the workspace
   * ends with store.go"). Otherwise a caveat (the line is past the end of the file).
   */
  reason?: string;
}

/**
 * Whether a file has a given line: `unchecked` when telling would mean reading more of it than a
 * lookup may (a huge file whose size allows the line).
 */
export type LineCheck = 'present' | 'absent' | 'unchecked';

/** The file system as path mapping needs it. Implementations never throw and never block. */
export interface PathFs {
  /** Whether `file` is a regular file (following symlinks). */
  isFile(file: string): Promise<boolean>;
  /** The text of a regular file of at most `maxBytes`; undefined for anything else. */
  readText(file: string, maxBytes: number): Promise<string | undefined>;
  /** Whether the regular file has a line number `line` (1-based); `absent` for anything else. */
  checkLine(file: string, line: number): Promise<LineCheck>;
  /** The path with every symbolic link resolved (fs.realpath); undefined if that fails. */
  realPath(file: string): Promise<string | undefined>;
}

/** What the mapping knows about this machine and workspace. */
export interface PathContextInput {
  /** The workspace folders, absolute. */
  workspaceFolders: readonly string[];
  /** The workspace's files, absolute: at least its .go files, go.mod and go.work files. */
  workspaceFiles: readonly string[];
  /** This machine's GOROOT (`go env GOROOT`), if known. */
  goroot?: string;
  /** This machine's module cache (`go env GOMODCACHE`), if known. */
  gomodcache?: string;
}

/** A module and the local folder that holds it. */
export interface GoModuleDir {
  modulePath: string;
  dir: string;
  /** The go.mod, go.work or replace directive that said so. */
  source: string;
}

/** Everything {@link mapProfilePath} consults; build it once with {@link createPathContext}. */
export interface PathContext {
  readonly workspaceFolders: readonly string[];
  /** The same folders with symbolic links resolved, in the same order. */
  readonly realWorkspaceFolders: readonly string[];
  readonly goroot: string | undefined;
  readonly realGoroot: string | undefined;
  readonly gomodcache: string | undefined;
  readonly realGomodcache: string | undefined;
  /** Modules with a local folder, longest module path first. */
  readonly modules: readonly GoModuleDir[];
  /** The same by folder (a go.mod's module before a replace directive's name for that folder). */
  readonly modulesByDir: ReadonlyMap<string, GoModuleDir>;
  /** Workspace files by base name, for the suffix match. */
  readonly filesByBaseName: ReadonlyMap<string, readonly string[]>;
  /** go.mod / go.work files that could not be read or understood (for a log). */
  readonly problems: readonly string[];
  readonly fs: PathFs;
}

/** go.mod and go.work are small; anything larger is not one. */
export const MAX_GO_MOD_BYTES = 1024 * 1024;
/** At most this many go.mod/go.work files are read per context. */
export const MAX_MODULE_FILES = 1000;
// Longer names are not paths a Go build writes; they are refused before any work.
const MAX_PROFILE_PATH_LENGTH = 4096;

/** Builds the context: reads the workspace's go.mod and go.work files (bounded) and indexes its files. */
export async function createPathContext(input: PathContextInput, fs: PathFs): Promise<PathContext> {
  const problems: string[] = [];
  const modules: GoModuleDir[] = [];
  const filesByBaseName = new Map<string, string[]>();
  const moduleFiles: string[] = [];
  const workFiles: string[] = [];
  for (const file of input.workspaceFiles) {
    const base = path.basename(file);
    let list = filesByBaseName.get(base);
    if (!list) filesByBaseName.set(base, (list = []));
    list.push(file);
    if (base === 'go.mod') moduleFiles.push(file);
    else if (base === 'go.work') workFiles.push(file);
  }

  // go.work's `use` directives name module folders, possibly outside the workspace.
  const seen = new Set<string>();
  const goModQueue = [...moduleFiles];
  for (const work of workFiles.slice(0, MAX_MODULE_FILES)) {
    const text = await fs.readText(work, MAX_GO_MOD_BYTES);
    if (text === undefined) {
      problems.push(`${work}: not a readable file of at most 1 MiB`);
      continue;
    }
    const directives = parseGoModDirectives(text);
    for (const use of directives.use) goModQueue.push(path.join(path.resolve(path.dirname(work), use), 'go.mod'));
    addReplacements(modules, directives.replace, work);
  }
  for (const goMod of goModQueue) {
    if (seen.has(goMod)) continue;
    seen.add(goMod);
    if (seen.size > MAX_MODULE_FILES) {
      problems.push(`more than ${MAX_MODULE_FILES} go.mod files: the rest are ignored`);
      break;
    }
    const text = await fs.readText(goMod, MAX_GO_MOD_BYTES);
    if (text === undefined) {
      problems.push(`${goMod}: not a readable file of at most 1 MiB`);
      continue;
    }
    const directives = parseGoModDirectives(text);
    if (!directives.module) {
      problems.push(`${goMod}: no module directive`);
      continue;
    }
    modules.push({ modulePath: directives.module, dir: path.dirname(goMod), source: goMod });
    addReplacements(modules, directives.replace, goMod);
  }
  // Longest module path first: a nested module owns its folder, not the enclosing one.
  modules.sort((a, b) => b.modulePath.length - a.modulePath.length);
  const modulesByDir = new Map<string, GoModuleDir>();
  for (const module of modules) {
    const known = modulesByDir.get(module.dir);
    if (!known || (known.source.endsWith('(replace)') && !module.source.endsWith('(replace)'))) modulesByDir.set(module.dir, module);
  }
  const workspaceFolders = input.workspaceFolders.map((f) => path.resolve(f));
  const goroot = input.goroot ? path.resolve(input.goroot) : undefined;
  const gomodcache = input.gomodcache ? path.resolve(input.gomodcache) : undefined;
  // A folder that cannot be resolved (gone) is taken as named.
  const real = async (dir: string) => (await fs.realPath(dir)) ?? dir;
  return {
    workspaceFolders,
    realWorkspaceFolders: await Promise.all(workspaceFolders.map(real)),
    goroot,
    realGoroot: goroot && (await real(goroot)),
    gomodcache,
    realGomodcache: gomodcache && (await real(gomodcache)),
    modules,
    modulesByDir,
    filesByBaseName,
    problems,
    fs,
  };
}

// `replace example.com/x => ../x` (a local folder): -trimpath names that module's files by its path.
function addReplacements(modules: GoModuleDir[], replacements: readonly { from: string; to: string }[], source: string): void {
  for (const { from, to } of replacements) {
    if (isLocalReplacement(to)) modules.push({ modulePath: from, dir: path.resolve(path.dirname(source), to), source: `${source} (replace)` });
  }
}

function isLocalReplacement(target: string): boolean {
  return target.startsWith('./') || target.startsWith('../') || target === '.' || target === '..' || path.isAbsolute(target) || /^[A-Za-z]:[\\/]/.test(target);
}

/** The directives of a go.mod or go.work that path mapping uses. */
export interface GoModDirectives {
  module: string | undefined;
  use: string[];
  replace: { from: string; to: string }[];
}

/** Reads `module`, `use` and `replace` directives (single-line and block forms) of go.mod/go.work. */
export function parseGoModDirectives(text: string): GoModDirectives {
  const result: GoModDirectives = { module: undefined, use: [], replace: [] };
  let block: string | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/(^|\s)\/\/.*$/, '').trim();
    if (!line) continue;
    if (block) {
      if (line === ')') block = undefined;
      else directive(block, line, result);
      continue;
    }
    const open = /^(\w+)\s*\($/.exec(line);
    if (open) {
      block = open[1];
      continue;
    }
    const verb = /^(\w+)\s+(.*)$/.exec(line);
    if (verb) directive(verb[1], verb[2], result);
  }
  return result;
}

function directive(verb: string, args: string, into: GoModDirectives): void {
  const tokens = tokenize(args);
  if (verb === 'module' && tokens.length >= 1 && !into.module) into.module = tokens[0];
  else if (verb === 'use' && tokens.length >= 1) into.use.push(tokens[0]);
  else if (verb === 'replace') {
    const arrow = tokens.indexOf('=>');
    if (arrow >= 1 && arrow + 1 < tokens.length) into.replace.push({ from: tokens[0], to: tokens[arrow + 1] });
  }
}

// Words of a directive; "quoted" and `raw` strings are single words.
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const word = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g;
  for (let m = word.exec(text); m; m = word.exec(text)) tokens.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  return tokens;
}

/**
 * A module path or version as the module cache spells it on disk: each capital letter becomes
 * "!" and its lower case (golang.org/x/mod/module.EscapePath), so `github.com/BurntSushi/toml`
 * lives in `github.com/!burnt!sushi/toml@v1.2.0`.
 */
export function escapeModulePath(modulePath: string): string {
  return modulePath.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

/**
 * Finds the local file for `profilePath` (as a heap profile names it) at `line` (1-based; 0 when
 * unknown). Pass the frame's `functionName` too: its package path (`example.com/svc/store` of
 * `example.com/svc/store.(*LRU).Add`) says which package folder the file is in, which settles
 * paths from other machines (not for package main, whose functions do not name their path).
 *
 * Tried in order: the exact path; a module path from a -trimpath build (the workspace module
 * that declares it, longest first; a dependency in GOMODCACHE or a vendor folder; the standard
 * library in GOROOT/src); a path relative to a workspace folder (Bazel's /proc/self/cwd/…); for
 * another machine's absolute path, its module cache or GOROOT layout, then the function's
 * package; else the longest path suffix shared with exactly one workspace file that fits.
 */
export async function mapProfilePath(profilePath: string, line: number, context: PathContext, functionName?: string): Promise<ProfilePathMapping> {
  if (typeof profilePath !== 'string' || !profilePath || profilePath.length > MAX_PROFILE_PATH_LENGTH || profilePath.includes('\0')) {
    return none(profilePath ? 'the profile names no usable file for this frame' : 'the profile names no file for this frame');
  }
  const wantedLine = Number.isSafeInteger(line) && line > 0 ? line : 0;
  const { fs } = context;
  // Profiles from Windows builds use backslashes; everything below works on "/" segments.
  const slashed = profilePath.replace(/\\/g, '/');
  // The compiler cleans the paths it records; only a `//line` comment (or a forged profile) can
  // go up a folder. Refused before any lookup, so no rule can be led out of its folder.
  if (slashed.split('/').includes('..')) return none('the path has a ".." segment, which is never followed');
  const cwdRelative = /^\/proc\/self\/cwd\/(\.\/)?/.exec(slashed);
  const name = cwdRelative ? slashed.slice(cwdRelative[0].length) : slashed;
  const absolute = name.startsWith('/') || /^[A-Za-z]:\//.test(name);
  if (absolute && !cwdRelative) {
    const normalized = path.posix.normalize(name);
    const root = neverOpenedRoot(normalized);
    if (root) return none(`${normalized} is in ${root}, which is never opened`);
  }
  const packagePath = functionName ? goPackageOf(functionName) : undefined;
  const knownPackage = packagePath && packagePath !== 'main' ? packagePath : undefined;
  const notes: string[] = [];
  const answer = (hit: Hit) => found(hit, wantedLine, context);

  // 1. The path exists here as it is (built on this machine).
  if (absolute && !cwdRelative && path.isAbsolute(profilePath) && (await fs.isFile(profilePath))) {
    return answer({ file: path.resolve(profilePath), rule: 'exact' });
  }

  const segments = name.split('/').filter((s) => s && s !== '.');
  if (!segments.length) return none('the profile names no usable file for this frame');

  if (cwdRelative) {
    // 2. Relative to where the build ran (Bazel): look in each workspace folder, as pprof looks
    // a relative path up under its -source_path.
    for (const folder of context.workspaceFolders) {
      const candidate = path.join(folder, ...segments);
      if (await fs.isFile(candidate)) return answer({ file: candidate, rule: 'relative' });
    }
  } else if (!absolute) {
    // 3. A -trimpath name: a module path, a dependency's module@version path, or the standard library.
    const hit = await findModuleStylePath(segments, context, notes);
    if (hit) return answer(hit);
  } else {
    // 4. Another machine's module cache or GOROOT, recognised by their layout; then the folder
    // the function's package path names.
    const hit = (await findForeignInstallFile(segments, context)) ?? (knownPackage ? await findModuleStylePath([...knownPackage.split('/'), segments[segments.length - 1]], context, []) : undefined);
    if (hit) return answer(hit);
  }

  // 5. The longest path suffix shared with exactly one workspace file.
  return suffixMatch(segments, { moduleStyle: !absolute && !cwdRelative, knownPackage }, wantedLine, context, notes);
}

/** A local file that a rule found. */
interface Hit {
  file: string;
  rule: ProfilePathRule;
}

/** `example.com/svc/store.go`, `example.com/dep@v1.2.3/x.go` or `runtime/malloc.go` → a local file. */
async function findModuleStylePath(segments: string[], context: PathContext, notes: string[]): Promise<Hit | undefined> {
  const slashed = segments.join('/');
  // The workspace module that declares it (longest module path first).
  for (const module of context.modules) {
    if (!slashed.startsWith(`${module.modulePath}/`)) continue;
    const candidate = path.join(module.dir, ...slashed.slice(module.modulePath.length + 1).split('/'));
    if (await context.fs.isFile(candidate)) return { file: candidate, rule: 'module' };
    notes.push(`${module.modulePath} is the module in ${module.source}, which has no ${path.relative(module.dir, candidate)}`);
  }
  const versioned = segments.findIndex((s) => s.includes('@'));
  if (versioned >= 0) {
    // A dependency: example.com/dep@v1.2.3/x.go.
    const at = segments[versioned].indexOf('@');
    const modulePath = [...segments.slice(0, versioned), segments[versioned].slice(0, at)].join('/');
    return findDependency(modulePath, segments[versioned].slice(at + 1), segments.slice(versioned + 1), context, notes);
  }
  if (context.goroot && !segments[0].includes('.')) {
    // The standard library: its import paths have no dot in their first element.
    const candidate = path.join(context.goroot, 'src', ...segments);
    if (await context.fs.isFile(candidate)) return { file: candidate, rule: 'goroot' };
  }
  return undefined;
}

async function findDependency(modulePath: string, version: string, rest: string[], context: PathContext, notes: string[]): Promise<Hit | undefined> {
  if (!modulePath || !version || !rest.length) return undefined;
  if (context.gomodcache) {
    // Paths already escaped (from a cache on disk) are tried as they are, too.
    for (const dir of new Set([`${escapeModulePath(modulePath)}@${escapeModulePath(version)}`, `${modulePath}@${version}`])) {
      const candidate = path.join(context.gomodcache, ...dir.split('/'), ...rest);
      if (await context.fs.isFile(candidate)) return { file: candidate, rule: 'modcache' };
    }
    notes.push(`${modulePath}@${version} is not in the module cache (${context.gomodcache})`);
  } else {
    notes.push(`the module cache's location (GOMODCACHE) is not known`);
  }
  // `go mod vendor` copies dependencies into <module>/vendor/<module path>/.
  for (const module of context.modules) {
    const candidate = path.join(module.dir, 'vendor', ...modulePath.split('/'), ...rest);
    if (await context.fs.isFile(candidate)) return { file: candidate, rule: 'vendor' };
  }
  return undefined;
}

/**
 * An absolute path of another machine inside a module cache (…/pkg/mod/<module>@<version>/…,
 * escaped as on disk) or a GOROOT (…/src/<std package>/…, no dot in its first element).
 */
async function findForeignInstallFile(segments: string[], context: PathContext): Promise<Hit | undefined> {
  const versioned = segments.findIndex((s) => s.includes('@'));
  if (context.gomodcache && versioned > 0) {
    // The module path starts somewhere before its "@version" element: after "pkg/mod" if the
    // cache is at its default place, else try each start, longest module path first.
    const pkgMod = segments.findIndex((s, i) => s === 'pkg' && segments[i + 1] === 'mod' && i + 2 <= versioned);
    const starts = pkgMod >= 0 ? [pkgMod + 2] : Array.from({ length: versioned + 1 }, (_, i) => i);
    for (const start of starts) {
      const candidate = path.join(context.gomodcache, ...segments.slice(start));
      if (await context.fs.isFile(candidate)) return { file: candidate, rule: 'modcache' };
    }
  }
  if (context.goroot) {
    for (let i = 0; i < segments.length - 2; i++) {
      if (segments[i] !== 'src' || segments[i + 1].includes('.')) continue;
      const candidate = path.join(context.goroot, 'src', ...segments.slice(i + 1));
      if (await context.fs.isFile(candidate)) return { file: candidate, rule: 'goroot' };
    }
  }
  return undefined;
}

async function suffixMatch(
  segments: string[],
  profile: { moduleStyle: boolean; knownPackage: string | undefined },
  line: number,
  context: PathContext,
  notes: string[],
): Promise<ProfilePathMapping> {
  const baseName = segments[segments.length - 1];
  const prefix = notes.length ? `${notes.join('; ')}; ` : '';
  const candidates = context.filesByBaseName.get(baseName) ?? [];
  if (!candidates.length) return none(`${prefix}no file in the workspace ends with ${baseName}`);
  // A candidate is consistent only if the shared suffix covers its path inside its module:
  // the profile's cache/store.go is not store/store.go, whatever the base names say. Outside
  // any known module, the parent folder must match too.
  let best = 0;
  let bestFiles: string[] = [];
  const inconsistent: string[] = [];
  for (const file of candidates) {
    const local = splitLocal(file);
    let shared = 0;
    while (shared < segments.length && shared < local.length && segments[segments.length - 1 - shared] === local[local.length - 1 - shared]) shared++;
    const module = moduleOf(file, context);
    const inModule = module ? splitLocal(path.relative(module.dir, file)) : [];
    const required = module ? inModule.length : Math.min(2, segments.length, local.length);
    // A module path (-trimpath) that names no workspace module is not a file of one; a function
    // of package P is not in a file of another package.
    const localPackage = module ? [module.modulePath, ...inModule.slice(0, -1)].join('/') : undefined;
    if (shared < required || (module && profile.moduleStyle) || (localPackage && profile.knownPackage && localPackage !== profile.knownPackage)) {
      inconsistent.push(module ? `${inModule.join('/')} in module ${module.modulePath}` : file);
    } else if (shared > best) {
      best = shared;
      bestFiles = [file];
    } else if (shared === best) {
      bestFiles.push(file);
    }
  }
  if (!bestFiles.length) {
    const theirs = segments.slice(-2).join('/');
    if (inconsistent.length === 1) return none(`${prefix}the only workspace file named ${baseName} is ${inconsistent[0]}, not the profile's ${theirs}`);
    return none(`${prefix}${inconsistent.length} workspace files are named ${baseName}, none in the profile's package (${theirs})`);
  }
  if (bestFiles.length > 1) return none(`${prefix}${bestFiles.length} files in the workspace end with ${segments.slice(-best).join('/')}`);
  const file = bestFiles[0];
  // A workspace file can be a link to anywhere (VS Code's file search follows links).
  const local = await resolveLocalFile(file, context);
  if ('refused' in local) return none(`${prefix}${local.refused}`);
  const lineCheck = line > 0 ? await context.fs.checkLine(local.fsPath, line) : 'present';
  if (lineCheck === 'absent') return none(`${prefix}${file} ends before line ${line}: it is not the file the program was built from`);
  const mapping: ProfilePathMapping = { kind: local.kind, fsPath: local.fsPath, readOnly: local.kind !== 'workspace', rule: 'suffix' };
  // Unique and consistent by name, too large to count its lines: shown, with the doubt said.
  if (lineCheck === 'unchecked') mapping.reason = tooLargeToCheck(file, line);
  return mapping;
}

async function found(hit: Hit, line: number, context: PathContext): Promise<ProfilePathMapping> {
  const local = await resolveLocalFile(hit.file, context);
  if ('refused' in local) return none(local.refused);
  const mapping: ProfilePathMapping = { kind: local.kind, fsPath: local.fsPath, readOnly: local.kind !== 'workspace', rule: hit.rule };
  // The file is the right one by name; if it is now shorter, it changed since the build.
  const lineCheck = line > 0 ? await context.fs.checkLine(local.fsPath, line) : 'present';
  if (lineCheck === 'absent') mapping.reason = `line ${line} is past the end of ${path.basename(local.fsPath)}: the file changed since the program was built`;
  else if (lineCheck === 'unchecked') mapping.reason = tooLargeToCheck(local.fsPath, line);
  return mapping;
}

function tooLargeToCheck(file: string, line: number): string {
  return `${path.basename(file)} is too large to check that it has line ${line}`;
}

function none(reason: string): ProfilePathMapping {
  return { kind: 'none', readOnly: true, reason };
}

/** The kernel's views of processes, devices and itself: nothing in them is a source file to show. */
const NEVER_OPENED_ROOTS = ['/proc', '/sys', '/dev'];

/** Which of /proc, /sys and /dev holds `file` (absolute and normalised), if one does. */
export function neverOpenedRoot(file: string): string | undefined {
  return NEVER_OPENED_ROOTS.find((root) => file === root || file.startsWith(`${root}/`));
}

/** An existing local file as it may be opened. */
export interface LocalFile {
  readonly kind: Exclude<ProfilePathKind, 'none'>;
  /** Inside a workspace folder: its path through that folder (as VS Code names the folder's files); else its real path. */
  readonly fsPath: string;
}

/**
 * Where an existing local file really is: its real path decides (a link inside the workspace
 * that leads outside is outside). Refused, with the reason for the user, when the real path is in
 * /proc, /sys or /dev or cannot be resolved. The shell asks again before it opens a file: links
 * can change after the mapping.
 */
export async function resolveLocalFile(file: string, context: PathContext): Promise<LocalFile | { refused: string }> {
  const real = await context.fs.realPath(file);
  if (!real) return { refused: `${file} could not be resolved` };
  const root = neverOpenedRoot(real);
  if (root) return { refused: real === file ? `${file} is in ${root}, which is never opened` : `${file} leads to ${real}, in ${root}, which is never opened` };
  // GOROOT and the module cache also as named: Debian's GOROOT/src is a link into /usr/share.
  if (context.goroot && (isInside(file, context.goroot) || isInside(real, context.realGoroot!))) return { kind: 'goroot', fsPath: real };
  if (context.gomodcache && (isInside(file, context.gomodcache) || isInside(real, context.realGomodcache!))) return { kind: 'modcache', fsPath: real };
  for (let i = 0; i < context.workspaceFolders.length; i++) {
    if (isInside(real, context.realWorkspaceFolders[i])) return { kind: 'workspace', fsPath: path.join(context.workspaceFolders[i], path.relative(context.realWorkspaceFolders[i], real)) };
  }
  return { kind: 'external', fsPath: real };
}

/** The innermost known module whose folder holds `file`: a walk up its folders, not a scan. */
function moduleOf(file: string, context: PathContext): GoModuleDir | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const module = context.modulesByDir.get(dir);
    if (module) return module;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return !!relative && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function splitLocal(file: string): string[] {
  return file.split(/[\\/]/).filter(Boolean);
}
