// Which console lines start, continue and end a kernel report. Only byte comparisons: this runs
// on every line of the input, so the first byte decides whether anything more is looked at.
#pragma once

#include "report/kernelreport.h"

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace kms {

struct ReportStart {
    ReportKind kind = ReportKind::Other;
    QByteArray what; // the head of the title: "NULL pointer dereference", "WARNING", ...
    // Lines such as "Oops: 0002 [#1]" or "Internal error: Oops" follow the line that opened the
    // report; they start a report only when none is open.
    bool secondary = false;
    // die() and __warn() close their reports with "---[ end trace ... ]---"; hung tasks, RCU
    // stalls, lockdep and old WARN_ON()s do not, and end when ordinary lines resume.
    bool expectsEndMarker = false;
    // "kernel tried to execute NX-protected page" comes before the BUG line of the same fault.
    bool prelude = false;
};

// text: a console line with its prefixes removed.
std::optional<ReportStart> matchReportStart(QByteArrayView text);

bool isEndTraceMarker(QByteArrayView trimmedText); // "---[ end trace 9358d1fc4259ae2f ]---"
bool isPanicLine(QByteArrayView trimmedText); // "Kernel panic - not syncing: ..."
// Lines that open a report when they come right before its first line.
bool isReportPreamble(QByteArrayView trimmedText); // "------------[ cut here ]------------", "=====..."

} // namespace kms
