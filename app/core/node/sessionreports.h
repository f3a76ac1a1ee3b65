// Which of a NodeSession's reports a cycle's report is. A cycle run keeps its own copies of the
// reports it saw (resolved with the sections of the load they belong to); the session numbers
// the same reports as it detected them. One printing of a report has the same source, first
// line and kernel time of its first line in both, and that is what is matched: a report
// printed again (after a reboot, on another source) is another printing. The Cycles and Hunt
// docks use this to take a click on a cycle or a crash to the report in the Reports dock.
#pragma once

#include "report/kernelreport.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QQueue>

#include <optional>

namespace kms {

class NodeSession;

class SessionReports : public QObject
{
    Q_OBJECT
public:
    // What identifies one printing of a report.
    struct Key {
        QString source;
        QString firstLine;
        std::optional<double> timestamp;
        bool operator==(const Key &o) const = default;
    };
    static Key keyOf(const KernelReport &report);
    static QList<Key> keysOf(const QList<KernelReport> &reports);

    static constexpr qsizetype defaultKept = 10000; // as many as the session keeps

    // Follows session's reportDetected (nullptr: reports are add()ed). The newest `kept`
    // detections are remembered.
    explicit SessionReports(NodeSession *session, QObject *parent = nullptr, qsizetype kept = defaultKept);

    void add(int sessionId, const KernelReport &report);
    // The session's id of the first of keys (or reports) it detected; when one printing was
    // detected twice, the newer. -1: none.
    int idOf(const QList<Key> &keys) const;
    int idOf(const QList<KernelReport> &reports) const { return idOf(keysOf(reports)); }

private:
    qsizetype m_kept;
    QHash<Key, int> m_ids;
    QQueue<QPair<Key, int>> m_order; // oldest first, to forget beyond m_kept
};

size_t qHash(const SessionReports::Key &key, size_t seed = 0);

} // namespace kms
