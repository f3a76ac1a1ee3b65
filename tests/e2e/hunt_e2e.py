#!/usr/bin/env python3
"""Race-hunting tests on the virtual node (CTest label e2e; registered by tests/e2e/hunt.cmake).

    hunt_e2e.py --vnode scripts/vnode --node-dir DIR --cli kmodscope-cli --ko prudaq.ko TEST

TEST is one of
  race      prudaq fault=unload_race over fault_window_us=0,5000: the 5000 cell crashes more often
            and its interval excludes 0; every crash verdict is a panic the node's supervisor saw
  none      prudaq fault=none: no crash, and the upper bound of the rate printed
  compare   a build whose default is fault=unload_race (built here from the staged sources)
            against the normal build: a significant difference, checked with Fisher's test
            computed here
  figures   (not a test) cycles per minute during a hunt (reboots included), and cycles until
            the first crash in adaptive vs grid order, same node, same seed
Exit status 0 pass, 1 fail, 77 skipped (what is missing is printed).
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vnode_e2e import SKIP, Fail, Node, Skip, check, log, require_prudaq  # noqa: E402

Z = 1.959963984540054  # qnorm(0.975)


def wilson(k, n):
    """The score interval by its textbook formula (Wilson 1927)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z / d * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (0.0 if k == 0 else c - h), (1.0 if k == n else c + h)


def fisher(a, b, c, d):
    """Two-sided Fisher exact test by enumeration in exact integers."""
    r1, r2, c1 = a + b, c + d, a + c
    obs = math.comb(r1, a) * math.comb(r2, c)
    tot = sum(math.comb(r1, x) * math.comb(r2, c1 - x)
              for x in range(max(0, c1 - r2), min(r1, c1) + 1)
              if math.comb(r1, x) * math.comb(r2, c1 - x) <= obs)
    return tot / math.comb(r1 + r2, c1)


def ssh_config(st, work):
    cfg = os.path.join(work, 'ssh_config')
    with open(cfg, 'w') as f:
        f.write('Host vnode\n  HostName 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n'
                '  UserKnownHostsFile %s\n' % (st['ssh_port'], st['ssh_key'], st['known_hosts']))
    return cfg


