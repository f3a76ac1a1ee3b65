#!/usr/bin/env python3
"""Reload-cycle benchmarks on a running virtual node (scripts/vnode), not run by ctest.

    bench/cycle_compare.py --cli build/app/cli/kmodscope-cli [--node-dir DIR] [--ko prudaq.ko]
                           speed [--cycles N]     cycles/min: kmodscope vs ssh loops, same node
                           panic [--crashes N]    crash detection latency over N unload_race panics
                           soak [--cycles N]      N clean cycles: failures and the CLI's RSS growth
                                                  (the GUI's: build/bench/bench_cycles_soak)

speed, in one run on the same node, each N cycles of prudaq (fault=none):
  guest      modprobe + modprobe -r in a loop inside one ssh session: the guest's own time
  kmodscope  kmodscope-cli cycle --count N (serial + ssh consoles, every check of a cycle)
  ssh        `ssh node 'modprobe -r prudaq'; ssh node 'modprobe prudaq'`: a new connection each
  ssh-mux    the same over one OpenSSH ControlMaster connection
It prints cycles/min and the per-cycle overhead over the guest's own time. On a loaded machine
the node's speed drifts between reps and within one (seconds apart it can differ by 2x): the guest
loop runs just before and just after kmodscope in each rep (their mean is the rep's baseline), the
ratios are also taken within each rep and their median printed, and the overhead is also taken
inside each cycle (its wall time minus its own modprobe and modprobe -r, timed by the script on
the node: immune to drift). Lines starting with "FIGURE " carry the numbers.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def vnode(args, *cmd, **kw):
    env = dict(os.environ, KMODSCOPE_VNODE_DIR=args.node_dir)
    return subprocess.run([os.path.join(ROOT, 'scripts', 'vnode')] + list(cmd), env=env,
                          capture_output=True, text=True, **kw)


def status(args):
    out = vnode(args, 'status').stdout
    return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)


def ssh_base(st):
    return ['ssh', '-F', '/dev/null', '-i', st['ssh_key'], '-o', 'IdentitiesOnly=yes',
            '-o', 'UserKnownHostsFile=' + st['known_hosts'], '-o', 'GlobalKnownHostsFile=/dev/null',
            '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
            '-p', st['ssh_port'], 'root@127.0.0.1']


def cli_run(args, st, extra, work, serial=True, cli=None):
    cfg = os.path.join(work, 'ssh_config')
    with open(cfg, 'w') as f:
        f.write('Host vnode\n  HostName 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n'
                '  IdentitiesOnly yes\n  UserKnownHostsFile %s\n' % (
                    st['ssh_port'], st['ssh_key'], st['known_hosts']))
    out = os.path.join(work, 'run.json')
    cmd = ['/usr/bin/time', '-f', 'MAXRSS_KB %M', cli or args.cli, 'cycle', '--ssh', 'vnode',
           '--ssh-config', cfg, '--module', 'prudaq', '--json', out] + extra
    if serial:
        cmd += ['--serial', st['serial_pty']]
    if args.ko:
        cmd += ['--ko', args.ko]
    t0 = time.monotonic()
    # Written as it comes: a long run (crashes, slow reboots) can be followed and cut short.
    print('(output in %s)' % os.path.join(work, 'output.txt'), flush=True)
    with open(os.path.join(work, 'output.txt'), 'w') as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    wall = time.monotonic() - t0
    with open(os.path.join(work, 'output.txt')) as f:
        text = f.read()
    with open(out) as f:
        return json.load(f), wall, text, rc


def speed(args):
    st = status(args)
    n = args.cycles
    base = ssh_base(st)
    subprocess.run(base + ['modprobe -r prudaq 2>/dev/null; true'], check=True)
    figs = {}
    work = tempfile.mkdtemp(prefix='kms-bench-cycle-')
    def guest_loop():
        # The guest's own time: one session, a loop in the guest.
        p = subprocess.run(base + ['sh -s'], input='''read u0 r < /proc/uptime
i=0; while [ $i -lt %d ]; do i=$((i+1)); modprobe prudaq; modprobe -r prudaq; done
read u1 r < /proc/uptime; echo "GUEST $u0 $u1"''' % n, capture_output=True, text=True, check=True)
        u0, u1 = re.search(r'GUEST ([\d.]+) ([\d.]+)', p.stdout).groups()
        return 1000 * (float(u1) - float(u0)) / n

    for rep in range(args.reps):
        figs.setdefault('load_average', []).append(os.getloadavg()[0])
        before = guest_loop()
        report, wall, text, rc = cli_run(args, st, ['--params', 'fault=none', '--count', str(n)], work)
        if args.baseline_cli:
            # An earlier build in the same rep, between the same two guest loops.
            old, _, otext, orc = cli_run(args, st, ['--params', 'fault=none', '--count', str(n)], work,
                                         cli=args.baseline_cli)
            if orc != 0:
                sys.exit('baseline kmodscope-cli cycle failed (%d):\n%s' % (orc, otext[-2000:]))
            figs.setdefault('baseline_cycle_ms', []).append(statistics.median(c['wall_ms'] for c in old['cycles']))
            figs.setdefault('baseline_in_cycle_overhead_ms', []).append(statistics.median(
                c['wall_ms'] - c['steps']['load'] - c['steps']['unload'] for c in old['cycles'][1:]))
        after = guest_loop()
        figs.setdefault('guest_ms', []).append((before + after) / 2)
        if rc != 0:
            sys.exit('kmodscope-cli cycle failed (%d):\n%s' % (rc, text[-2000:]))
        figs.setdefault('kmodscope_ms', []).append(1000 * wall / n)
        # Steady state: one cycle's wall time, start to verdict (no connect, probe or final step).
        figs.setdefault('kmodscope_cycle_ms', []).append(
            statistics.median(c['wall_ms'] for c in report['cycles']))
        steps = [c['steps'] for c in report['cycles']]
        # Inside each cycle: what is not the module's own load and unload (the first cycle
        # opens the kept shell: left out).
        figs.setdefault('kmodscope_in_cycle_overhead_ms', []).append(statistics.median(
            c['wall_ms'] - c['steps']['load'] - c['steps']['unload'] for c in report['cycles'][1:]))
        figs.setdefault('kmodscope_round_trip_ms', []).append(
            statistics.median(s['round_trip'] for s in steps))
        figs.setdefault('kmodscope_guest_modprobe_ms', []).append(
            statistics.median(s['load'] + s['unload'] for s in steps))
        figs.setdefault('kmodscope_script_ms', []).append(statistics.median(s['total'] for s in steps))
        # Where a cycle's time goes: each step's median, and what is outside the script.
        for name in sorted({k for s in steps for k in s}):
            figs.setdefault('step_' + name + '_ms', []).append(statistics.median(s.get(name, 0) for s in steps))

        t0 = time.monotonic()
        for _ in range(n):
            subprocess.run(base + ['modprobe -r prudaq'], check=False)
            subprocess.run(base + ['modprobe prudaq'], check=True)
        figs.setdefault('ssh_ms', []).append(1000 * (time.monotonic() - t0) / n)
        subprocess.run(base + ['modprobe -r prudaq'], check=False)

        ctl = os.path.join(work, 'ctl-%d' % rep)
        mux = base[:-1] + ['-o', 'ControlMaster=auto', '-o', 'ControlPath=' + ctl,
                           '-o', 'ControlPersist=60', base[-1]]
        subprocess.run(mux + ['true'], check=True)  # the master: not counted
        t0 = time.monotonic()
        for _ in range(n):
            subprocess.run(mux + ['modprobe -r prudaq'], check=False)
            subprocess.run(mux + ['modprobe prudaq'], check=True)
        figs.setdefault('ssh_mux_ms', []).append(1000 * (time.monotonic() - t0) / n)
        subprocess.run(mux + ['modprobe -r prudaq'], check=False)
        subprocess.run(base[:-1] + ['-o', 'ControlPath=' + ctl, '-O', 'exit', base[-1]],
                       capture_output=True)
        r = len(figs['guest_ms']) - 1
        figs.setdefault('rep_ssh_over_kmodscope', []).append(figs['ssh_ms'][r] / figs['kmodscope_cycle_ms'][r])
        figs.setdefault('rep_mux_over_kmodscope', []).append(figs['ssh_mux_ms'][r] / figs['kmodscope_cycle_ms'][r])
        figs.setdefault('rep_overhead_ms', []).append(figs['kmodscope_cycle_ms'][r] - figs['guest_ms'][r])
        print('rep %d (load average %.1f): guest %.0f (%.0f before, %.0f after), kmodscope %.0f (script %.0f, '
              'modprobe in it %.0f, in-cycle overhead %.1f), ssh %.0f, ssh-mux %.0f ms/cycle'
              % (r + 1, figs['load_average'][r], figs['guest_ms'][r], before, after, figs['kmodscope_cycle_ms'][r],
                 figs['kmodscope_script_ms'][r], figs['kmodscope_guest_modprobe_ms'][r],
                 figs['kmodscope_in_cycle_overhead_ms'][r], figs['ssh_ms'][r], figs['ssh_mux_ms'][r]), flush=True)
    med = {k: statistics.median(v) for k, v in figs.items()}
    print('FIGURE speed ' + json.dumps({'cycles': n, 'reps': args.reps, 'median': med, 'all': figs}))
    for k in ('guest_ms', 'kmodscope_cycle_ms', 'kmodscope_ms', 'ssh_mux_ms', 'ssh_ms'):
            print('%-18s %8.1f ms/cycle  %6.0f cycles/min' % (k[:-3], med[k], 60000 / med[k]))
    print('kmodscope overhead over the guest loop: %.1f ms/cycle steady (%.1f with connect and probe; '
          'goal <= 15); inside the cycles (wall minus their own modprobes) %.1f ms; the cycle script '
          'itself %.1f ms, round trip %.1f ms; load average %.1f-%.1f' % (
              med['kmodscope_cycle_ms'] - med['guest_ms'], med['kmodscope_ms'] - med['guest_ms'],
              med['kmodscope_in_cycle_overhead_ms'], med['kmodscope_script_ms'], med['kmodscope_round_trip_ms'],
              min(figs['load_average']), max(figs['load_average'])))
    print('kmodscope vs plain ssh loop: %.1fx steady, %.1fx whole run (goal >= 5x); vs ControlMaster '
          'loop: %.1fx steady' % (med['ssh_ms'] / med['kmodscope_cycle_ms'], med['ssh_ms'] / med['kmodscope_ms'],
                                  med['ssh_mux_ms'] / med['kmodscope_cycle_ms']))
    print('kmodscope cycle, median per step: ' + ', '.join(
        '%s %.1f' % (k[5:-3], v) for k, v in sorted(med.items()) if k.startswith('step_')) + ' ms')
    if args.baseline_cli:
        print('baseline build (%s): steady %.1f ms/cycle, overhead over the guest loop %.1f, in-cycle %.1f' % (
            args.baseline_cli, med['baseline_cycle_ms'], med['baseline_cycle_ms'] - med['guest_ms'],
            med['baseline_in_cycle_overhead_ms']))
    print('within each rep (median of %d): %.1fx plain ssh, %.1fx ControlMaster, overhead %.0f ms/cycle' % (
        args.reps, med['rep_ssh_over_kmodscope'], med['rep_mux_over_kmodscope'], med['rep_overhead_ms']))


def panic(args):
    st = status(args)
    work = tempfile.mkdtemp(prefix='kms-bench-panic-')
    report, wall, text, rc = cli_run(args, st, [
        '--params', 'fault=unload_race fault_window_us=20000', '--count', str(args.crashes),
        '--continue-on-crash', '--return-timeout', str(args.return_timeout)], work)
    first = [float(x) for x in re.findall(r'crashed \(([\d.]+) ms after its line arrived\)', text)]
    panics = [float(x) for x in re.findall(r'kernel panic in cycle \d+ \(([\d.]+) ms after', text)]
    crashes = sum(1 for c in report['cycles'] if c['verdict'] == 'crash')
    fig = {'crashes': crashes, 'wall_s': wall,
           'first_report_line_to_crash_verdict_ms': first,
           'panic_line_to_node_down_ms': panics}
    print('FIGURE panic ' + json.dumps(fig))
    for name, v in (('first report line -> crash verdict', first),
                    ('"Kernel panic" line -> cycle ended, waiting for the node', panics)):
        if v:
            print('%s: median %.2f ms, max %.2f ms over %d' % (name, statistics.median(v), max(v), len(v)))


def soak(args):
    """N clean cycles; the CLI's RSS sampled as it runs (after cycle 50 against the end)."""
    st = status(args)
    work = tempfile.mkdtemp(prefix='kms-bench-soak-')
    cfg = os.path.join(work, 'ssh_config')
    with open(cfg, 'w') as f:
        f.write('Host vnode\n  HostName 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n'
                '  IdentitiesOnly yes\n  UserKnownHostsFile %s\n' % (
                    st['ssh_port'], st['ssh_key'], st['known_hosts']))
    out = os.path.join(work, 'run.json')
    cmd = [args.cli, 'cycle', '--ssh', 'vnode', '--ssh-config', cfg, '--module', 'prudaq',
           '--params', 'fault=none', '--count', str(args.cycles), '--serial', st['serial_pty'],
           '--json', out] + (['--ko', args.ko] if args.ko else [])
    log = open(os.path.join(work, 'output.txt'), 'w')
    load_before = os.getloadavg()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    samples = []  # (cycle, rss_kb)
    done = 0
    t0 = time.monotonic()
    for line in p.stdout:
        log.write(line)
        m = re.match(r'cycle (\d+):', line)
        if m:
            done = int(m.group(1))
            if done % 25 == 0:
                with open('/proc/%d/status' % p.pid) as f:
                    rss = int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))
                samples.append((done, rss))
    p.wait()
    wall = time.monotonic() - t0
    with open(out) as f:
        report = json.load(f)
    t = report['totals']
    base = next((r for c, r in samples if c >= 50), samples[0][1] if samples else 0)
    last = samples[-1][1] if samples else 0
    print('FIGURE soak ' + json.dumps({'totals': t, 'wall_s': wall, 'rss_kb': samples,
                                       'rss_growth_kb_after_cycle_50': last - base,
                                       'load_before': load_before, 'load_after': os.getloadavg()}))
    print('%d cycles in %.0f s: %s; RSS %d kB at cycle 50, %d kB at the end (growth %d kB); '
          'output in %s' % (t['cycles'], wall, t, base, last, last - base, work))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--cli', required=True)
    ap.add_argument('--node-dir', default=os.environ.get('KMODSCOPE_VNODE_DIR', ''))
    ap.add_argument('--ko', default='')
    ap.add_argument('--baseline-cli', default='',
                    help='speed: also run this (earlier) kmodscope-cli in each rep, for a before/after in one run')
    ap.add_argument('what', choices=('speed', 'panic', 'soak'))
    ap.add_argument('--cycles', type=int, default=50)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--crashes', type=int, default=20)
    ap.add_argument('--return-timeout', type=int, default=600,
                    help='panic: seconds to wait for the node after each crash (a loaded machine boots slowly)')
    args = ap.parse_args()
    {'speed': speed, 'panic': panic, 'soak': soak}[args.what](args)


if __name__ == '__main__':
    main()
