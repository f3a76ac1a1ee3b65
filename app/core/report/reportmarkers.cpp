#include "report/reportmarkers.h"

#include "report/bytes.h"
#include "report/markerparts.h"

namespace kms {

using namespace kms::bytes;
using namespace kms::markerparts;

ReportStart markerparts::make(ReportKind kind, QByteArrayView what, bool expectsEnd, bool secondary)
{
    ReportStart s;
    s.kind = kind;
    s.what = what.toByteArray();
    s.expectsEndMarker = expectsEnd;
    s.secondary = secondary;
    return s;
}

// "foo+0x670/0x690 [mod]" after key; cut at ", " (6.x WARNING) and before a trailing "()"
// (2.6 WARNING). Empty when there is none.
QByteArray markerparts::symbolText(QByteArrayView sym)
{
    sym = trimmed(sym);
    const qsizetype comma = sym.indexOf(',');
    if (comma >= 0)
        sym = sym.first(comma);
    if (sym.endsWith("()"))
        sym.chop(2);
    if (sym.isEmpty() || !(isAlpha(sym[0]) || sym[0] == '_' || sym[0] == '.'))
        return {};
    return trimmed(sym).toByteArray();
}

QByteArray markerparts::symbolAfter(QByteArrayView s, QByteArrayView key)
{
    const qsizetype at = s.indexOf(key);
    return at < 0 ? QByteArray() : symbolText(s.sliced(at + key.size()));
}

ReportStart markerparts::message(ReportKind kind, QByteArrayView what)
{
    ReportStart s = make(kind, what);
    s.message = true;
    return s;
}

namespace {

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

ReportStart sanitizer(ReportKind kind, QByteArrayView rest)
{
    ReportStart s = make(kind, sanitizerHead(rest));
    s.headlineFirst = true;
    QByteArray sym = symbolAfter(rest, " in ");
    // KCSAN: "data-race in foo / bar", "data-race in foo+0x1/0x2 / bar+0x3/0x4".
    const qsizetype slash = sym.indexOf(" / ");
    if (slash > 0) {
        s.secondSymbol = trimmed(QByteArrayView(sym).sliced(slash + 3)).toByteArray();
        sym.truncate(slash);
    }
    s.headlineSymbol = sym;
    return s;
}

std::optional<ReportStart> classifyLockdepPhrase(QByteArrayView phrase);

std::optional<ReportStart> lockdepBug(QByteArrayView rest)
{
    // print_held_locks_bug(): "insmod/123 still has locks held!"
    if (contains(rest, " still has locks held"))
        return make(ReportKind::Lockdep, "still has locks held");
    return classifyLockdepPhrase(rest);
}

std::optional<ReportStart> classifyBug(QByteArrayView rest)
{
    if (startsWith(rest, "unable to handle kernel NULL pointer") || startsWith(rest, "kernel NULL pointer"))
        return make(ReportKind::Oops, "NULL pointer dereference", true);
    if (startsWith(rest, "unable to handle kernel paging request") || startsWith(rest, "unable to handle page fault"))
        return make(ReportKind::Oops, "kernel paging request", true);
    if (startsWith(rest, "unable to handle kernel"))
        return make(ReportKind::Oops, "Oops", true);
    // arch/powerpc/mm/fault.c __bad_page_fault() (5.x+): "BUG: Kernel NULL pointer dereference on
    // read at 0x00000008", "BUG: Unable to handle kernel data access on write at 0x...",
    // "BUG: Unable to handle kernel instruction fetch", then die("Kernel access of bad area").
    if (startsWith(rest, "Kernel NULL pointer"))
        return make(ReportKind::Oops, "NULL pointer dereference", true);
    if (startsWith(rest, "Unable to handle kernel data access"))
        return make(ReportKind::Oops, "kernel paging request", true);
    if (startsWith(rest, "Unable to handle kernel") || startsWith(rest, "Unable to handle unknown paging fault"))
        return make(ReportKind::Oops, "Oops", true);
    if (startsWith(rest, "KASAN: ") || startsWith(rest, "KFENCE: ") || startsWith(rest, "KMSAN: "))
        return sanitizer(ReportKind::Kasan, rest);
    if (startsWith(rest, "KCSAN: "))
        return sanitizer(ReportKind::Kcsan, rest); // kernel/kcsan/report.c print_report()
    if (startsWith(rest, "soft lockup"))
        return make(ReportKind::SoftLockup, "soft lockup");
    // kernel/workqueue.c wq_watchdog_timer_fn(): "BUG: workqueue lockup - pool cpus=0 ...".
    if (startsWith(rest, "workqueue lockup"))
        return make(ReportKind::Lockup, "BUG: workqueue lockup");
    // lib/spinlock_debug.c spin_dump() (3.x/4.x): "BUG: spinlock lockup suspected on CPU#0, insmod/12",
    // before 3.x "BUG: spinlock lockup on CPU#0, insmod/12, ffff88003e4f0000".
    if (startsWith(rest, "spinlock lockup"))
        return make(ReportKind::Lockup, QByteArray("BUG: ") + stableMessage(headOf(rest)));
    // kernel/locking/lockdep.c before 4.x framed these as "[ BUG: ... ]" or printed "BUG: ...":
    // "bad unlock balance detected!", "held lock freed!", "lock held when returning to user space!".
    if (startsWith(rest, "bad unlock balance") || startsWith(rest, "held lock freed")
        || startsWith(rest, "lock held when returning") || contains(rest, " still has locks held"))
        return lockdepBug(rest);
    // arch/x86 handle_stack_overflow(): "BUG: stack guard page was hit at ..." (4.x-5.x) and
    // "BUG: %s stack guard page was hit at ..." (5.x+, the stack's name first: TASK, IRQ, #DF...).
    if (contains(rest.first(qMin<qsizetype>(rest.size(), 36)), "stack guard page was hit"))
        return make(ReportKind::StackCorruption, "BUG: stack guard page was hit", true);
    // kernel/locking/lockdep.c: look_up_lock_class() "BUG: looking up invalid subclass: 8",
    // the table limits ("BUG: MAX_LOCKDEP_KEYS too low!", "BUG: MAX_STACK_TRACE_ENTRIES too
    // low!"), and print_lock_invalid_wait_context() (5.7+, framed "[ BUG: Invalid wait context ]").
    if (startsWith(rest, "looking up invalid subclass") || startsWith(rest, "Invalid wait context"))
        return lockdepBug(rest);
    if ((startsWith(rest, "MAX_LOCK") || startsWith(rest, "MAX_STACK_TRACE")) && contains(rest, "too low"))
        return make(ReportKind::Lockdep, QByteArray("BUG: ") + stableMessage(headOf(rest)));
    // fs/dcache.c umount_check(): "BUG: Dentry 000000001f3a{i=0,n=/}  still in use (1) [unmount of ...]".
    // A WARN() message since 3.x: the "WARNING:" line follows it.
    if (startsWith(rest, "Dentry ") && contains(rest, "still in use"))
        return message(ReportKind::Bug, "BUG: Dentry still in use");
    if (rest.isEmpty() || !isAlpha(rest[0]))
        return std::nullopt;
    return make(ReportKind::Bug, QByteArray("BUG: ") + stableMessage(headOf(rest)));
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
        "Invalid wait context",
        "looking up invalid subclass",
        "Nested lock was not taken", // print_lock_nested_lock_not_held() since 4.x
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
        "still has locks held",
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
            // "looking up invalid subclass: 8": the number varies.
            return make(ReportKind::Lockdep, stableMessage(what));
        }
    }
    return std::nullopt;
}

