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
