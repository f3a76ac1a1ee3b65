#!/usr/bin/env python3
"""End-to-end tests of `kmodscope-cli cycle` on the virtual node (CTest label e2e; registered by
tests/e2e/e2e_cycle.cmake). The node is the shared one of vnode_e2e.py (fixture e2e_vnode_up), or
for `leak` a node of its own booted with slub_debug=U.

    cycle_e2e.py --vnode scripts/vnode --node-dir DIR --arch ARCH --cli kmodscope-cli [--ko prudaq.ko]
                 CASE [options]

CASE:
  pass        N cycles of fault=none (serial + ssh): N passes; every cycle recorded its sections and
              the build id of the .ko (oracle: readelf -n)
  race        fault=unload_race, stop on the first crash: a crash whose decoded report points at the
              faulting line (oracle: addr2line -j on the same .ko); the node comes back and a second
              run starts and passes
  race3       fault=unload_race without stop-on-crash: 3 crashes in a row, each decoded, totals right
  null_exit   fault=null_exit: a crash whose findings include the module stuck in 'going'; the run
              ends by itself (the node is rebooted afterwards for the next tests)
  noserial    fault=unload_race without --serial: crash "no report captured", the run ends
  leak        fault=leak on a node booted with slub_debug=U (its own node dir): leak verdicts naming
              the allocating function and line (oracle: addr2line -j -f -i)
  armrace     (armhf) fault=unload_race: pc and lr resolved through the recorded sections give the
              lines of the symbolic PC/LR frames
  telemetry   --telemetry: fault=none cycles pass with samples from prudaq's stream read during
              each settle and the reader closed before every unload (no unload busy); then
              fault=consumer_stall gives a telemetry_fill warning whose line shows a ring at or
              over the limit (oracle: the fill_n/cap_n of that line, parsed here)
Exit status 0 pass, 1 fail, 77 skipped. Lines starting with "MEASURE " carry figures.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vnode_e2e as ve  # noqa: E402  (the shared node helpers and the addr2line oracle)

from vnode_e2e import Fail, Skip, check, log  # noqa: E402


def ssh_config(node, work):
    st = node.status()
    cfg = os.path.join(work, 'ssh_config')
    with open(cfg, 'w') as f:
        f.write('Host vnode\n  HostName 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n'
                '  IdentitiesOnly yes\n  UserKnownHostsFile %s\n' % (
                    st['ssh_port'], st['ssh_key'], st['known_hosts']))
    return cfg


def run_cycle(args, node, extra, serial=True, timeout=600, name='run'):
    """Runs kmodscope-cli cycle; returns (exit status, run report, stdout+stderr)."""
    if not os.access(args.cli, os.X_OK):
        raise Skip('kmodscope-cli not built (%s)' % args.cli)
    st = node.status()
    work = tempfile.mkdtemp(prefix='kms-e2e-cycle-')
    out = os.path.join(work, 'run.json')
    cmd = [args.cli, 'cycle', '--ssh', 'vnode', '--ssh-config', ssh_config(node, work),
           '--module', 'prudaq', '--ko', ve.prudaq_ko(args, node), '--json', out]
    if serial:
        cmd += ['--serial', st['serial_pty']]
    cmd += extra
    log('$ ' + ' '.join(cmd))
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    text = p.stdout + p.stderr
    keep = os.path.join(args.node_dir, 'e2e-cycle-%s.txt' % name)
    with open(keep, 'w') as f:
        f.write(text)
    try:
        with open(out) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        raise Fail('no run report (%s), exit %d:\n%s' % (e, p.returncode, text[-3000:]))
    log('exit %d after %.1f s: %s' % (p.returncode, elapsed, report['end']))
    return p.returncode, report, text, elapsed


def build_id(ko):
    out = subprocess.run(['readelf', '-n', ko], capture_output=True, text=True, check=True).stdout
    m = re.search(r'Build ID:\s*([0-9a-f]+)', out)
    return m.group(1) if m else None


def verdicts(report):
    return [c['verdict'] for c in report['cycles']]


def check_totals(report):
    vs = verdicts(report)
    t = report['totals']
    check(t['cycles'] == len(vs), 'totals.cycles %d, %d cycles' % (t['cycles'], len(vs)))
    for v in ('pass', 'warning', 'leak', 'fail', 'stuck', 'crash'):
        check(t[v] == vs.count(v), 'totals.%s is %d, the cycles say %d' % (v, t[v], vs.count(v)))


def prudaq_exact_frame(report):
    """The exact-pc frame of a prudaq function in the report (the faulting line)."""
    for fr in report['frames']:
        if fr.get('module') == 'prudaq' and fr.get('exact_pc') and fr.get('function'):
            return fr
    return None


def check_crash_decoded(args, node, cyc):
    """The cycle's decoded report names the faulting line that addr2line gives for the .ko."""
    ko = ve.prudaq_ko(args, node)
    reps = [r for r in cyc['reports'] if prudaq_exact_frame(r)]
    check(reps, 'cycle %d has no decoded report with a prudaq exact-pc frame: %s' % (
        cyc['n'], json.dumps(cyc['findings'])[:1500]))
    fr = prudaq_exact_frame(reps[0])
    want = ve.oracle(ko, fr['function'], fr['offset'], True)
    check(fr.get('line') == want['line'] and os.path.basename(fr.get('file') or '') ==
          os.path.basename(want['file']),
          'cycle %d: decoded %s:%s, addr2line -j %s says %s:%s' % (
              cyc['n'], fr.get('file'), fr.get('line'), want['section'], want['file'], want['line']))
    log('cycle %d: %s -> %s:%s (oracle: %s)' % (cyc['n'], reps[0]['title'], fr['file'], fr['line'],
                                                 want['cmd']))
    return reps[0]


