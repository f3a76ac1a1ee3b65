#!/usr/bin/env python3
"""Decoding a 30-frame module oops: kmodscope-cli vs the kernel's decode_stacktrace.sh vs one
`addr2line -j SECTION` process per frame, same inputs, same run. Prints timings, ratios and how
many module frames each tool resolves to the oracle's file:line.

    bench/decode_compare.py BUILD_DIR [--runs N]

Inputs: the kmsfixture .ko built by the test build (BUILD_DIR/fixtures/kmsfixture-x86_64) and the
oops printed for it by tests/fixtures/kmsfixture/make-oops.py (LF and CRLF variants). The oracle
is addr2line -j SECTION at the frame's offset (exact PCs) or offset-1 (return addresses), with
section and symbol value from readelf: independent of kmodscope's code.
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


def run(cmd, stdin=None, **kw):
    return subprocess.run(cmd, stdin=stdin, capture_output=True, text=True, check=False, **kw)


def timed(fn, runs):
    samples = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def symbols(ko):
    secs = run(["readelf", "-SW", ko]).stdout
    index = {int(m.group(1)): m.group(2) for m in re.finditer(r"^\s*\[\s*(\d+)\]\s+(\S+)", secs, re.M)}
    out = run(["readelf", "-sW", ko]).stdout
    result = {}
    for m in re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+FUNC\s+\w+\s+\w+\s+(\d+)\s+(\S+)\s*$", out, re.M):
        result[m.group(4)] = (int(m.group(1), 16), index[int(m.group(3))])
    return result


def module_frames(log_text):
    """(function, offset, exact) of each module frame, innermost first, as the log prints them."""
    frames = []
    for line in log_text.splitlines():
        m = re.search(r"RIP: 0010:(\w+)\+0x([0-9a-f]+)/0x[0-9a-f]+ \[kmsfixture\]", line)
        if m and not frames:
            frames.append((m.group(1), int(m.group(2), 16), True))
            continue
        m = re.search(r"\] \s*(\w+)\+0x([0-9a-f]+)/0x[0-9a-f]+ \[kmsfixture\]", line)
        if m and frames and "RIP" not in line:
            frames.append((m.group(1), int(m.group(2), 16), False))
    return frames


def oracle(ko, syms, frames):
    """file:line of each frame's innermost location, from addr2line -j SECTION."""
    result = []
    for func, off, exact in frames:
        value, section = syms[func]
        address = value + off - (0 if exact or off == 0 else 1)
        out = run(["addr2line", "-e", ko, "-j", section, "-i", hex(address)]).stdout.splitlines()
        result.append(normalise(out[0]) if out else "??")
    return result


def normalise(location):
    location = re.sub(r" \(discriminator \d+\)", "", location.strip())
    m = re.match(r"(.*):(\d+)$", location)
    return "%s:%s" % (os.path.basename(m.group(1)), m.group(2)) if m else location


def kmodscope_lines(cli, ko, log):
    out = run([cli, "decode", "--json", "--ko", ko, log]).stdout
    reports = json.loads(out)["reports"]
    lines = []
    for r in reports:
        for f in r["frames"]:
            if f["module"] == "kmsfixture":
                lines.append("%s:%s" % (os.path.basename(f["file"]), f["line"]) if f["file"] else "??")
    return lines


def decode_stacktrace_lines(script, ko, log):
    # decode_stacktrace.sh VMLINUX BASEPATH MODPATH: there is no debug vmlinux here, so core
    # frames stay unresolved for both tools; the module is found under MODPATH.
    with open(log) as f:
        out = run(["bash", script, "/dev/null", "/", os.path.dirname(ko)], stdin=f).stdout
    lines = []
    for line in out.splitlines():
        if "kmsfixture" not in line or ("RIP" not in line and not re.search(r"\]\s+\w+", line)):
            continue
        m = re.search(r"\(([^()]*?:\d+)(?: \(discriminator \d+\))?[^()]*\)\s*\[?kmsfixture", line)
        if re.search(r"(RIP: 0010:|\]\s+)kmsfix_\w+", line):
            lines.append(normalise(m.group(1).split(" ")[0]) if m else "??")
    return lines


