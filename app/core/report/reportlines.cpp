#include "report/reportlines.h"

#include "report/bytes.h"
#include "report/reportparser.h"

#include <QStringList>
#include <QtGlobal>

#include <array>

namespace kms::reportlines {

using namespace kms::bytes;

namespace {

// isReportTrailer()'s prefixes by first byte (nullptr-terminated rows).
constexpr int maxTrailersPerByte = 16; // the longest row has 10, plus its nullptr
using TrailerRow = std::array<const char *, maxTrailersPerByte>;
const std::array<TrailerRow, 128> trailerPrefixes = [] {
    std::array<TrailerRow, 128> rows{};
    const char *const all[] = {
        "Code:",
        "RIP",
        "EIP",
        "RSP",
        "ESP",
        "CR2:",
        "Modules linked in",
        "Last Breaking-Event-Address",
        "Instruction dump",
        "irq event stamp",
        "hardirqs last",
        "softirqs last",
        "Kernel Offset",
        "Dumping ftrace",
        "(ftrace buffer empty)",
        "note: ",
        "Fixing recursive fault",
        "Exception stack",
        "Rebooting in",
        "CPU: ",
        "Hardware name",
        "NMI backtrace",
        "Sending NMI",
        "Task dump for CPU",
        "task:",
        "Showing all locks",
        "INFO: lockdep is turned off",
        "Krnl",
        "Process ",
        "Stack:",
        "Workqueue:",
        "pc :",
        "lr :",
        "sp :",
        "PC is at",
        "LR is at",
        "Disabling lock debugging",
        "---",
        "===",
        "SMP: stopping",
        "Flags:",
        "Control:",
        "rcu: ",
        "Mem abort info",
        "Data abort info",
        "ESR =",
        "EC =",
        "SET =",
        "FSC =",
        "ISV =",
        "CM =",
        "user pgtable",
        "[",
        "(",
        "?",
        "#",
        "<",
        "Pid: ",
        "pid: ",
        "Backtrace",
        "Call Trace",
        "Call trace",
        "other info",
        "stack backtrace",
        "Possible unsafe",
        "*** DEADLOCK",
        "lock(",
        "  lock(",
        "CPU0",
        "CPU1",
        "----",
        "no locks held",
        "1 lock held",
        "locks held",
        "The buggy address",
        "Memory state around",
        "page:",
        "flags:",
        "raw: ",
        "page dumped because",
        "Read of size",
        "Write of size",
        "NIP",
        "LR ",
        "REGS:",
        "MSR:",
        "SOFTE:",
        "CFAR:",
        "PACATMSCRATCH",
        "GPR",
        "TRAP:",
        "Faulting instruction",
        "Last sysfs file",
        "Hardware Error",
        "Uninit was",
        "Local variable",
        "Bytes ",
        "INFO: ",
        "Object ",
        "Redzone ",
        "Padding ",
        "FIX ",
        "Slab ",
        // show_mem() after warn_alloc() and the OOM killer's report
        "Mem-Info:",
        "Node ",
        "lowmem_reserve",
        "active_anon:",
        "Free swap",
        "Total swap",
        "Swap cache stats",
    };
    std::array<int, 128> used{};
    for (const char *p : all) {
        const auto c = static_cast<unsigned char>(p[0]) & 0x7f;
        if (used[c] + 1 >= maxTrailersPerByte) // every test run would stop here: widen the rows
            qFatal("reportlines: too many trailer prefixes starting with '%c'", p[0]);
        rows[c][used[c]++] = p;
    }
    return rows;
}();

} // namespace

// "RIP: 0010:f+0x1/0x2 [m]", "Code: ...", "RAX: ... RBX: ...", "FS:  ...", "PKRU: 55555554":
// the register dump x86 repeats after the end marker.
bool isRegisterRepeatLine(QByteArrayView t)
{
    if (startsWith(t, "Code: "))
        return true;
    qsizetype i = 0;
    while (i < t.size() && i < 6 && ((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9')))
        ++i;
    return i >= 2 && i < t.size() && t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ');
}

bool isContextMarker(QByteArrayView t)
{
    return t.startsWith('<')
        && (startsWith(t, "<IRQ>") || startsWith(t, "</IRQ>") || startsWith(t, "<NMI>") || startsWith(t, "</NMI>")
            || startsWith(t, "<TASK>") || startsWith(t, "</TASK>") || startsWith(t, "<SOFTIRQ>")
            || startsWith(t, "</SOFTIRQ>") || startsWith(t, "<EOI>") || startsWith(t, "<<EOE>>")
            || startsWith(t, "<#DF>") || startsWith(t, "<MCE>") || startsWith(t, "<DB>") || startsWith(t, "<#MC>"));
}

bool isSlubTrack(QByteArrayView t)
{
    return (startsWith(t, "Allocated in ") || startsWith(t, "Freed in ")) && contains(t, " age=");
}

bool isTraceHeader(QByteArrayView t)
{
    return startsWith(t, "Call Trace") || startsWith(t, "Call trace:") || startsWith(t, "Backtrace:")
        || startsWith(t, "stack backtrace:") || contains(t, "state was registered at:")
        || startsWith(t, "Allocated by task") || startsWith(t, "Freed by task") || startsWith(t, "INFO: Allocated in ")
        || startsWith(t, "INFO: Freed in ") || startsWith(t, "backtrace:") || startsWith(t, "backtrace (crc ")
        || isSlubTrack(t);
}

// Lines a report with no trace yet may hold, per kind; anything else is a foreign line there.
bool belongsInHeader(const ReportStart &start, QByteArrayView raw, QByteArrayView t)
{
    switch (start.kind) {
    case ReportKind::Kmemleak:
        // "  comm \"insmod\", pid 12, jiffies 4294", "  hex dump (first 32 bytes):", "    6b 6b ...".
        return raw.startsWith(' ');
    case ReportKind::Lockup:
        // show_one_workqueue()/show_one_worker_pool(): "Showing busy workqueues and worker pools:",
        // "workqueue events: flags=0x0", "  pwq 0: cpus=0 ...", "    in-flight: 5:f", "pool 0: ...".
        return startsWith(t, "Showing busy") || startsWith(t, "workqueue ") || startsWith(t, "pool ")
            || isReportTrailer(raw, t);
    default:
        break;
    }
    // Only its WARNING/BUG line follows (or 6.x ref_tracker stacks), or dump_stack()'s header
    // where the message is followed by a stack dump rather than a WARN().
    if (start.message)
        return startsWith(t, "ref_tracker: ") || (raw.startsWith(' ') && !t.isEmpty()) || startsWith(t, "CPU: ")
            || startsWith(t, "Hardware name: ");
    return true;
}

bool isHexDumpLine(QByteArrayView t)
{
    // "5d60: 60000093 1e467000 ...", "Instruction dump:" words, "Stack: ..." words.
    qsizetype i = 0;
    while (i < t.size() && isHex(t[i]))
        ++i;
    if (i == 0)
        return false;
    if (i < t.size() && t[i] == ':')
        return true;
    return i >= 8 && (i == t.size() || t[i] == ' ');
}

// Lines that belong to a report after its trace: register dumps of the interrupted or
// user-space state, the code bytes, trailers printed by die()/panic(), further CPUs' traces.
bool isReportTrailer(QByteArrayView raw, QByteArrayView t)
{
    if (t.isEmpty() || raw.startsWith(' ') || raw.startsWith('\t'))
        return true;
    // Grouped by first byte: this runs on every line of a report's trace.
    for (const char *p : trailerPrefixes[static_cast<unsigned char>(t[0]) & 0x7f]) {
        if (p == nullptr)
            break;
        qsizetype i = 0;
        while (p[i] != '\0' && i < t.size() && t.data()[i] == p[i])
            ++i;
        if (p[i] == '\0')
            return true;
    }
    // show_mem()'s counters: "817618 total pagecache pages", "8111664 pages RAM";
    // lockdep_print_held_locks(): "2 locks held by insmod/123:" (hung tasks, lockdep).
    if (isDigit(t[0]) && (contains(t, " pages") || contains(t, " held by ")))
        return true;
    return ReportParser::isRegisterLine(t) || isHexDumpLine(t);
}

// The outermost frame of a task's stack: a trace that printed it is complete.
bool isBottomFrame(QByteArrayView function)
{
    static constexpr const char *bottoms[] = {
        "ret_from_fork",        "ret_from_fork_asm",      "entry_SYSCALL_64_after_hwframe",
        "kernel_thread_helper", "ret_fast_syscall",       "el0t_64_sync",
        "el0_svc_naked",        "ret_from_kernel_thread",
    };
    if (function.isEmpty())
        return false;
    for (const char *b : bottoms) {
        if (function == QByteArrayView(b))
            return true;
    }
    return false;
}

bool isMceLine(QByteArrayView t)
{
    return contains(t, "Hardware Error") || contains(t, "Machine Check") || contains(t, "Machine check")
        || startsWith(t, "Bank ") || startsWith(t, "TSC ") || startsWith(t, "PROCESSOR ") || startsWith(t, "RIP")
        || startsWith(t, "MCG") || startsWith(t, "ADDR ") || startsWith(t, "MISC ");
}

} // namespace kms::reportlines