def wait_back(node, boots0):
    node.wait_up(timeout=120, boots=boots0 + 1)


# ---------------------------------------------------------------------------------------------
def c_pass(args, node):
    node.ensure_up()
    ve.require_prudaq(args, node)
    n = args.count
    rc, rep, text, elapsed = run_cycle(args, node, ['--params', 'fault=none', '--count', str(n)],
                                       name='pass')
    check(rc == 0, 'exit %d, expected 0:\n%s' % (rc, text[-3000:]))
    check(verdicts(rep) == ['pass'] * n, 'verdicts: %s' % verdicts(rep))
    check_totals(rep)
    check(rep['totals']['pass'] == n, 'totals: %s' % rep['totals'])
    want = build_id(ve.prudaq_ko(args, node))
    for c in rep['cycles']:
        check('.text' in c['load']['sections'], 'cycle %d recorded no .text' % c['n'])
        check(c['load']['build_id'] == want, 'cycle %d: build id %s, readelf -n says %s' % (
            c['n'], c['load']['build_id'], want))
        for step in ('load', 'verify', 'unload', 'verify_gone', 'round_trip'):
            check(step in c['steps'], 'cycle %d has no %s time' % (c['n'], step))
    rt = sorted(c['steps']['round_trip'] for c in rep['cycles'])
    guest = sorted(c['steps']['load'] + c['steps']['unload'] for c in rep['cycles'])
    log('MEASURE cycles=%d wall_s=%.1f cycles_per_min=%.0f round_trip_median_ms=%.1f '
        'guest_modprobe_median_ms=%.1f' % (n, elapsed, 60 * n / elapsed, rt[len(rt) // 2],
                                           guest[len(guest) // 2]))
    log('pass: ok')


def c_race(args, node):
    st = node.ensure_up()
    ve.require_prudaq(args, node)
    boots0 = int(st['boots'])
    rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=unload_race', '--count', '20'],
                                 name='race')
    check(rc == 1, 'exit %d, expected 1:\n%s' % (rc, text[-3000:]))
    check(rep['end']['reason'] == 'stopped_on_crash', 'end: %s' % rep['end'])
    vs = verdicts(rep)
    check(vs and vs[-1] == 'crash' and all(v == 'pass' for v in vs[:-1]),
          'verdicts: %s' % vs)
    check_totals(rep)
    crash = rep['cycles'][-1]
    check(any(f['kind'] == 'panic' for f in crash['findings']),
          'no panic finding: %s' % crash['findings'])
    check_crash_decoded(args, node, crash)
    # The runner waited for the node: it is back (one more boot) and a second run works.
    check(int(node.status()['boots']) > boots0, 'the node did not reboot')
    wait_back(node, boots0)
    rc, rep2, text, _ = run_cycle(args, node, ['--params', 'fault=none', '--count', '3'],
                                  name='race-second')
    check(rc == 0 and verdicts(rep2) == ['pass'] * 3, 'second run: exit %d %s\n%s' % (
        rc, verdicts(rep2), text[-2000:]))
    log('race: ok')


def c_race3(args, node):
    st = node.ensure_up()
    ve.require_prudaq(args, node)
    boots0 = int(st['boots'])
    # A 20 ms window with a 1 ms coordinator: every unload crashes.
    rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=unload_race fault_window_us=20000',
                                              '--count', '3', '--continue-on-crash'],
                                 name='race3', timeout=900)
    check(rc == 1, 'exit %d, expected 1:\n%s' % (rc, text[-3000:]))
    check(verdicts(rep) == ['crash'] * 3, 'verdicts: %s\n%s' % (verdicts(rep), text[-3000:]))
    check_totals(rep)
    check(rep['totals']['crash'] == 3, 'totals: %s' % rep['totals'])
    check(rep['end']['reason'] == 'completed', 'end: %s' % rep['end'])
    for c in rep['cycles']:
        check_crash_decoded(args, node, c)
    check(int(node.status()['boots']) >= boots0 + 3, 'fewer than 3 reboots')
    wait_back(node, boots0 + 2)
    log('race3: ok')


def c_null_exit(args, node):
    st = node.ensure_up()
    ve.require_prudaq(args, node)
    boots0 = int(st['boots'])
    try:
        rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=null_exit', '--count', '5',
                                                  '--continue-on-crash'], name='null_exit')
        check(rc == 1, 'exit %d, expected 1:\n%s' % (rc, text[-3000:]))
        check(verdicts(rep) == ['crash'], 'verdicts: %s\n%s' % (verdicts(rep), text[-3000:]))
        kinds = [f['kind'] for f in rep['cycles'][0]['findings']]
        check('stuck_going' in kinds, 'no stuck_going finding: %s' % kinds)
        check(rep['end']['reason'] == 'stuck', 'end: %s' % rep['end'])
        check_crash_decoded(args, node, rep['cycles'][0])
        check_totals(rep)
    finally:
        ve.restart(node, boots0)
    log('null_exit: ok')


