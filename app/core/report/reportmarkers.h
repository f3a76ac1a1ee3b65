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
    // A WARN()/CHECK_DATA_CORRUPTION() message such as "refcount_t: underflow; use-after-free."
    // or "list_del corruption. ...": since 4.15 it comes before the "WARNING: CPU:" (or
    // "kernel BUG at") line of the same report, which then joins it instead of starting anew.
    bool message = false;
    // Opened by "Kernel panic - not syncing" (whatever the kind: stack-protector is one).
    bool panic = false;
    // The function the headline names, as printed: "foo+0x670/0x690 [mod]" from
    // "BUG: KASAN: use-after-free in foo+0x670/0x690 [mod]" or "WARNING: ... at f.c:1 foo+0x1/0x2".
    // A truncated report still has its guilty function from it.
    QByteArray headlineSymbol;
    // The headline's function is where the bug is (KASAN, KCSAN, stack-protector), ahead of
    // the trace; otherwise it is the fallback when the trace has nothing better.
    bool headlineFirst = false;
    // KCSAN names both racing functions: "data-race in foo / bar".
    QByteArray secondSymbol;
};

// text: a console line with its prefixes removed.
std::optional<ReportStart> matchReportStart(QByteArrayView text);

bool isEndTraceMarker(QByteArrayView trimmedText); // "---[ end trace 9358d1fc4259ae2f ]---"
bool isPanicLine(QByteArrayView trimmedText); // "Kernel panic - not syncing: ..."
// Lines that open a report when they come right before its first line.
bool isReportPreamble(QByteArrayView trimmedText); // "------------[ cut here ]------------", "=====..."
// "BUG: KASAN: ..." etc. end at the "=====" rule that opened them.
bool endsAtRule(ReportKind kind);
// Drops the variable tail of a message (addresses, numbers, "pid=12") so that a title is the
// same for every run of one bug: "Attempted to kill init! exitcode=0x0000000b" -> "Attempted
// to kill init!".
QByteArray stableMessage(QByteArrayView message);

} // namespace kms