std::optional<ReportStart> classifyInfo(QByteArrayView rest)
{
    // kernel/hung_task.c check_hung_task(): "INFO: task insmod:123 blocked for more than 120 seconds."
    if (startsWith(rest, "task ") && contains(rest, "blocked for more than"))
        return make(ReportKind::HungTask, "task hung");
    // The same check for killable sleeps (3.x): "INFO: task foo:12 can't die for more than 120 seconds."
    if (startsWith(rest, "task ") && contains(rest, "can't die for more than"))
        return make(ReportKind::HungTask, "task can't die");
    // kernel/rcu/tree_stall.h print_cpu_stall()/print_other_cpu_stall(), rcutree.c before 4.x:
    // "INFO: rcu_sched self-detected stall on CPU", "INFO: rcu_preempt detected stalls on
    // CPUs/tasks:", "INFO: rcu_sched_state detected stall on CPU 0", "INFO: rcu_tasks detected stalls".
    if ((startsWith(rest, "rcu") || startsWith(rest, "RCU")) && contains(rest, "stall"))
        return make(ReportKind::RcuStall, "RCU stall");
    return classifyLockdepPhrase(rest);
}

// "lib/foo.c:12 at ": the 6.x __warn() order (file first, then the function).
bool startsWithFileLine(QByteArrayView rest)
{
    const qsizetype sp = rest.indexOf(' ');
    if (sp < 4 || !startsWith(rest.sliced(sp), " at "))
        return false;
    const QByteArrayView loc = rest.first(sp);
    const qsizetype colon = loc.lastIndexOf(':');
    return colon > 0 && colon + 1 < loc.size() && isDigit(loc[colon + 1]) && loc.indexOf('.') > 0;
}

