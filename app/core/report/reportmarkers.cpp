#include "report/reportmarkers.h"

#include "report/bytes.h"

namespace kms {

using namespace kms::bytes;

namespace {

ReportStart make(ReportKind kind, QByteArrayView what, bool expectsEnd = false, bool secondary = false)
{
    ReportStart s;
    s.kind = kind;
    s.what = what.toByteArray();
    s.expectsEndMarker = expectsEnd;
    s.secondary = secondary;
    return s;
}

// "BUG: scheduling while atomic: rmmod/123/0x2" -> "BUG: scheduling while atomic": the fixed
// part of a message, before the variable details that would make every title unique.
QByteArrayView headOf(QByteArrayView s)
{
    static constexpr const char *cuts[] = {" in ", " at ", " on ", ": ", ", ", " - ", " for ", "!"};
    qsizetype end = s.size();
    for (const char *cut : cuts) {
        const qsizetype at = s.indexOf(QByteArrayView(cut));
        if (at > 0 && at < end)
            end = at;
    }
    return trimmed(s.first(end));
}

// "KASAN: use-after-free in f+0x3c/0x80" -> "KASAN: use-after-free": sanitizers name the bug
// class before " in ".
QByteArrayView sanitizerHead(QByteArrayView s)
{
    const qsizetype at = s.indexOf(QByteArrayView(" in "));
    return trimmed(at > 0 ? s.first(at) : s);
}

std::optional<ReportStart> classifyBug(QByteArrayView rest)
{
    if (startsWith(rest, "unable to handle kernel NULL pointer") || startsWith(rest, "kernel NULL pointer"))
        return make(ReportKind::Oops, "NULL pointer dereference", true);
    if (startsWith(rest, "unable to handle kernel paging request") || startsWith(rest, "unable to handle page fault"))
        return make(ReportKind::Oops, "kernel paging request", true);
    if (startsWith(rest, "unable to handle kernel"))
        return make(ReportKind::Oops, "Oops", true);
    if (startsWith(rest, "KASAN: ") || startsWith(rest, "KFENCE: "))
        return make(ReportKind::Kasan, sanitizerHead(rest));
    if (startsWith(rest, "soft lockup"))
        return make(ReportKind::SoftLockup, "soft lockup");
    if (rest.isEmpty() || !isAlpha(rest[0]))
        return std::nullopt;
    return make(ReportKind::Bug, QByteArray("BUG: ") + headOf(rest).toByteArray());
}

// SLUB debugging: "BUG kmalloc-64 (Not tainted): Poison overwritten",
// "BUG sas_task: Objects remaining on kmem_cache_close()".
std::optional<ReportStart> classifySlab(QByteArrayView rest)
{
    qsizetype i = 0;
    while (i < rest.size() && (isSymbolChar(rest[i]) || rest[i] == '-' || rest[i] == ':'))
        ++i;
    if (i == 0 || i >= rest.size())
        return std::nullopt;
    QByteArrayView cache = rest.first(i);
    QByteArrayView msg;
    if (cache.endsWith(':')) {
        cache.chop(1);
        msg = rest.sliced(i);
    } else if (rest.sliced(i).startsWith(" (")) {
        const qsizetype close = rest.indexOf("): ", i);
        if (close < 0)
            return std::nullopt;
        msg = rest.sliced(close + 3);
    } else {
        return std::nullopt;
    }
    msg = trimmed(msg);
    if (cache.isEmpty() || msg.isEmpty() || !isAlpha(msg[0]))
        return std::nullopt;
    return make(ReportKind::Bug, QByteArray("BUG ") + cache.toByteArray() + ": " + msg.toByteArray());
}

std::optional<ReportStart> classifyLockdepPhrase(QByteArrayView phrase)
{
    static constexpr const char *phrases[] = {
        "possible ",
        "inconsistent lock state",
        "suspicious RCU usage",
        "bad unlock balance",
        "held lock freed",
        "lock held when returning",
        "nested lock was not taken",
        "bad contention detected",
        "lock held at task exit",
        "circular locking",
        "trying to register non-static key",
        "lock held by",
        "lockdep bfs error",
        "possible irq lock inversion",
        "HARDIRQ-safe",
        "SOFTIRQ-safe",
        "suspicious ",
    };
    for (const char *p : phrases) {
        if (phrase.startsWith(QByteArrayView(p))) {
            QByteArrayView what = trimmed(phrase);
            if (what.endsWith(']'))
                what = trimmed(what.chopped(1));
            while (what.endsWith('!') || what.endsWith('.'))
                what.chop(1);
            return make(ReportKind::Lockdep, what);
        }
    }
    return std::nullopt;
}

std::optional<ReportStart> classifyInfo(QByteArrayView rest)
{
    if (startsWith(rest, "task ") && contains(rest, "blocked for more than"))
        return make(ReportKind::HungTask, "task hung");
    if (startsWith(rest, "rcu") && contains(rest, "stall"))
        return make(ReportKind::RcuStall, "RCU stall");
    return classifyLockdepPhrase(rest);
}

std::optional<ReportStart> classifyWarning(QByteArrayView rest)
{
    if (startsWith(rest, "CPU: "))
        return make(ReportKind::Warning, "WARNING", true);
    if (startsWith(rest, "at "))
        return make(ReportKind::Warning, "WARNING");
    return classifyLockdepPhrase(rest);
}

} // namespace

namespace {

std::optional<ReportStart> matchHeadline(QByteArrayView t)
{
    switch (t[0]) {
    case 'B':
        if (startsWith(t, "BUG: "))
            return classifyBug(t.sliced(5));
        if (startsWith(t, "BUG "))
            return classifySlab(t.sliced(4));
        return std::nullopt;
    case 'U':
        if (startsWith(t, "Unable to handle kernel ")) {
            const QByteArrayView rest = t.sliced(24);
            if (startsWith(rest, "NULL pointer"))
                return make(ReportKind::Oops, "NULL pointer dereference", true);
            if (startsWith(rest, "paging request"))
                return make(ReportKind::Oops, "kernel paging request", true);
            return make(ReportKind::Oops, "Oops", true);
        }
        if (startsWith(t, "Unhandled fault: ")) {
            // ARM32 do_DataAbort: "Unhandled fault: page domain fault (0x01b) at 0x00000174",
            // followed by "Internal error: : 1b [#1]".
            QByteArrayView what = t.sliced(17);
            const qsizetype code = what.indexOf(QByteArrayView(" (0x"));
            if (code > 0)
                what = what.first(code);
            return make(ReportKind::Oops, trimmed(what), true);
        }
        if (startsWith(t, "UBSAN: "))
            return make(ReportKind::Ubsan, sanitizerHead(trimmed(t)));
        return std::nullopt;
    case 'I':
        if (startsWith(t, "INFO: "))
            return classifyInfo(t.sliced(6));
        if (startsWith(t, "Internal error: "))
            return make(ReportKind::Oops, "Oops", true, true);
        return std::nullopt;
    case 'W':
        if (startsWith(t, "WARNING: "))
            return classifyWarning(t.sliced(9));
        if (startsWith(t, "Watchdog detected hard LOCKUP"))
            return make(ReportKind::SoftLockup, "hard LOCKUP");
        return std::nullopt;
    case 'K':
        if (startsWith(t, "Kernel panic - not syncing")) {
            QByteArrayView msg = trimmed(t.sliced(26));
            if (msg.startsWith(':'))
                msg = trimmed(msg.sliced(1));
            return make(ReportKind::Panic, QByteArray("kernel panic: ") + msg.toByteArray());
        }
        if (startsWith(t, "Kernel BUG at"))
            return make(ReportKind::Bug, "kernel BUG", true);
        return std::nullopt;
    case 'k':
        if (startsWith(t, "kernel BUG at "))
            return make(ReportKind::Bug, "kernel BUG", true);
        if (startsWith(t, "kernel tried to execute NX-protected page")) {
            auto s = make(ReportKind::Oops, "NX-protected page execution", true);
            s.prelude = true;
            return s;
        }
        return std::nullopt;
    case 'g':
        if (startsWith(t, "general protection fault"))
            return make(ReportKind::Gpf, "general protection fault", true);
        return std::nullopt;
    case 'O':
        // "Oops: 0002 [#1] SMP", "Oops: Kernel access of bad area, sig: 11 [#1]"; not a
        // driver's "Oops: efitime: can't read time!".
        if ((startsWith(t, "Oops: ") || startsWith(t, "Oops#") || startsWith(t, "Oops [")) && contains(t, "[#"))
            return make(ReportKind::Oops, "Oops", true, true);
        return std::nullopt;
    case 'i':
        if (startsWith(t, "invalid opcode: "))
            return make(ReportKind::Oops, "invalid opcode", true, true);
        if (startsWith(t, "illegal operation: "))
            return make(ReportKind::Oops, "illegal operation", true, true);
        return std::nullopt;
    case 'd':
        if (startsWith(t, "divide error: "))
            return make(ReportKind::Oops, "divide error", true);
        if (startsWith(t, "double fault: "))
            return make(ReportKind::Oops, "double fault", true);
        return std::nullopt;
    case 'N':
        if (startsWith(t, "NMI watchdog: ")) {
            const QByteArrayView rest = t.sliced(14);
            if (startsWith(rest, "BUG: soft lockup"))
                return make(ReportKind::SoftLockup, "soft lockup");
            if (startsWith(rest, "Watchdog detected hard LOCKUP"))
                return make(ReportKind::SoftLockup, "hard LOCKUP");
        }
        return std::nullopt;
    case 'w':
        if (startsWith(t, "watchdog: ")) {
            const QByteArrayView rest = t.sliced(10);
            if (startsWith(rest, "BUG: soft lockup"))
                return make(ReportKind::SoftLockup, "soft lockup");
            if (startsWith(rest, "Watchdog detected hard LOCKUP"))
                return make(ReportKind::SoftLockup, "hard LOCKUP");
        }
        return std::nullopt;
    case 'r':
        if (startsWith(t, "rcu: INFO: "))
            return classifyInfo(t.sliced(11));
        return std::nullopt;
    case 'm':
        if (startsWith(t, "mce: [Hardware Error]: "))
            return make(ReportKind::Mce, "machine check");
        return std::nullopt;
    case 'C':
        if (startsWith(t, "CPU ") && contains(t.first(qMin<qsizetype>(t.size(), 40)), ": Machine Check Exception"))
            return make(ReportKind::Mce, "machine check");
        return std::nullopt;
    case '[':
        // Lockdep before 4.x framed its headline: "[ INFO: possible recursive locking detected ]".
        if (startsWith(t, "[ INFO: "))
            return classifyInfo(t.sliced(8));
        if (startsWith(t, "[ BUG: "))
            return classifyLockdepPhrase(t.sliced(7));
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

} // namespace

std::optional<ReportStart> matchReportStart(QByteArrayView text)
{
    if (text.isEmpty())
        return std::nullopt;
    QByteArrayView t = text;
    if (isSpace(t[0])) {
        t = trimmedLeft(t);
        if (t.isEmpty())
            return std::nullopt;
    }
    if (auto s = matchHeadline(t))
        return s;
    // warn_alloc(): "chrome: page allocation failure: order:5, mode:0x24040c0(GFP_KERNEL|...)",
    // prefixed by the task's name, so only a substring can find it.
    if (t.size() > 40 && contains(t, ": page allocation failure: order:"))
        return make(ReportKind::Warning, "page allocation failure");
    return std::nullopt;
}

bool isEndTraceMarker(QByteArrayView t)
{
    return startsWith(t, "---[ end trace");
}

bool isPanicLine(QByteArrayView t)
{
    return startsWith(t, "Kernel panic - not syncing");
}

bool isReportPreamble(QByteArrayView t)
{
    if (t.isEmpty())
        return false;
    if (t[0] == '-')
        return startsWith(t, "------------[ cut here ]");
    if (t[0] == '=')
        return startsWith(t, "==========");
    return false;
}

} // namespace kms