def hunt(args, node, st, extra, timeout):
    if not os.path.isfile(args.cli):
        raise Skip('kmodscope-cli not built (%s)' % args.cli)
    work = tempfile.mkdtemp(prefix='kms-e2e-hunt-')
    out = os.path.join(work, 'hunt.json')
    cmd = [args.cli, 'hunt', '--ssh', 'vnode', '--ssh-config', ssh_config(st, work),
           '--known-hosts', st['known_hosts'], '--module', 'prudaq', '--serial', st['serial_pty'],
           '--return-timeout', '120', '--json', out] + extra
    log('$ ' + ' '.join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    log(p.stdout[-3000:])
    if p.returncode not in (0, 1):
        raise Fail('hunt exited %d:\n%s' % (p.returncode, p.stderr[-2000:]))
    with open(out) as f:
        result = json.load(f)
    shutil.rmtree(work, ignore_errors=True)
    return p, result


def check_cell_stats(cell):
    lo, hi = wilson(cell['crashes'], cell['cycles'])
    check(abs(cell['ci_low'] - lo) < 1e-9 and abs(cell['ci_high'] - hi) < 1e-9,
          'cell %s: interval [%s, %s], the formula gives [%s, %s]' % (
              cell['params'], cell['ci_low'], cell['ci_high'], lo, hi))
    check(cell['cycles'] == sum(cell['verdicts'].values()), 'verdicts do not add up: %s' % cell)
    check(cell['crashes'] == cell['verdicts'].get('crash', 0), 'crash count: %s' % cell)


def panics_since(node, p0):
    node.wait_up(timeout=120)
    return int(node.status()['panics']) - p0


def t_race(args, node):
    st = node.ensure_up()
    ko = require_prudaq(args, node)
    p0 = int(st['panics'])
    # A 10 ms coordinator period: the bare race (window 0) hits now and then, the 5 ms window
    # most of the time.
    p, r = hunt(args, node, st, ['--ko', ko, '--params', 'fault=unload_race coord_period_us=10000',
                                 '--vary', 'param:fault_window_us=0,5000', '--cycles', '30',
                                 '--crashes', '4', '--order', 'grid'], args.timeout)
    check(p.returncode == 1, 'crashes found, yet exit %d' % p.returncode)
    cells = {c['params']['fault_window_us']: c for c in r['cells']}
    check(set(cells) == {'0', '5000'}, 'cells: %s' % list(cells))
    for c in r['cells']:
        check_cell_stats(c)
    w0, w5 = cells['0'], cells['5000']
    log('MEASURE hunt window=0 %d/%d, window=5000 %d/%d' % (
        w0['crashes'], w0['cycles'], w5['crashes'], w5['cycles']))
    check(w5['rate'] > w0['rate'], 'the 5000 cell is not higher: %s vs %s' % (w5['rate'], w0['rate']))
    check(w5['ci_low'] > 0, 'the 5000 cell\'s interval does not exclude 0: %s' % w5['ci_low'])
    check(any('prudaq' in t for t in w5['titles']), 'titles: %s' % w5['titles'])
    # Every crash verdict was a panic the node's supervisor counted, and the other way round.
    crashes = sum(c['crashes'] for c in r['cells'])
    check(panics_since(node, p0) == crashes, 'the supervisor saw %d panics, the hunt %d crashes' % (
        panics_since(node, p0), crashes))
    check(r['best'] and r['best']['params']['fault_window_us'] == '5000', 'best: %s' % r['best'])
    check('fault_window_us=5000' in r['best']['node_command'], r['best']['node_command'])
    check(r['ended'] == 'done', 'ended %s: %s' % (r['ended'], r['end_detail']))
    log('MEASURE hunt_cycles_per_min=%.1f (%d cycles, %d panics, %.1f s)' % (
        60 * r['total_cycles'] / r['wall_s'], r['total_cycles'], crashes, r['wall_s']))


def t_none(args, node):
    st = node.ensure_up()
    ko = require_prudaq(args, node)
    p0 = int(st['panics'])
    n = args.cycles
    p, r = hunt(args, node, st, ['--ko', ko, '--params', 'fault=none', '--cycles', str(n)],
                args.timeout)
    check(p.returncode == 0, 'every cycle passed, yet exit %d' % p.returncode)
    (cell,) = r['cells']
    check_cell_stats(cell)
    check(cell['cycles'] == n and cell['crashes'] == 0, 'cell: %d/%d' % (cell['crashes'], cell['cycles']))
    bound = Z * Z / (n + Z * Z)
    check(abs(cell['ci_high'] - bound) < 1e-12, 'upper bound %s, z^2/(n+z^2) = %s' % (cell['ci_high'], bound))
    text = ('%.2g%%' % (100 * bound)) if bound < 0.1 else ('%.0f%%' % (100 * bound))
    check('rate below %s at 95%%' % text in p.stdout, 'no "rate below %s at 95%%" in the output' % text)
    check(r['best'] is None and panics_since(node, p0) == 0, 'a crash in a fault=none hunt')
    log('none: 0 crashes in %d cycles, rate below %s at 95%%' % (n, text))


def build_before(args, work):
    """prudaq with the seed's teardown order as its default (fault=unload_race), built from the
    staged sources like scripts/build-kmod builds the normal one."""
    src = os.path.join(work, 'before')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([os.path.join(root, 'scripts', 'build-kmod'), '--stage', 'x86_64', src], check=True,
                   capture_output=True)
    main = os.path.join(src, 'prudaq_main.c')
    with open(main) as f:
        text = f.read()
    check('static char *fault = "none";' in text, 'prudaq_main.c: the fault default moved')
    with open(main, 'w') as f:
        f.write(text.replace('static char *fault = "none";', 'static char *fault = "unload_race";'))
    vars_ = subprocess.run([os.path.join(root, 'scripts', 'kheaders'), '--vars', 'x86_64'],
                           capture_output=True, text=True, check=True).stdout.split()
    kdir = [v.split('=', 1)[1] for v in vars_ if v.startswith('KDIR=')][0]
    b = subprocess.run(['make', '-C', kdir, 'M=' + src, '-j2', 'modules'], capture_output=True, text=True)
    check(b.returncode == 0, 'building the before-build failed:\n%s' % b.stderr[-2000:])
    return os.path.join(src, 'prudaq.ko')


def t_compare(args, node):
    st = node.ensure_up()
    after = require_prudaq(args, node)
    work = tempfile.mkdtemp(prefix='kms-e2e-compare-')
    before = build_before(args, work)
    p0 = int(st['panics'])
    p, r = hunt(args, node, st, ['--compare', before, after, '--params', 'coord_period_us=10000',
                                 '--cycles', '30', '--crashes', '4', '--order', 'grid'], args.timeout)
    shutil.rmtree(work, ignore_errors=True)
    c = r['compare']
    check(c is not None, 'no compare in the JSON')
    a, b = c['a'], c['b']
    log('MEASURE compare before %d/%d, after %d/%d, p=%.3g' % (
        a['crashes'], a['cycles'], b['crashes'], b['cycles'], c['p_value']))
    check(b['crashes'] == 0 and b['cycles'] == 30, 'after: %s' % b)
    check(a['crashes'] >= 3, 'before: %s' % a)
    p_here = fisher(a['crashes'], a['cycles'] - a['crashes'], b['crashes'], b['cycles'] - b['crashes'])
    check(abs(c['p_value'] - p_here) < 1e-9, 'p %s, enumeration gives %s' % (c['p_value'], p_here))
    check(c['significant'] and p_here < 0.05, 'not significant: p = %s' % p_here)
    check(c['statement'].startswith('after: 0 crashes in 30 cycles, rate below'), c['statement'])
    check(c['statement'] in p.stdout, 'the statement is not printed')
    check(panics_since(node, p0) == a['crashes'], 'panics vs crashes of build A')
    log('compare: ' + c['statement'])


def t_figures(args, node):
    """Cycles until the first crash, adaptive vs grid order, same node, same seed: four
    fault=none cells come first in grid order, four unload_race cells after them."""
    st = node.ensure_up()
    ko = require_prudaq(args, node)
    figs = {}
    for order in ('grid', 'adaptive'):
        for seed in range(args.first_seed, args.first_seed + args.runs):
            p, r = hunt(args, node, node.ensure_up(),
                        ['--ko', ko, '--params', 'coord_period_us=10000 fault_window_us=0',
                         '--vary', 'param:fault=none,unload_race', '--vary', 'settle=0,1,2,3',
                         '--cycles', '20', '--crashes', '1', '--order', order, '--seed', str(seed)],
                        args.timeout)
            figs.setdefault(order, []).append(r['first_crash_total_cycle'])
            rate = 60 * r['total_cycles'] / r['wall_s']
            figs.setdefault('cycles_per_min', []).append(rate)
            log('MEASURE order=%s seed=%d first_crash_total_cycle=%s total=%d wall_s=%.1f '
                'cycles_per_min=%.1f' % (order, seed, r['first_crash_total_cycle'], r['total_cycles'],
                                         r['wall_s'], rate))
    log('FIGURES ' + json.dumps(figs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--vnode', required=True)
    ap.add_argument('--node-dir', required=True)
    ap.add_argument('--arch', default='x86_64')
    ap.add_argument('--cli', default='')
    ap.add_argument('--ko', default='')
    ap.add_argument('test', choices=('race', 'none', 'compare', 'figures'))
    ap.add_argument('--cycles', type=int, default=100, help='none: cycles')
    ap.add_argument('--runs', type=int, default=3, help='figures: seeds per order')
    ap.add_argument('--first-seed', type=int, default=1, help='figures: the first seed')
    ap.add_argument('--timeout', type=int, default=500)
    args = ap.parse_args()
    if args.ko and not os.path.isfile(args.ko):
        args.ko = ''
    node = Node(args)
    fn = {'race': t_race, 'none': t_none, 'compare': t_compare, 'figures': t_figures}[args.test]
    try:
        fn(args, node)
    except Skip as e:
        if os.environ.get('KMS_E2E_STRICT') == '1':
            log('FAIL (KMS_E2E_STRICT): %s' % e)
            return 1
        log('SKIP: %s' % e)
        return SKIP
    except Fail as e:
        log('FAIL: %s' % e)
        return 1
    except subprocess.TimeoutExpired as e:
        log('FAIL: timeout: %s\nconsole tail:\n%s' % (e, node.console_tail()))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