std::optional<ReportStart> classifyWarning(QByteArrayView rest)
{
    // kernel/panic.c __warn(): "WARNING: CPU: 0 PID: 1 at lib/foo.c:12 foo+0x1/0x2 [mod]" (3.x-6.x),
    // "WARNING: at lib/foo.c:12 foo+0x1/0x2()" (2.6/3.x, no end marker before 3.9's), and
    // "WARNING: lib/foo.c:12 at foo+0x1/0x2, CPU#0: insmod/123" (6.x).
    if (startsWith(rest, "CPU: ")) {
        ReportStart s = make(ReportKind::Warning, "WARNING", true);
        const qsizetype at = rest.indexOf(" at ");
        if (at > 0) {
            const QByteArrayView loc = rest.sliced(at + 4);
            const qsizetype sp = loc.indexOf(' ');
            if (sp > 0)
                s.headlineSymbol = symbolText(loc.sliced(sp));
        }
        return s;
    }
    // "WARNING: atarch/x86/xen/mmu.c:475 f+0x32/0x8e()": the same with the space lost (ABRT's
    // collected syslogs show it).
    const bool atNoSpace = startsWith(rest, "at") && rest.size() > 2 && rest[2] != ' '
        && contains(rest.first(qMin<qsizetype>(rest.size(), 80)), ".c:");
    if (startsWith(rest, "at ") || atNoSpace) {
        ReportStart s = make(ReportKind::Warning, "WARNING");
        const QByteArrayView loc = rest.sliced(atNoSpace ? 2 : 3);
        const qsizetype sp = loc.indexOf(' ');
        if (sp > 0)
            s.headlineSymbol = symbolText(loc.sliced(sp));
        return s;
    }
    if (startsWithFileLine(rest)) {
        ReportStart s = make(ReportKind::Warning, "WARNING", true);
        s.headlineSymbol = symbolAfter(rest, " at ");
        return s;
    }
    // The title line of ODEBUG reports as forwarded by syzbot and pasted into bug trackers:
    // "WARNING: ODEBUG bug in free_kthread_struct".
    if (startsWith(rest, "ODEBUG bug in ")) {
        ReportStart s = make(ReportKind::Odebug, "ODEBUG bug");
        s.headlineSymbol = symbolText(rest.sliced(14));
        return s;
    }
    // kernel/locking/lockdep.c print_held_locks_bug(): "WARNING: insmod/123 still has locks held!"
    if (contains(rest, " still has locks held"))
        return make(ReportKind::Lockdep, "still has locks held");
    // Unwinder complaints printed inside another report's trace ("WARNING: kernel stack
    // frame pointer at ... has bad value"): not a report of their own, and no reason to cut one.
    if (startsWith(rest, "kernel stack ") || startsWith(rest, "stack recursion") || startsWith(rest, "stack going"))
        return std::nullopt;
    return classifyLockdepPhrase(rest);
}