def c_noserial(args, node):
    st = node.ensure_up()
    ve.require_prudaq(args, node)
    boots0 = int(st['boots'])
    rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=unload_race fault_window_us=20000',
                                              '--count', '5'], serial=False, name='noserial')
    check(rc == 1, 'exit %d, expected 1:\n%s' % (rc, text[-3000:]))
    check(verdicts(rep) == ['crash'], 'verdicts: %s\n%s' % (verdicts(rep), text[-3000:]))
    msgs = [f['message'] for f in rep['cycles'][0]['findings']]
    check(any('no report captured' in m for m in msgs), 'findings: %s' % msgs)
    check(rep['end']['reason'] == 'stopped_on_crash', 'end: %s' % rep['end'])
    wait_back(node, boots0)
    log('noserial: ok')


def c_leak(args, node):
    # A node of its own, booted with store-user for the kmalloc caches.
    if not os.access(args.cli, os.X_OK):
        raise Skip('kmodscope-cli not built (%s)' % args.cli)
    up = ['up', '--arch', args.arch, '--timeout', '90', '--kernel-args', 'slub_debug=U,kmalloc-*']
    if args.ko:
        up += ['--ko', args.ko]
    try:
        node.run(*up, timeout=600)
        st = node.status()
        check(st.get('kernel_args') == 'slub_debug=U,kmalloc-*', 'kernel_args: %s' % st.get('kernel_args'))
        ve.require_prudaq(args, node)
        rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=leak', '--count', '3'], name='leak')
        check(rc == 1, 'exit %d, expected 1:\n%s' % (rc, text[-3000:]))
        check(verdicts(rep) == ['leak'] * 3, 'verdicts: %s\n%s' % (verdicts(rep), text[-3000:]))
        check(rep['node']['leak_check'] is True, 'leak check off: %s' % rep['node'])
        ko = ve.prudaq_ko(args, node)
        for c in rep['cycles']:
            check(len(c['leaks']) == 1, 'cycle %d leaks: %s' % (c['n'], c['leaks']))
            leak = c['leaks'][0]
            # Oracle: addr2line on the call before the return address, in the section the
            # recorded sections put it in.
            addr = leak['offset'] - 1
            tool = 'addr2line'
            out = subprocess.run([tool, '-e', ko, '-j', leak['section'], '-f', '-i', hex(addr)],
                                 capture_output=True, text=True, check=True).stdout.split('\n')
            fn, loc = out[0], out[1]
            line = int(re.sub(r'\s.*', '', loc.rsplit(':', 1)[1]))
            check(leak['function'] == fn and leak['line'] == line and
                  os.path.basename(leak['file']) == os.path.basename(loc.rsplit(':', 1)[0]),
                  'cycle %d: leak at %s %s:%s, addr2line -j %s says %s %s' % (
                      c['n'], leak['function'], leak['file'], leak['line'], leak['section'], fn, loc))
            check(leak['function'] == 'prudaq_fault_leak', 'leak function %s' % leak['function'])
            check(0 < leak['size'] <= 32 and leak['cache'] == 'kmalloc-32', 'leak size %s in %s' % (
                leak['size'], leak['cache']))
        log('leak: %s %s:%d, %d bytes (oracle: addr2line -j %s)' % (
            leak['function'], leak['file'], leak['line'], leak['size'], leak['section']))
    finally:
        node.run('down', check_rc=False)
    log('leak: ok')


