#!/usr/bin/env python3
"""A/B of cycle scripts on a running virtual node (scripts/vnode), not run by ctest.

    bench/cycle_script_ab.py [--node-dir DIR] [--cycles N] SCRIPT[:mark] SCRIPT[:mark]...
    e.g. bench/cycle_script_ab.py <(git show main:app/core/cycle/cyclescript.sh) app/core/cycle/cyclescript.sh

Each SCRIPT (a cyclescript.sh) gets a kept `sh -s` over one ssh connection, fed as CycleShell
feeds it (the mode's lines, then one `kms_call` line per cycle, read up to "@kms done"), and the
variants' cycles alternate on the same node (prudaq fault=none, settle 0), so that the node's
drift on a loaded machine hits them alike. ":0" runs a variant without kernel-log markers. A
SCRIPT that defines kms_call itself (e.g. one running only modprobe and modprobe -r) is a floor.
It prints, per variant, the median of each step the script times, the host's round trip, the
round trip minus the cycle's own modprobe and modprobe -r ("rt-mod": what the cycle adds), and
the node's CPU per cycle of each process that used more than 0.2 ms (/proc/PID/schedstat).
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bench'))
import cycle_compare  # noqa: E402  (status, ssh_base)


def mode_lines(text, mode):
    """cycleScriptText(mode) of cyclescript.cpp: the mode's blocks, no comments, no indentation."""
    out, keep = [], True
    for raw in text.split('\n'):
        line = raw.strip()
        if line.startswith('# @mode '):
            keep = mode in line[8:].split(' ')
            continue
        if line == '# @end':
            keep = True
            continue
        if keep and line and not line.startswith('#'):
            out.append(line)
    return '\n'.join(out) + '\n'


def quote(word):
    return "'" + word.replace("'", "'\\''") + "'"


def cpu_snapshot(base):
    text = subprocess.run(base + ['for p in /proc/[0-9]*; do read c <$p/comm; read a b k <$p/schedstat; '
                                  'echo ${p#/proc/} $c $a; done'], capture_output=True, text=True).stdout
    return {(w[0], w[1]): int(w[2]) for w in (line.split() for line in text.splitlines()) if len(w) == 3}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--node-dir', default=os.environ.get('KMODSCOPE_VNODE_DIR', ''))
    ap.add_argument('--cycles', type=int, default=30)
    ap.add_argument('variants', nargs='+')
    args = ap.parse_args()
    st = cycle_compare.status(args)
    base = cycle_compare.ssh_base(st)
    release = subprocess.run(base + ['uname -r'], capture_output=True, text=True).stdout.strip()
    subprocess.run(base + ['modprobe -r prudaq 2>/dev/null; true'])
    shells = []
    for v in args.variants:
        path, _, mark = v.partition(':')
        with open(path) as f:
            text = f.read()
        p = subprocess.Popen(base + ['sh -s'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        p.stdin.write(mode_lines(text, 'cycle').encode())
        shells.append({'p': p, 'buf': b'', 'res': [], 'mark': mark or '1', 'token': secrets.token_hex(6),
                       'name': os.path.basename(path) + (':' + mark if mark else '')})
    before = None
    for i in range(1, args.cycles + 1):
        if i == 3:  # the first two cycles start the shells and helpers
            before = cpu_snapshot(base)
        for s in shells:
            nonce = 'ab-%d' % i
            words = ['cycle', 'module=prudaq', 'rundir=/tmp/kmodscope-cycle-' + s['token'], 'mark=' + s['mark'],
                     'n=%d' % i, 'token=' + s['token'], 'settle=0', 'leaks=0', 'unload_first=0',
                     'kofile=/lib/modules/%s/extra/prudaq.ko' % release, '--', 'fault=none']
            t0 = time.monotonic()
            s['p'].stdin.write(('kms_call ' + ' '.join(quote(w) for w in [nonce] + words) + '\n').encode())
            done = ('@kms done ' + nonce + '\n').encode()
            while done not in s['buf']:
                chunk = os.read(s['p'].stdout.fileno(), 65536)
                if not chunk:
                    sys.exit('%s: the shell ended' % s['name'])
                s['buf'] += chunk
            rt = (time.monotonic() - t0) * 1000
            at = s['buf'].index(done)
            out = s['buf'][:at].decode()
            s['buf'] = s['buf'][at + len(done):]
            steps = {}
            for line in out.splitlines():
                w = line.split()
                if len(w) >= 6 and w[1] == 'step':
                    steps[w[2]] = steps.get(w[2], 0) + (float(w[4]) - float(w[3])) * 1000
            if '@kms end ok' not in out:
                sys.exit('%s: cycle %d did not end ok:\n%s' % (s['name'], i, out[-1000:]))
            steps['rt'] = rt
            steps['rt-mod'] = rt - steps.get('load', 0) - steps.get('unload', 0)
            s['res'].append(steps)
    after = cpu_snapshot(base)
    for s in shells:
        s['p'].stdin.close()
        s['p'].wait()
    n = (args.cycles - 2) * len(shells)
    print('load average %.1f; %d cycles per variant, alternating' % (os.getloadavg()[0], args.cycles))
    for k, v in sorted(after.items()):
        used = v - before.get(k, 0)
        if k in before and used > 0.2e6 * n:
            print('node cpu %-28s %7.2f ms/cycle (all variants)' % ('%s %s' % k, used / 1e6 / n))
    keys = []
    for s in shells:
        for r in s['res']:
            keys += [k for k in r if k not in keys]
    print('%-14s' % '' + ''.join('%24s' % s['name'][-23:] for s in shells))
    for k in keys:
        print('%-14s' % k + ''.join('%24.2f' % statistics.median(r.get(k, 0) for r in s['res'][2:]) for s in shells))


if __name__ == '__main__':
    main()