// x86 die() headers, "%s: %04lx [#%d]" (6.9+: after "Oops: "): "general protection fault:
// 0000 [#1] SMP", "general protection fault, probably for non-canonical address 0xdffffc...:
// 0000 [#1]" (5.x+), "stack segment: 0000 [#1]", "invalid opcode: 0000 [#1]"; but for the
// first, only with the "[#" of a die counter, so that no driver message counts.
std::optional<ReportStart> classifyTrap(QByteArrayView t)
{
    // Always a report at the start of a line, even cut short before its "[#": "general
    // protection fault" then ':', ',' or nothing.
    if (startsWith(t, "general protection fault")
        && (t.size() == 24 || t[24] == ':' || t[24] == ',' || isSpace(t[24]) || t[24] == '\r')
        && (t.size() == 24 || t[24] != ' ' || contains(t, "[#")))
        return make(ReportKind::Gpf, "general protection fault", true);
    // The names first: this runs on every line that starts with 's' or 'g'.
    std::optional<ReportStart> s;
    if (startsWith(t, "stack segment: "))
        s = make(ReportKind::Oops, "stack segment fault", true);
    else if (startsWith(t, "invalid opcode: "))
        s = make(ReportKind::Oops, "invalid opcode", true, true);
    else if (startsWith(t, "divide error: "))
        s = make(ReportKind::Oops, "divide error", true);
    else if (startsWith(t, "double fault: "))
        s = make(ReportKind::Oops, "double fault", true, true);
    else if (startsWith(t, "stack guard page: "))
        s = make(ReportKind::StackCorruption, "kernel stack overflow", true, true);
    if (s && !contains(t, "[#"))
        s.reset();
    return s;
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
            what = trimmed(what);
            return make(ReportKind::Oops, what.isEmpty() ? QByteArrayView("Unhandled fault") : what, true);
        }
        if (startsWith(t, "UBSAN: "))
            return make(ReportKind::Ubsan, sanitizerHead(trimmed(t)));
        return std::nullopt;
    case 'I':
        if (startsWith(t, "INFO: "))
            return classifyInfo(t.sliced(6));
        if (startsWith(t, "Internal error: "))
            return make(ReportKind::Oops, "Oops", true, true);
        // arch/arm64/kernel/traps.c handle_bad_stack(), then panic("kernel stack overflow").
        if (startsWith(t, "Insufficient stack space to handle exception"))
            return make(ReportKind::StackCorruption, "kernel stack overflow");
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
            // kernel/panic.c __stack_chk_fail(): "stack-protector: Kernel stack is corrupted in:
            // foo+0x1a/0x20 [mod]" (%pB since 4.x; a bare address before): the function whose
            // canary was overwritten is the guilty one, not panic's own stack.
            ReportStart s;
            if (startsWith(msg, "stack-protector: ")) {
                s = make(ReportKind::StackCorruption, "stack-protector: Kernel stack is corrupted");
                s.headlineSymbol = symbolAfter(msg, "corrupted in: ");
                s.headlineFirst = true;
            } else if (startsWith(msg, "corrupted stack end detected")) {
                // kernel/sched/core.c schedule_debug(): a task overran its stack's end.
                s = make(ReportKind::StackCorruption, "corrupted stack end detected inside scheduler");
            } else {
                s = make(ReportKind::Panic, QByteArray("kernel panic: ") + stableMessage(msg));
            }
            s.panic = true;
            return s;
        }
        if (startsWith(t, "Kernel BUG at"))
            return make(ReportKind::Bug, "kernel BUG", true);
        return std::nullopt;
    case 'k':
        if (startsWith(t, "kernel BUG at "))
            return make(ReportKind::Bug, "kernel BUG", true);
        // 4.x x86 stack overflow: die("kernel stack overflow (double-fault)") after the guard page BUG.
        if (startsWith(t, "kernel stack overflow"))
            return make(ReportKind::StackCorruption, "kernel stack overflow", true, true);
        if (startsWith(t, "kernel tried to execute NX-protected page")) {
            auto s = make(ReportKind::Oops, "NX-protected page execution", true);
            s.prelude = true;
            return s;
        }
        if (startsWith(t, "kmem_cache_destroy "))
            return classifySlabDestroy(t);
        return std::nullopt;
    case 'g':
    case 's':
        // arch/x86/kernel/traps.c: die("general protection fault") and do_trap()'s
        // "stack segment" (#SS), both "%s: %04lx [#%d]" before 6.9.
        return classifyTrap(t);
    case 'O':
        // "Oops: 0002 [#1] SMP", "Oops: Kernel access of bad area, sig: 11 [#1]"; not a
        // driver's "Oops: efitime: can't read time!".
        if ((startsWith(t, "Oops: ") || startsWith(t, "Oops#") || startsWith(t, "Oops [")) && contains(t, "[#")) {
            // arch/x86/kernel/dumpstack.c __die_header() (6.9+): "Oops: %s: %04lx [#%d]", the
            // trap's name first ("Oops: general protection fault, probably for non-canonical
            // address ...: 0000 [#1]", "Oops: stack segment: 0000 [#1]"): it names the kind
            // when no headline came before.
            if (t.size() > 6 && t[6] != 'O' && isAlpha(t[6])) {
                if (auto trap = classifyTrap(t.sliced(6)))
                    return trap;
            }
            return make(ReportKind::Oops, "Oops", true, true);
        }
        if (startsWith(t, "ODEBUG: "))
            return classifyOdebug(t.sliced(8));
        return std::nullopt;
    case 'V':
        // fs/super.c generic_shutdown_super(): "VFS: Busy inodes after unmount of sda1. Self-destruct
        // in 5 seconds.  Have a nice day..." (to 6.5), then a CHECK_DATA_CORRUPTION() message;
        // fs/open.c filp_close() (2.6-4.x): "VFS: Close: file count is 0".
        if (startsWith(t, "VFS: Busy inodes after unmount"))
            return message(ReportKind::Bug, "VFS: Busy inodes after unmount");
        if (startsWith(t, "VFS: Close: file count is 0"))
            return message(ReportKind::Bug, "VFS: Close: file count is 0");
        return std::nullopt;
    case 'l':
        // lib/list_debug.c __list_add_valid()/__list_del_entry_valid() (CHECK_DATA_CORRUPTION):
        // "list_add corruption. next->prev should be prev (...), but was (...). (next=...).",
        // "list_del corruption, ffff888->next is LIST_POISON1 (dead000000000100)",
        // "list_add double add: new=..., prev=..., next=...".
        if (startsWith(t, "list_add corruption") || startsWith(t, "list_del corruption")
            || startsWith(t, "list_add double add"))
            return message(ReportKind::ListCorruption, t.first(19));
        return std::nullopt;
    case 'u':
        if (startsWith(t, "usercopy: "))
            return classifyUsercopy(t);
        // mm/kmemleak.c print_unreferenced(): "unreferenced object 0xffff888003c1e000 (size 64):",
        // "unreferenced object (percpu) 0x..." (6.x); printed with "kmemleak: " in front on the
        // console, which feedLine() removes.
        if (startsWith(t, "unreferenced object ") && contains(t, " (size "))
            return make(ReportKind::Kmemleak, "memory leak");
        // net/core/dev.c netdev_wait_allrefs(): "unregister_netdevice: waiting for lo to become
        // free. Usage count = 2", every 10 s; the device's name varies with namespaces.
        if (startsWith(t, "unregister_netdevice: waiting for ") && contains(t, "to become free"))
            return message(ReportKind::Other, "unregister_netdevice: waiting for DEV to become free");
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
        if (startsWith(t, "detected buffer overflow in "))
            return classifyFortify(t);
        // arch/x86/kernel/traps.c: die("double fault"), after "PANIC: double fault, error_code: 0x0".
        if (startsWith(t, "double fault: "))
            return make(ReportKind::Oops, "double fault", true, true);
        return std::nullopt;
    case 'P':
        if (startsWith(t, "PANIC: double fault"))
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
        // lib/refcount.c, arch/x86/lib/refcount.c (reportmessages.cpp)
        if (startsWith(t, "refcount_t"))
            return classifyRefcount(t);
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
            return lockdepBug(t.sliced(7));
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
    // FORTIFY_SOURCE (6.x): "strcpy: detected buffer overflow: ...", "memcpy: detected
    // field-spanning write ...": a short function name, then ": detected ". Every ordinary line
    // comes here: a byte loop that stops at the first byte no function name has.
    if (t.size() > 30 && t[0] >= 'a' && t[0] <= 'z') {
        qsizetype i = 1;
        while (i < 17 && (isAlpha(t[i]) || isDigit(t[i]) || t[i] == '_'))
            ++i;
        if (t[i] == ':' && startsWith(t.sliced(i), ": detected "))
            return classifyFortify(t);
    }
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