def c_armrace(args, node):
    st = node.ensure_up()
    ve.require_prudaq(args, node)
    boots0 = int(st['boots'])
    rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=unload_race fault_window_us=20000',
                                              '--count', '5', '--return-timeout', '300'],
                                 name='armrace', timeout=900)
    check(verdicts(rep) and verdicts(rep)[-1] == 'crash', 'verdicts: %s\n%s' % (
        verdicts(rep), text[-3000:]))
    cyc = rep['cycles'][-1]
    report = check_crash_decoded(args, node, cyc)
    idx = cyc['reports'].index(report)
    addrs = {a['register']: a for a in cyc['addresses'] if a['report'] == idx}
    check('pc' in addrs, 'pc not resolved through the sections: %s' % cyc['addresses'])
    pc = addrs['pc']
    fr = prudaq_exact_frame(report)
    check(pc['line'] == fr['line'] and pc['file'] == fr['file'],
          'pc %s -> %s:%s, the PC frame %s+0x%x -> %s:%s' % (
              pc['address'], pc['file'], pc['line'], fr['function'], fr['offset'], fr['file'], fr['line']))
    if 'lr' in addrs:
        lr = addrs['lr']
        lrs = [f for f in report['frames'] if f.get('module') == 'prudaq' and not f.get('exact_pc')
               and f.get('function') == lr['function']]
        check(lrs, 'no symbolic frame in %s for lr: %s' % (lr['function'], lr))
        check(any(f['line'] == lr['line'] for f in lrs),
              'lr -> %s:%s, the %s frames say %s' % (lr['file'], lr['line'], lr['function'],
                                                    [f['line'] for f in lrs]))
    wait_back(node, boots0)
    log('armrace: ok (pc %s)' % ('and lr' if 'lr' in addrs else 'only'))


