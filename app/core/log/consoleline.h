// One console line with its transport and printk prefixes taken apart. Runs on every line of a
// log, so it only looks at bytes and never allocates unless the line carries ANSI escapes.
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace kms {

struct ConsoleLine {
    QByteArrayView text; // the message, prefixes removed (may view into the scratch buffer)
    std::optional<double> timestamp; // seconds, from "[ 942.541300]" or a /dev/kmsg record
    int level = -1; // syslog level when printed ("<4>", /dev/kmsg)
    QByteArrayView caller; // "T123" / "C1" or empty
    // From a syslog/journal prefix ("Mar  3 10:00:00 host kernel: "): the host, and whether the
    // line came from the kernel at all (a program's own "WARNING:" is not a kernel report).
    QByteArrayView host;
    bool fromKernel = true;
    // What came before the kernel's prefix on the same physical line: a shell prompt printed
    // without a newline ("root@node:~# "), or another program's partial output. Empty if none.
    QByteArrayView leading;
};

// Views in the result point into raw or scratch; both must outlive it.
ConsoleLine parseConsoleLine(QByteArrayView raw, QByteArray &scratch);

} // namespace kms