def addr2line_per_frame(ko, syms, frames):
    # What a developer scripts by hand: one addr2line process per frame, with the section.
    for func, off, exact in frames:
        value, section = syms[func]
        address = value + off - (0 if exact or off == 0 else 1)
        run(["addr2line", "-e", ko, "-j", section, "-f", "-i", hex(address)])


def agreement(got, want):
    return sum(1 for g, w in zip(got, want) if g == w), len(want)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()

    cli = os.path.join(args.build, "app/cli/kmodscope-cli")
    ko = os.path.join(args.build, "fixtures/kmsfixture-x86_64/kmsfixture.ko")
    make_oops = os.path.join(ROOT, "tests/fixtures/kmsfixture/make-oops.py")
    scripts = run([os.path.join(ROOT, "scripts/kscripts")]).stdout.strip()
    decode_stacktrace = os.path.join(scripts, "decode_stacktrace.sh")
    for path in (cli, ko, decode_stacktrace):
        if not os.path.exists(path):
            sys.exit("decode_compare: missing %s (build the project first)" % path)

    tmp = tempfile.mkdtemp(prefix="kms-bench-")
    log = os.path.join(tmp, "oops.log")
    log_crlf = os.path.join(tmp, "oops-crlf.log")
    with open(log, "w") as f:
        f.write(run([sys.executable, make_oops, ko, "x86_64", "--frames", "30"]).stdout)
    with open(log_crlf, "w") as f:
        f.write(run([sys.executable, make_oops, ko, "x86_64", "--frames", "30", "--crlf"]).stdout)
    text = open(log).read()
    syms = symbols(ko)
    frames = module_frames(text)
    want = oracle(ko, syms, frames)
    total_frames = len(re.findall(r"(RIP: 0010:|^\[[ .0-9]+\]\s+\??\s*)\w[\w.]*\+0x", text, re.M))

    t_cli, got_cli = timed(lambda: kmodscope_lines(cli, ko, log), args.runs)
    t_start, _ = timed(lambda: run([cli, "--version"]), args.runs)
    t_dst, got_dst = timed(lambda: decode_stacktrace_lines(decode_stacktrace, ko, log), max(3, args.runs // 5))
    _, got_dst_crlf = timed(lambda: decode_stacktrace_lines(decode_stacktrace, ko, log_crlf), 1)
    _, got_cli_crlf = timed(lambda: kmodscope_lines(cli, ko, log_crlf), 1)
    t_a2l, _ = timed(lambda: addr2line_per_frame(ko, syms, frames), max(3, args.runs // 5))

    print("decode of a %d-frame oops (%d frames in kmsfixture.ko), median wall time" % (total_frames, len(frames)))
    print("  kmodscope-cli decode (cold process, .ko indexing included): %8.2f ms" % (t_cli * 1e3))
    print("    of which process start (exec, Qt and libraries, --version): %8.2f ms" % (t_start * 1e3))
    print("  decode_stacktrace.sh:                                        %8.2f ms  (%.0fx slower)"
          % (t_dst * 1e3, t_dst / t_cli))
    print("  addr2line -j, one process per module frame:                  %8.2f ms  (%.0fx slower)"
          % (t_a2l * 1e3, t_a2l / t_cli))
    print("  decode_stacktrace.sh vs kmodscope-cli work after process start: %.0fx"
          % (t_dst / max(t_cli - t_start, 1e-6)))
    print("frames matching the oracle (addr2line -j at pc / return-1):")
    for name, got in (("kmodscope-cli", got_cli), ("decode_stacktrace.sh", got_dst),
                      ("kmodscope-cli, CRLF log", got_cli_crlf), ("decode_stacktrace.sh, CRLF log", got_dst_crlf)):
        ok, n = agreement(got, want)
        print("  %-32s %2d / %2d%s" % (name, ok, n, "" if len(got) == n else "  (%d frames decoded)" % len(got)))
    misses = [(i, frames[i][0], g, w) for i, (g, w) in enumerate(zip(got_dst, want)) if g != w]
    for i, func, g, w in misses[:5]:
        print("    decode_stacktrace.sh frame %d %s: %s, oracle %s" % (i, func, g, w))


if __name__ == "__main__":
    main()
