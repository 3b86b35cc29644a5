/**
 * Go function names as pprof shows them: `example.com/svc/store.(*LRU).Add` reads as
 * `store.(*LRU).Add`. The two expressions are pprof's own (internal/graph/graph.go,
 * ShortenFunctionName), so the names match what `go tool pprof` prints.
 */

// A major-version element of a package path ("/v2", "/v10") is dropped first…
const GO_MAJOR_VERSION = /^(.*?)\/v(?:[2-9]|[1-9][0-9]+)([./].*)$/;
// …then everything up to the last "/" before the package name.
const GO_PACKAGE_PATH = /^(?:[\w\-.]+\/)+([^.]+\..+)/;

/** The function name without its package path: `store.(*LRU).Add`; unchanged when there is none. */
export function shortFunctionName(name: string): string {
  const unversioned = name.replace(GO_MAJOR_VERSION, '$1$2');
  const match = GO_PACKAGE_PATH.exec(unversioned);
  return match ? match[1] : unversioned;
}

/**
 * The import path of the package a Go function belongs to: `example.com/svc/store` for
 * `example.com/svc/store.(*LRU).Add`, `runtime` for `runtime.mallocgc`, `main` for `main.main`,
 * `gopkg.in/yaml.v3` for `gopkg.in/yaml%2ev3.Unmarshal`;
 * undefined if the name does not look like a Go function.
 */
export function goPackageOf(name: string): string | undefined {
  // The package name ends at the first "." after the last "/" (a path element may hold dots);
  // slashes inside a receiver or type arguments ("(*T)", "[example.com/x.T]") do not count.
  const brackets = [name.indexOf('('), name.indexOf('[')].filter((i) => i >= 0);
  const end = brackets.length ? Math.min(...brackets) : name.length;
  const lastSlash = name.lastIndexOf('/', end);
  const dot = name.indexOf('.', lastSlash + 1);
  // The linker writes dots of the last path element as %2e (gopkg.in/yaml%2ev3.Unmarshal).
  return dot > 0 && dot < end ? name.slice(0, dot).replace(/%2e/gi, '.') : undefined;
}