bool endsAtRule(ReportKind kind)
{
    return kind == ReportKind::Kasan || kind == ReportKind::Ubsan || kind == ReportKind::Kcsan;
}

namespace {

// A token that differs between runs: an address, a number, "pid=12", "mm:000000001a2b".
bool isVariableToken(QByteArrayView tok)
{
    if (tok.isEmpty())
        return false;
    if (startsWith(tok, "0x") || isDigit(tok[0]))
        return true;
    for (qsizetype i = 0; i + 1 < tok.size(); ++i) {
        if ((tok[i] == '=' || tok[i] == ':' || tok[i] == '#') && isDigit(tok[i + 1]))
            return true;
    }
    // A hashed or raw pointer: eight or more hex digits with a digit among them.
    if (tok.size() >= 8) {
        bool digit = false;
        for (char c : tok) {
            if (!isHex(c))
                return false;
            digit = digit || isDigit(c);
        }
        return digit;
    }
    return false;
}

} // namespace

QByteArray stableMessage(QByteArrayView message)
{
    qsizetype i = 0;
    qsizetype keep = 0;
    const qsizetype n = message.size();
    while (i < n) {
        while (i < n && message[i] == ' ')
            ++i;
        const qsizetype b = i;
        while (i < n && message[i] != ' ')
            ++i;
        if (i == b)
            break;
        if (isVariableToken(message.sliced(b, i - b)))
            break;
        keep = i;
    }
    QByteArrayView kept = trimmed(message.first(keep));
    // "... in" / "... at" / "... for" left dangling once its object was cut.
    for (const char *tail : {" in", " at", " on", " for", " of", " by", ",", ":", " ="}) {
        if (kept.endsWith(QByteArrayView(tail)))
            kept = trimmed(kept.chopped(qstrlen(tail)));
    }
    return kept.isEmpty() ? trimmed(message).toByteArray() : kept.toByteArray();
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
