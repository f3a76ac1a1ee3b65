#include "report/reportheader.h"

#include "report/bytes.h"
#include "report/reportfields.h"

namespace kms {

using namespace kms::bytes;
using namespace kms::reportfields;

namespace {

// printk splits a long "Modules linked in:" list; the rest follows on lines starting with a
// space: " videodev joydev snd(OF) [last unloaded: x]".
bool isModuleListContinuation(QByteArrayView raw, QByteArrayView t)
{
    if (t.isEmpty())
        return false;
    if (!raw.startsWith(' ')) {
        // A log collector that wrapped the line itself: plain module names, then perhaps
        // "[last unloaded: x]".
        const qsizetype last = t.indexOf(QByteArrayView("[last unloaded:"));
        const QByteArrayView names = last >= 0 ? t.first(last) : t;
        int tokens = 1;
        for (char c : names) {
            if (c == ' ')
                ++tokens;
            else if (!(isAlpha(c) || isDigit(c) || c == '_' || c == '-'))
                return false;
        }
        return tokens >= 3;
    }
    for (char c : t) {
        if (!(isSymbolChar(c) || c == '-' || c == ' ' || c == '(' || c == ')' || c == '[' || c == ']' || c == ':'
              || c == '+'))
            return false;
    }
    if (contains(t, "+0x"))
        return false; // a frame
    return !contains(t, ": ") || contains(t, "[last unloaded:");
}

} // namespace

bool ReportHeaderReader::continuesModules(QByteArrayView raw, QByteArrayView t)
{
    if (!m_modulesOpen)
        return false;
    m_modulesOpen = isModuleListContinuation(raw, t);
    if (m_modulesOpen)
        appendModules(t);
    return m_modulesOpen;
}

void ReportHeaderReader::appendModules(QByteArrayView rest)
{
    qsizetype i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && isSpace(rest[i]))
            ++i;
        if (i >= rest.size() || rest[i] == '[') {
            m_modulesOpen = false;
            break; // "[last unloaded: shepherd]" names no loaded module
        }
        const qsizetype b = i;
        while (i < rest.size() && !isSpace(rest[i]))
            ++i;
        QByteArrayView tok = rest.sliced(b, i - b);
        const qsizetype flags = tok.indexOf('(');
        bool tainting = false;
        if (flags > 0) {
            // print_modules(): "(O)" out-of-tree, "(E)" unsigned, "(P)" proprietary, "(C)" staging.
            for (char c : tok.sliced(flags))
                tainting = tainting || c == 'O' || c == 'E' || c == 'P' || c == 'C';
            tok = tok.first(flags);
        }
        if (!tok.isEmpty()) {
            m_r.modules.append(QString::fromUtf8(tok));
            if (tainting)
                m_taintingModules.append(QString::fromUtf8(tok));
        }
    }
}

void ReportHeaderReader::line(QByteArrayView t, int lineIndex)
{
    KernelReport &r = m_r;
    if (startsWith(t, "CPU: ") && !r.cpu) {
        qsizetype used = 0;
        if (auto cpu = parseDecimal(t.sliced(5), &used))
            r.cpu = int(*cpu);
        bool found = false;
        QByteArrayView pid = after(t, "PID: ", &found);
        if (found) {
            if (auto p = parseDecimal(pid))
                r.pid = int(*p);
        }
        QByteArrayView comm = after(t, "Comm: ", &found);
        if (found) {
            qsizetype end = comm.indexOf(" Tainted:");
            const qsizetype nt = comm.indexOf(" Not tainted");
            if (end < 0 || (nt >= 0 && nt < end))
                end = nt;
            if (end < 0)
                end = comm.indexOf(' ');
            r.comm = QString::fromUtf8(trimmed(end < 0 ? comm : comm.first(end)));
        }
    } else if (startsWith(t, "Pid: ") && !r.pid) {
        // 2.6/3.x x86: "Pid: 8003, comm: Xorg Not tainted (2.6.27.9-159.fc10.i686 #1)".
        if (auto p = parseDecimal(t.sliced(5)))
            r.pid = int(*p);
        bool found = false;
        QByteArrayView comm = after(t, "comm: ", &found);
        if (found && r.comm.isEmpty()) {
            qsizetype end = comm.indexOf(" Tainted:");
            const qsizetype nt = comm.indexOf(" Not tainted");
            if (end < 0 || (nt >= 0 && nt < end))
                end = nt;
            r.comm = QString::fromUtf8(trimmed(end < 0 ? comm : comm.first(end)));
        }
    } else if (startsWith(t, "Process ") && r.comm.isEmpty()) {
        // ARM: "Process modprobe (pid: 1726, stack limit = 0x6f328d04)".
        const qsizetype paren = t.indexOf(" (pid: ");
        if (paren > 8) {
            r.comm = QString::fromUtf8(t.sliced(8, paren - 8));
            if (!r.pid) {
                if (auto p = parseDecimal(t.sliced(paren + 7)))
                    r.pid = int(*p);
            }
        }
    }

    if (r.kernelRelease.isEmpty()) {
        bool tainted = false;
        QByteArrayView rest = after(t, "Tainted: ", &tainted);
        if (tainted && !startsWith(t, "Disabling")) {
            // Taint flags, then the release: "G           O      4.19.94-ti-r73 #1focal".
            qsizetype i = 0;
            while (i < rest.size()) {
                while (i < rest.size() && isSpace(rest[i]))
                    ++i;
                const qsizetype b = i;
                while (i < rest.size() && !isSpace(rest[i]))
                    ++i;
                QByteArrayView tok = rest.sliced(b, i - b);
                if (tok.startsWith('('))
                    tok = tok.sliced(1);
                if (isReleaseToken(tok)) {
                    if (tok.endsWith(')'))
                        tok.chop(1);
                    r.kernelRelease = QString::fromUtf8(tok);
                    r.taint = QString::fromUtf8(trimmed(rest.first(b)));
                    break;
                }
            }
        } else {
            bool nt = false;
            QByteArrayView rest2 = after(t, "Not tainted", &nt);
            if (nt) {
                rest2 = trimmedLeft(rest2);
                if (rest2.startsWith('('))
                    rest2 = rest2.sliced(1);
                qsizetype e = 0;
                while (e < rest2.size() && !isSpace(rest2[e]) && rest2[e] != ')')
                    ++e;
                const QByteArrayView tok = rest2.first(e);
                if (isReleaseToken(tok)) {
                    r.kernelRelease = QString::fromUtf8(tok);
                } else {
                    // Lockdep's header: "3.5.0-rc5 #2 Not tainted".
                    const qsizetype sp = t.indexOf(' ');
                    if (sp > 0 && isReleaseToken(t.first(sp)))
                        r.kernelRelease = QString::fromUtf8(t.first(sp));
                }
            }
        }
    }

    if (startsWith(t, "Modules linked in:") && r.modules.isEmpty()) {
        appendModules(t.sliced(18));
        m_modulesOpen = !contains(t, "[last unloaded:");
    }

    if (!r.faultAddress && lineIndex < 12) {
        if (auto a = faultAddressIn(t))
            r.faultAddress = a;
    }
    if (startsWith(t, "CR2: ") && t.indexOf(' ', 5) < 0 && !cr2Alone) {
        // The lone "CR2:" line printed after the trace is the faulting address; the one in
        // the register block may be stale (it is read again after the oops printing).
        cr2Alone = parseHex(trimmed(t.sliced(5)));
    }
}

} // namespace kms
