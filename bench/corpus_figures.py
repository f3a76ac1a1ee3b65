#!/usr/bin/env python3
"""The report engine's figures on the corpora the project has, computed from
`kmodscope-cli decode --json` against answers that do not come from the engine:

- reports found: every log that holds a report gives at least one (ABRT's 10_oopses.test: ten);
- clean logs: the logs the corpora's own notes call report-free give none;
- guilty function: where a README names the function the bug is in (the seeds, the node's
  captures), the first report's guilty function is that one;
- panicked: a report panicked exactly when its log prints "Kernel panic - not syncing"
  (grep, per log with one report);
- stack top vs satyr: satyr's EXPECTED.tsv first function against our first frame (satyr keeps
  the reporting helpers, so this measures extraction, not blame).

    bench/corpus_figures.py [--cli build/app/cli/kmodscope-cli] [--shared ../shared/corpus]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")

# From the corpora's READMEs (shared/corpus/README.md, tests/data/captures/README.md,
# tests/data/captures/explain/README.md): the function each capture's bug is in.
GUILTY = {
    "seed/arm32-hrtimer-uaf-unload-panic.log": "pru0_comm_receive_msg",
    "seed/x86_64-null-deref-in-exit.log": "hello_exit",
    "captures/x86_64-prudaq-unload_race.log": "prudaq_comm_receive_msg",
    "captures/x86_64-prudaq-unload_uaf.log": "prudaq_comm_receive_msg",
    "captures/x86_64-prudaq-null_exit.log": "prudaq_exit",
    "captures/armhf-prudaq-unload_race.log": "prudaq_comm_receive_msg",
    "explain/x86_64-prudaq-unload_race.log": "prudaq_comm_receive_msg",
    "explain/x86_64-prudaq-unload_uaf.log": "prudaq_comm_receive_msg",
    "explain/armhf-prudaq-unload_race.log": "prudaq_comm_receive_msg",
    "explain/armhf-prudaq-unload_uaf.log": "prudaq_comm_receive_msg",
}
# The corpora's notes: "No kernel report of any kind is expected" (seed), ABRT's list of
# report-free inputs.
CLEAN = {
    "seed/arm32-reload-cma-alloc-failure.log",
    "abrt/no_oops.test",
    "abrt/not_oops1.test",
    "abrt/not_oops2.test.template",
    "abrt/not_oops_foreign_hostname.test",
}
EXPECTED_COUNT = {"abrt/10_oopses.test": 10}
# Not kernel logs: ABRT's X server extractor inputs, the corpora's notes and answer files.
SKIP_SUFFIXES = (".md", ".tsv", ".right")


def logs(shared):
    out = []
    for sub in ("seed", "satyr", "abrt"):
        d = os.path.join(shared, sub)
        for name in sorted(os.listdir(d)):
            if name.endswith(SKIP_SUFFIXES) or name.startswith("xorg_"):
                continue
            out.append((f"{sub}/{name}", os.path.join(d, name)))
    for sub, d in (("captures", os.path.join(DATA, "captures")),
                   ("explain", os.path.join(DATA, "captures", "explain"))):
        for name in sorted(os.listdir(d)):
            if name.endswith(".log"):
                out.append((f"{sub}/{name}", os.path.join(d, name)))
    return out


def decode(cli, path):
    with open(path, "rb") as f:
        data = f.read()
    # ABRT's syslog tests name the host through placeholders (its test scripts substitute them).
    data = data.replace(b":FULL_HOSTNAME:", b"testhost.example.com").replace(b":HOSTNAME:", b"testhost")
    r = subprocess.run([cli, "decode", "--json", "-"], input=data, capture_output=True, check=False)
    if r.returncode not in (0, 1):
        sys.exit(f"{cli} failed on {path}: {r.stderr.decode(errors='replace')}")
    return json.loads(r.stdout)["reports"], data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "app", "cli", "kmodscope-cli"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    satyr = {}
    with open(os.path.join(args.shared, "satyr", "EXPECTED.tsv")) as f:
        for line in f.read().splitlines()[1:]:
            cols = line.split("\t")
            satyr[f"satyr/{cols[0]}"] = cols[1]

    found = [0, 0]
    clean = [0, 0]
    guilty = [0, 0]
    panicked = [0, 0]
    top = [0, 0]
    misses = []
    for key, path in logs(args.shared):
        reports, data = decode(args.cli, path)
        if key in CLEAN:
            clean[1] += 1
            clean[0] += not reports
            if reports:
                misses.append(f"false report in {key}: {reports[0]['title']}")
            continue
        want = EXPECTED_COUNT.get(key, 1)
        found[1] += 1
        ok = len(reports) >= want
        found[0] += ok
        if not ok:
            misses.append(f"{key}: {len(reports)} reports, {want} expected")
        if not reports:
            continue
        if key in GUILTY:
            guilty[1] += 1
            got = reports[0].get("guilty_function") or ""
            guilty[0] += got == GUILTY[key]
            if got != GUILTY[key]:
                misses.append(f"{key}: guilty {got!r}, README says {GUILTY[key]!r}")
        if len(reports) == 1:
            panicked[1] += 1
            want_panic = b"Kernel panic - not syncing" in data
            panicked[0] += bool(reports[0].get("panicked")) == want_panic
            if bool(reports[0].get("panicked")) != want_panic:
                misses.append(f"{key}: panicked {reports[0].get('panicked')}, log panics: {want_panic}")
        if key in satyr and satyr[key] != "-":
            frames = reports[0].get("frames") or []
            first = (frames[0].get("function") or "") if frames else ""
            top[1] += 1
            top[0] += first == satyr[key]
            if first != satyr[key] and args.verbose:
                misses.append(f"{key}: first frame {first!r}, satyr {satyr[key]!r}")

    def pct(p):
        return f"{p[0]}/{p[1]} = {100.0 * p[0] / p[1]:.1f}%" if p[1] else "n/a"

    print(f"reports found                  {pct(found)}")
    print(f"clean logs without a report    {pct(clean)}")
    print(f"guilty function = README's     {pct(guilty)}")
    print(f"panicked right (one-report logs) {pct(panicked)}")
    print(f"first frame = satyr's          {pct(top)}")
    for m in misses:
        print("  " + m)


if __name__ == "__main__":
    main()
