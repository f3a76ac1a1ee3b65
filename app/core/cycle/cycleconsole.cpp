#include "cycle/cycleconsole.h"

#include "log/consoleline.h"
#include "report/reportmarkers.h"

namespace kms {

bool isCrashKind(ReportKind kind)
{
    // Oops, BUG, panic, sanitizers, lockups, machine checks, lockdep splats. A WARNING (and a
    // report of no known kind) is a warning.
    return kind != ReportKind::Warning && kind != ReportKind::Other;
}

void CycleConsole::reset(const QString &token)
{
    m_token = token;
    m_beginTail = " begin run=" + token.toUtf8();
    m_endTail = " end run=" + token.toUtf8();
    m_loadedInfix = " loaded run=" + token.toUtf8() + ' ';
    m_current.clear();
    m_beginTime.clear();
    m_began.clear();
    m_ended.clear();
}

void CycleConsole::setErrorPattern(const QString &pattern)
{
    m_errorPattern = pattern.isEmpty() ? QRegularExpression() : QRegularExpression(pattern);
}

namespace {

// "kmodscope: cycle 3 loaded run=ab12cd .text=0xffffffffc0a00000 .exit.text=0x...": the cycle
// and the sections, when the infix matches.
std::optional<int> loadedMarker(QByteArrayView text, const QByteArray &infix, QList<QPair<QString, quint64>> *sections)
{
    static constexpr QByteArrayView head("kmodscope: cycle ");
    const qsizetype at = text.indexOf(infix);
    if (!text.startsWith(head) || at < 0)
        return std::nullopt;
    bool ok = false;
    const int n = QByteArray(text.sliced(head.size(), at - head.size()).data(), at - head.size()).toInt(&ok);
    if (!ok)
        return std::nullopt;
    for (const QByteArray &pair :
         QByteArray(text.sliced(at + infix.size()).data(), text.size() - at - infix.size()).split(' ')) {
        const qsizetype eq = pair.indexOf('=');
        if (eq <= 0)
            continue;
        bool valid = false;
        const quint64 address = pair.mid(eq + 1).toULongLong(&valid, 16);
        if (valid)
            sections->append({QString::fromUtf8(pair.left(eq)), address});
    }
    return n;
}

// "kmodscope: cycle 12 begin run=ab12cd": the cycle number, when the line ends with `tail`.
std::optional<int> markerCycle(QByteArrayView text, const QByteArray &tail)
{
    static constexpr QByteArrayView head("kmodscope: cycle ");
    if (!text.startsWith(head) || !text.endsWith(tail))
        return std::nullopt;
    const QByteArrayView number = text.sliced(head.size(), text.size() - head.size() - tail.size());
    bool ok = false;
    const int n = QByteArray(number.data(), number.size()).toInt(&ok);
    return ok ? std::optional<int>(n) : std::nullopt;
}

} // namespace

QList<CycleConsole::Event> CycleConsole::feed(const QString &source, const QList<LogLine> &lines)
{
    QList<Event> events;
    for (const LogLine &line : lines) {
        if (line.flags & (LogLine::Event | LogLine::Sent))
            continue;
        const ConsoleLine parsed = parseConsoleLine(line.text, m_scratch);
        QByteArrayView text = parsed.text;
        while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\r'))
            text.chop(1);
        // A serial console may have a shell prompt (and its escapes) before the kernel's line.
        if (const qsizetype at = m_token.isEmpty() ? -1 : text.indexOf("kmodscope: cycle "); at >= 0) {
            text = text.sliced(at);
            if (const auto n = markerCycle(text, m_beginTail)) {
                m_current[source] = *n;
                if (parsed.timestamp && !m_beginTime.contains(*n))
                    m_beginTime.insert(*n, *parsed.timestamp);
                if (!m_began[*n].contains(source))
                    m_began[*n].append(source);
                forgetBefore(*n - keptCycles);
                events.append({Event::Kind::Begin, *n, source, ReportKind::Other, {}, line.timeNs, {}});
                continue;
            }
            QList<QPair<QString, quint64>> sections;
            if (const auto n = loadedMarker(text, m_loadedInfix, &sections)) {
                Event e{Event::Kind::Loaded, *n, source, ReportKind::Other, {}, line.timeNs, {}};
                e.sections = sections;
                events.append(e);
                continue;
            }
            if (const auto n = markerCycle(text, m_endTail)) {
                if (!m_ended[*n].contains(source))
                    m_ended[*n].append(source);
                events.append({Event::Kind::End, *n, source, ReportKind::Other, {}, line.timeNs, {}});
                continue;
            }
        }
        if (!parsed.fromKernel)
            continue;
        const int cycle = m_current.value(source, -1);
        QByteArrayView trimmed = text;
        while (!trimmed.isEmpty() && trimmed.front() == ' ')
            trimmed = trimmed.sliced(1);
        if (isPanicLine(trimmed)) {
            events.append(
                {Event::Kind::Panic, cycle, source, ReportKind::Panic, QString::fromUtf8(trimmed), line.timeNs, {}});
            continue;
        }
        if (const auto start = matchReportStart(trimmed)) {
            events.append(
                {Event::Kind::ReportStart, cycle, source, start->kind, QString::fromUtf8(trimmed), line.timeNs, {}});
            continue;
        }
        if (m_errorPattern.isValid() && !m_errorPattern.pattern().isEmpty()) {
            const QString s = QString::fromUtf8(trimmed);
            if (m_errorPattern.match(s).hasMatch())
                events.append({Event::Kind::ErrorLine, cycle, source, ReportKind::Other, s, line.timeNs, {}});
        }
    }
    return events;
}

void CycleConsole::forgetBefore(int cycle)
{
    // Markers come in order: at most one cycle falls out per begin marker.
    while (!m_beginTime.isEmpty() && m_beginTime.firstKey() < cycle)
        m_beginTime.erase(m_beginTime.begin());
    for (QHash<int, QStringList> *byCycle : {&m_began, &m_ended}) {
        if (byCycle->size() <= keptCycles)
            continue;
        for (auto it = byCycle->begin(); it != byCycle->end();)
            it = it.key() < cycle ? byCycle->erase(it) : std::next(it);
    }
}

int CycleConsole::cycleOf(const KernelReport &report) const
{
    if (report.timestamp && !m_beginTime.isEmpty()) {
        int cycle = -1;
        for (auto it = m_beginTime.cbegin(); it != m_beginTime.cend(); ++it) {
            if (it.value() <= *report.timestamp && it.key() > cycle)
                cycle = it.key();
        }
        if (cycle >= 0)
            return cycle;
    }
    return m_current.value(report.source, -1);
}

QStringList CycleConsole::sourcesThatBegan(int cycle) const
{
    return m_began.value(cycle);
}

bool CycleConsole::ended(int cycle, const QString &source) const
{
    return m_ended.value(cycle).contains(source);
}

} // namespace kms
