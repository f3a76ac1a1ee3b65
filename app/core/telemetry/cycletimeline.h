// Reload cycles on the telemetry's time axis. The cycle script writes "kmodscope: cycle N begin|
// loaded|unloaded|end run=TOKEN" into the node's kernel log; each marker line's printk time,
// put on CLOCK_MONOTONIC by the hub's PrintkClock (the samples' clock, and the reports'), is a
// boundary of cycle N. Serial and SSH carry the same line: the first copy counts. The runner
// gives each cycle's verdict (again when a late report changes it). Only the runner's current
// run is taken (its token): an older run's markers replayed by dmesg are not this run's cycles.
// Only the newest maxCycles() cycles are held (boundaries, verdicts, the copies already seen):
// memory stays bounded over a run of any length, like the telemetry store's; an older cycle's
// late line or verdict is not stored again.
//
// Lives in the GUI's thread (or the CLI's); fed by signals, nothing blocks.
#pragma once

#include "cycle/cycleresult.h"
#include "log/logline.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <functional>
#include <optional>

namespace kms {
class CycleRunner;
class NodeSession;
} // namespace kms

namespace kms::telemetry {

class TelemetryHub;

struct CycleBoundary {
    enum class Kind { Begin, Loaded, Unloaded, End };
    int cycle = 0;
    Kind kind = Kind::Begin;
    qint64 tNs = 0; // node CLOCK_MONOTONIC (as printk's clock until the hub has measured it)
    double printkS = 0; // the marker line's kernel time
};

class CycleTimeline : public QObject
{
    Q_OBJECT
public:
    explicit CycleTimeline(QObject *parent = nullptr);

    // The session's lines (every source), the runner's run token and verdicts, and the hub's
    // clock (optional: without it, printk time is taken as node time).
    void follow(kms::NodeSession *session, kms::CycleRunner *runner, const TelemetryHub *hub);
    // How printk seconds become node time (the hub's nodeTimeOfPrintk, as follow() sets it).
    void setClock(std::function<std::optional<qint64>(double)> printkToNodeNs) { m_toNode = std::move(printkToNodeNs); }
    // The run whose markers count (a new token forgets the previous run's boundaries).
    void setRunToken(const QString &token);
    QString runToken() const { return m_token; }

    void feed(const QList<kms::LogLine> &lines);
    void setVerdict(int cycle, kms::Verdict verdict);

    // The newest cycles held: as many as the plot draws (CycleMarkers::maxBoundaries, 4 a
    // cycle), ~6 MB. A smaller bound drops the older cycles at once.
    static constexpr int DefaultMaxCycles = 25'000;
    void setMaxCycles(int cycles);
    int maxCycles() const { return m_maxCycles; }

    const QList<CycleBoundary> &boundaries() const { return m_boundaries; }
    std::optional<kms::Verdict> verdictOf(int cycle) const;

Q_SIGNALS:
    void boundary(const kms::telemetry::CycleBoundary &boundary);
    void verdictChanged(int cycle, kms::Verdict verdict);
    // A new run started: the previous run's boundaries no longer apply.
    void runChanged(const QString &token);

private:
    std::optional<CycleBoundary> parse(const kms::LogLine &line);
    // Cycle `cycle` was seen: forgets the cycles that fall out of the newest m_maxCycles.
    void advanceTo(int cycle);
    void forgetBelow(int floor);

    QString m_token;
    QByteArray m_tokenTail; // " run=TOKEN"
    QList<CycleBoundary> m_boundaries; // in arrival order
    QSet<qint64> m_seen; // cycle * 4 + kind
    QHash<int, kms::Verdict> m_verdicts;
    int m_maxCycles = DefaultMaxCycles;
    int m_newest = 0; // the highest cycle seen in this run
    int m_floor = 1; // cycles below are forgotten
    std::function<std::optional<qint64>(double)> m_toNode;
    QList<QMetaObject::Connection> m_connections;
    QByteArray m_scratch;
};

} // namespace kms::telemetry
