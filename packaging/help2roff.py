#!/usr/bin/env python3
"""Writes a man page from a built program's own --help (and each sub-command's --help), so the
page cannot drift from the program: the build runs this on the binaries it just linked.

    help2roff.py PROGRAM SUMMARY OUT.1 [--subcommands]

With --subcommands, the names listed under "commands:" in PROGRAM --help each get a section with
PROGRAM NAME --help."""
import os
import re
import subprocess
import sys


def run(argv):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    if p.returncode != 0:
        sys.exit(f"help2roff: {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()}")
    # Qt prints argv[0] in its usage line: the page shows the installed name, not the build path.
    return p.stdout.replace(argv[0], os.path.basename(argv[0]))


def esc(line):
    line = line.replace("\\", "\\e").replace("-", "\\-")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def block(text):
    """The help text verbatim (no fill), so its column layout survives."""
    out = [".nf"]
    out += [esc(l) for l in text.rstrip("\n").split("\n")]
    out.append(".fi")
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    prog, summary, dest = sys.argv[1:4]
    subcommands = "--subcommands" in sys.argv[4:]
    name = os.path.basename(prog)
    version = run([prog, "--version"]).strip().split()[-1]
    helptext = run([prog, "--help"])
    page = [
        f'.TH {name.upper()} 1 "" "{name} {version}" "User Commands"',
        ".SH NAME",
        f"{esc(name)} \\- {esc(summary)}",
        ".SH DESCRIPTION",
    ]
    page += block(helptext)
    if subcommands:
        m = re.search(r"^commands:\n((?:  \S.*\n)+)", helptext, re.M)
        if not m:
            sys.exit(f"help2roff: no 'commands:' list in {name} --help")
        for cmd in [l.split()[0] for l in m.group(1).splitlines()]:
            page.append(f".SH {esc(cmd.upper())}")
            page += block(run([prog, cmd, "--help"]))
    page += [".SH VERSION", f"{esc(name)} {esc(version)}"]
    with open(dest, "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
