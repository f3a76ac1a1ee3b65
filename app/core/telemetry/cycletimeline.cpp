#include "telemetry/cycletimeline.h"

#include "cycle/cyclerunner.h"
#include "log/consoleline.h"
#include "node/nodesession.h"
#include "telemetry/telemetryhub.h"

#include <cmath>

namespace kms::telemetry {

CycleTimeline::CycleTimeline(QObject *parent)
    : QObject(parent)
{
}

void CycleTimeline::follow(NodeSession *session, CycleRunner *runner, const TelemetryHub *hub)
{
    for (const auto &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    if (hub) {
        const QPointer<const TelemetryHub> h(hub);
        m_toNode = [h](double s) {
            return h ? h->nodeTimeOfPrintk(s) : std::nullopt;
        };
    }
    if (session) {
        m_connections.append(connect(session, &NodeSession::linesReceived, this,
                                     [this](quint64, const QList<LogLine> &lines) { feed(lines); }));
    }
    if (runner) {
        // The token is made in start(), before the first state change of the run.
        m_connections.append(connect(runner, &CycleRunner::stateChanged, this,
                                     [this, runner](CycleRunner::State) { setRunToken(runner->runToken()); }));
        auto verdict = [this](const CycleResult &c) {
            setVerdict(c.n, c.verdict);
        };
        m_connections.append(connect(runner, &CycleRunner::cycleFinished, this, verdict));
        m_connections.append(connect(runner, &CycleRunner::cycleUpdated, this, verdict));
        setRunToken(runner->runToken());
    }
}

void CycleTimeline::setRunToken(const QString &token)
{
    if (token == m_token)
        return;
    m_token = token;
    m_tokenTail = " run=" + token.toLatin1();
    m_boundaries.clear();
    m_seen.clear();
    m_verdicts.clear();
    m_newest = 0;
    m_floor = 1;
    Q_EMIT runChanged(token);
}

std::optional<CycleBoundary> CycleTimeline::parse(const LogLine &line)
{
    static constexpr QByteArrayView head("kmodscope: cycle ");
    if (line.flags & (LogLine::Event | LogLine::Sent) || !line.text.contains(head))
        return std::nullopt;
    const ConsoleLine parsed = parseConsoleLine(line.text, m_scratch);
    QByteArrayView text = parsed.text;
    const qsizetype at = text.indexOf(head);
    if (at < 0)
        return std::nullopt;
    std::optional<double> printkS = parsed.timestamp;
    if (!printkS) {
        // A serial console may print a shell prompt before the kernel's line: its time then
        // is the bracket right before the marker.
        if (const qsizetype open = text.first(at).lastIndexOf('['); open >= 0) {
            const QByteArray rest = text.sliced(open).toByteArray();
            QByteArray scratch;
            printkS = parseConsoleLine(rest, scratch).timestamp;
        }
    }
    if (!printkS)
        return std::nullopt; // no kernel time (printk.time=0): nowhere to put it
    text = text.sliced(at + head.size());
    while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\r'))
        text.chop(1);
    // "N KIND run=TOKEN" (loaded: followed by the sections)
    const qsizetype sp = text.indexOf(' ');
    if (sp <= 0)
        return std::nullopt;
    bool ok = false;
    const int n = text.first(sp).toByteArray().toInt(&ok);
    if (!ok || n <= 0)
        return std::nullopt;
    QByteArrayView rest = text.sliced(sp + 1);
    const qsizetype run = rest.indexOf(m_tokenTail);
    if (run <= 0)
        return std::nullopt;
    const qsizetype after = run + m_tokenTail.size();
    if (after < rest.size() && rest[after] != ' ')
        return std::nullopt; // another token that starts with ours
    const QByteArrayView kind = rest.first(run);
    CycleBoundary b;
    if (kind == "begin")
        b.kind = CycleBoundary::Kind::Begin;
    else if (kind == "loaded")
        b.kind = CycleBoundary::Kind::Loaded;
    else if (kind == "unloaded")
        b.kind = CycleBoundary::Kind::Unloaded;
    else if (kind == "end")
        b.kind = CycleBoundary::Kind::End;
    else
        return std::nullopt;
    b.cycle = n;
    b.printkS = *printkS;
    const std::optional<qint64> node = m_toNode ? m_toNode(b.printkS) : std::nullopt;
    b.tNs = node.value_or(qint64(std::llround(b.printkS * 1e9)));
    return b;
}

void CycleTimeline::feed(const QList<LogLine> &lines)
{
    if (m_token.isEmpty())
        return;
    for (const LogLine &line : lines) {
        const auto b = parse(line);
        if (!b)
            continue;
        const qint64 key = qint64(b->cycle) * 4 + int(b->kind);
        if (b->cycle < m_floor || m_seen.contains(key))
            continue; // the other console's copy (or a forgotten cycle's)
        m_seen.insert(key);
        m_boundaries.append(*b);
        advanceTo(b->cycle);
        Q_EMIT boundary(*b);
        if (const auto v = verdictOf(b->cycle); v && b->kind == CycleBoundary::Kind::Begin)
            Q_EMIT verdictChanged(b->cycle, *v); // the verdict came before the marker line
    }
}

void CycleTimeline::setVerdict(int cycle, Verdict verdict)
{
    if (const auto it = m_verdicts.constFind(cycle); it != m_verdicts.cend() && *it == verdict)
        return;
    if (cycle >= m_floor) {
        m_verdicts.insert(cycle, verdict);
        advanceTo(cycle);
    }
    Q_EMIT verdictChanged(cycle, verdict); // a forgotten cycle may still be drawn
}

void CycleTimeline::setMaxCycles(int cycles)
{
    m_maxCycles = qMax(1, cycles);
    advanceTo(m_newest);
}

void CycleTimeline::advanceTo(int cycle)
{
    m_newest = qMax(m_newest, cycle);
    const int floor = m_newest - m_maxCycles + 1;
    if (floor > m_floor)
        forgetBelow(floor);
}

void CycleTimeline::forgetBelow(int floor)
{
    // Boundaries arrive cycle after cycle: the forgotten ones are at the front.
    qsizetype old = 0;
    while (old < m_boundaries.size() && m_boundaries.at(old).cycle < floor)
        ++old;
    m_boundaries.remove(0, old);
    if (qint64(floor - m_floor) * 4 < m_seen.size()) {
        for (int c = m_floor; c < floor; ++c) {
            for (int kind = 0; kind < 4; ++kind)
                m_seen.remove(qint64(c) * 4 + kind);
            m_verdicts.remove(c);
        }
    } else {
        m_seen.removeIf([floor](qint64 key) { return key < qint64(floor) * 4; });
        m_verdicts.removeIf([floor](const QHash<int, Verdict>::iterator it) { return it.key() < floor; });
    }
    m_floor = floor;
}

std::optional<Verdict> CycleTimeline::verdictOf(int cycle) const
{
    const auto it = m_verdicts.constFind(cycle);
    return it == m_verdicts.cend() ? std::nullopt : std::optional<Verdict>(*it);
}

} // namespace kms::telemetry