def c_telemetry(args, node):
    node.ensure_up()
    ve.require_prudaq(args, node)
    n = args.count
    rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=none', '--count', str(n), '--settle',
                                              '500', '--telemetry'], name='telemetry')
    check(rc == 0, 'exit %d, expected 0:\n%s' % (rc, text[-3000:]))
    check(verdicts(rep) == ['pass'] * n, 'verdicts: %s' % verdicts(rep))
    samples = []
    for c in rep['cycles']:
        t = c['telemetry']
        check(t and t['opened'], 'cycle %d: no telemetry reader: %s' % (c['n'], t))
        check(t['samples'] > 0 and t['rejected'] == 0, 'cycle %d: telemetry %s' % (c['n'], t))
        check(t['window_ms'] >= 500, 'cycle %d: reader open %s ms only' % (c['n'], t['window_ms']))
        check(c['steps'].get('telemetry') is not None, 'cycle %d: no telemetry step' % c['n'])
        samples.append(t['samples'])
    # The reader is gone before the unload: nothing holds prudaq's debugfs file afterwards.
    p = node.ssh('ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c prudaq/telemetry', check_rc=False)
    check(p.stdout.strip() in ('', '0'), 'a process still holds the telemetry file: %s' % p.stdout)
    log('MEASURE telemetry_cycles=%d samples_per_cycle_min=%d max=%d' % (n, min(samples), max(samples)))

    rc, rep, text, _ = run_cycle(args, node, ['--params', 'fault=consumer_stall', '--count', '2',
                                              '--settle', '1500', '--telemetry',
                                              '/sys/kernel/debug/prudaq/telemetry', '--fill-limit', '90'],
                                 name='telemetry-stall')
    check(rc == 1, 'exit %d, expected 1 (warnings):\n%s' % (rc, text[-3000:]))
    for c in rep['cycles']:
        kinds = [f['kind'] for f in c['findings']]
        check(c['verdict'] == 'warning', 'cycle %d: %s %s' % (c['n'], c['verdict'], kinds))
        check('unload_busy' not in kinds and 'stuck_going' not in kinds, 'cycle %d: %s' % (c['n'], kinds))
        fills = [f for f in c['findings'] if f['kind'] == 'telemetry_fill']
        check(fills, 'cycle %d: no telemetry_fill finding: %s' % (c['n'], kinds))
        for f in fills:
            kv = ve.parse_kv(f['lines'][0])
            ring = f['message'].split('telemetry: ', 1)[1].split(' fill', 1)[0]
            pct = 100.0 * float(kv[ring + '_fill_n']) / float(kv[ring + '_cap_n'])
            check(pct >= 90, 'cycle %d: %s, but its line says %.1f %%' % (c['n'], f['message'], pct))
            log('cycle %d: %s (its line: %s_fill_n=%s of %s)' % (
                c['n'], f['message'], ring, kv[ring + '_fill_n'], kv[ring + '_cap_n']))
        check(c['telemetry']['max_fill_pct'] >= 90, 'cycle %d: %s' % (c['n'], c['telemetry']))
    log('telemetry: ok')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--vnode', required=True)
    ap.add_argument('--node-dir', required=True)
    ap.add_argument('--arch', default='x86_64')
    ap.add_argument('--cli', default='')
    ap.add_argument('--ko', default='')
    ap.add_argument('case', choices=('pass', 'race', 'race3', 'null_exit', 'noserial', 'leak',
                                     'armrace', 'telemetry'))
    ap.add_argument('--count', type=int, default=100)
    args = ap.parse_args()
    if args.ko and not os.path.isfile(args.ko):
        args.ko = ''
    node = ve.Node(args)
    fn = {'pass': c_pass, 'race': c_race, 'race3': c_race3, 'null_exit': c_null_exit,
          'noserial': c_noserial, 'leak': c_leak, 'armrace': c_armrace,
          'telemetry': c_telemetry}[args.case]
    try:
        fn(args, node)
    except Skip as e:
        if os.environ.get('KMS_E2E_STRICT') == '1':
            log('FAIL (KMS_E2E_STRICT): %s' % e)
            return 1
        log('SKIP: %s' % e)
        return ve.SKIP
    except Fail as e:
        log('FAIL: %s' % e)
        return 1
    except subprocess.TimeoutExpired as e:
        log('FAIL: timeout: %s\nconsole tail:\n%s' % (e, node.console_tail()))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
