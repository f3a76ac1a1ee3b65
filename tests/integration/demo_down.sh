#!/usr/bin/env bash
# scripts/demo --down stops the virtual node of $KMODSCOPE_VNODE_DIR: the supervisor (here a
# stand-in process whose command line names the node directory, which is what scripts/vnode
# checks before it signals anything) is ended, the node reads as stopped, and a process that is
# not the node's is left alone. Usage: demo_down.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
node="$work/vnode"
stray=
cleanup() {
    [ -z "${sup:-}" ] || kill "$sup" 2>/dev/null || true
    [ -z "$stray" ] || kill "$stray" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
mkdir -p "$node/run" "$node/keys"
printf 'arch=x86_64\nssh_port=40000\n' >"$node/node.conf"
printf 'state=up\n' >"$node/run/state"
# The stand-in supervisor, and a stray process that only mentions the directory differently.
# One process each (exec -a names it), its output away from ctest's pipe.
bash -c 'exec -a "vnoded.py --dir $0 --on-panic exit" sleep 300' "$node" >/dev/null 2>&1 &
sup=$!
bash -c 'exec -a "other $0" sleep 300' "$node" >/dev/null 2>&1 &
stray=$!
for _ in $(seq 1 50); do tr '\0' ' ' <"/proc/$sup/cmdline" | grep -q '^vnoded.py --dir' && break; sleep 0.1; done
echo "$sup" >"$node/run/vnoded.pid"
export KMODSCOPE_VNODE_DIR="$node"
state=$("$src/scripts/vnode" status | sed -n 's/^state=//p')
[ "$state" = up ] || fail "before: state=$state"

out=$("$src/scripts/demo" --down 2>&1) || fail "scripts/demo --down failed: $out"
echo "$out"
for _ in $(seq 1 50); do kill -0 "$sup" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$sup" 2>/dev/null || fail "the supervisor still runs"
kill -0 "$stray" 2>/dev/null || fail "a process that is not the node's was signalled"
state=$("$src/scripts/vnode" status | sed -n 's/^state=//p')
[ "$state" = stopped ] || fail "after: state=$state"
[ ! -e "$node/run/vnoded.pid" ] || fail "the pid file is left"
# Twice is harmless.
"$src/scripts/demo" --down >/dev/null || fail "a second --down failed"
# Anything else is a usage error that starts nothing.
if "$src/scripts/demo" --bogus >/dev/null 2>&1; then fail "--bogus was accepted"; fi
echo "PASS"
