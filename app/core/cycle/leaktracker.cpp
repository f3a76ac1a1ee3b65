#include "cycle/leaktracker.h"

#include <QRegularExpression>

namespace kms {

std::optional<quint64> bareAddress(QStringView text)
{
    text = text.trimmed();
    if (!text.startsWith(QLatin1String("0x")) || text.size() < 3 || text.size() > 18)
        return std::nullopt;
    bool ok = false;
    const quint64 value = text.mid(2).toULongLong(&ok, 16);
    return ok ? std::optional<quint64>(value) : std::nullopt;
}

namespace {

// "      3 0xffffffffc0a01234 age=12/34/56 pid=7-8 cpus=0": the count and the caller.
bool parseHeader(const QString &line, int *count, QString *caller)
{
    const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.size() < 2)
        return false;
    bool ok = false;
    *count = words[0].toInt(&ok);
    *caller = words[1];
    return ok;
}

} // namespace

LeakTracker::Site LeakTracker::site(const CycleScriptOutput::Trace &trace)
{
    Site s;
    QString caller;
    if (trace.lines.isEmpty() || !parseHeader(trace.lines.first(), &s.count, &caller))
        return s;
    QStringList parts{trace.cache, caller};
    for (qsizetype i = 1; i < trace.lines.size(); ++i)
        parts.append(trace.lines[i].trimmed());
    s.key = parts.join(QLatin1Char('\n'));
    return s;
}

void LeakTracker::setBaseline(const QList<CycleScriptOutput::Trace> &traces)
{
    m_counts.clear();
    for (const auto &trace : traces) {
        const Site s = site(trace);
        if (!s.key.isEmpty())
            m_counts[s.key] += s.count;
    }
}

QList<LeakSite> LeakTracker::scan(const QList<CycleScriptOutput::Trace> &traces, const LoadRecord &load)
{
    QList<LeakSite> leaks;
    QHash<QString, int> counts;
    for (const auto &trace : traces) {
        const Site s = site(trace);
        if (s.key.isEmpty())
            continue;
        counts[s.key] += s.count;
    }
    for (const auto &trace : traces) {
        const Site s = site(trace);
        if (s.key.isEmpty())
            continue;
        const int added = counts.value(s.key) - m_counts.value(s.key);
        if (added <= 0)
            continue;
        // The first frame of the stack in this load's sections (the header's caller is the
        // allocator's caller, which may be a wrapper).
        LeakSite leak;
        bool found = false;
        QStringList stack;
        for (qsizetype i = 1; i < trace.lines.size(); ++i)
            stack.append(trace.lines[i].trimmed());
        QString caller;
        int ignored = 0;
        parseHeader(trace.lines.first(), &ignored, &caller);
        QStringList candidates = stack;
        candidates.append(caller);
        for (const QString &frame : std::as_const(candidates)) {
            const auto address = bareAddress(frame);
            if (!address)
                continue;
            if (const auto where = load.locate(*address)) {
                leak.address = *address;
                leak.section = where->first;
                leak.offset = where->second;
                found = true;
                break;
            }
        }
        if (!found)
            continue;
        leak.count = added;
        // "waste=TOTAL/EACH": the object size less what was asked for (6.1 tracks it for
        // kmalloc caches with slub_debug).
        leak.size = trace.objectSize;
        static const QRegularExpression wasteRe(QStringLiteral(" waste=\\d+/(\\d+)"));
        if (const auto m = wasteRe.match(trace.lines.first()); m.hasMatch() && m.captured(1).toInt() < trace.objectSize)
            leak.size = trace.objectSize - m.captured(1).toInt();
        leak.cache = trace.cache;
        leak.stack = stack.isEmpty() ? QStringList{caller} : stack;
        leak.source = QStringLiteral("slab");
        leaks.append(leak);
        m_counts[s.key] = counts.value(s.key); // counted once even if printed twice
    }
    m_counts = counts;
    return leaks;
}

QList<LeakSite> LeakTracker::parseKmemleak(const QStringList &lines, const QList<LoadRecord> &loads)
{
    // mm/kmemleak.c print_unreferenced(): "unreferenced object 0x%08lx (size %zu):", comm,
    // hex dump, "backtrace:" then "[<%pK>] %pS" per frame.
    static const QRegularExpression objectRe(QStringLiteral("^unreferenced object 0x[0-9a-f]+ \\(size (\\d+)\\):"));
    static const QRegularExpression frameRe(QStringLiteral("^\\s*\\[<([0-9a-f]+)>\\]\\s*(.*)$"));
    QList<LeakSite> leaks;
    int size = 0;
    bool inObject = false;
    bool attributed = false;
    QStringList stack;
    LeakSite pending;
    const auto flush = [&] {
        if (inObject && attributed) {
            pending.size = size;
            pending.count = 1;
            pending.stack = stack;
            pending.source = QStringLiteral("kmemleak");
            leaks.append(pending);
        }
        inObject = false;
        attributed = false;
        stack.clear();
        pending = LeakSite();
    };
    for (const QString &line : lines) {
        const auto object = objectRe.match(line.trimmed());
        if (object.hasMatch()) {
            flush();
            inObject = true;
            size = object.captured(1).toInt();
            continue;
        }
        const auto frame = frameRe.match(line);
        if (!inObject || !frame.hasMatch())
            continue;
        stack.append(frame.captured(2).trimmed());
        if (attributed)
            continue;
        bool ok = false;
        const quint64 address = frame.captured(1).toULongLong(&ok, 16);
        for (const LoadRecord &load : loads) {
            if (const auto where = ok ? load.locate(address) : std::nullopt) {
                pending.address = address;
                pending.section = where->first;
                pending.offset = where->second;
                attributed = true;
                break;
            }
        }
    }
    flush();
    return leaks;
}

} // namespace kms
