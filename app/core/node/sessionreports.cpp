#include "node/sessionreports.h"

#include "node/nodesession.h"

namespace kms {

static_assert(SessionReports::defaultKept == NodeSession::keptReports);

SessionReports::Key SessionReports::keyOf(const KernelReport &report)
{
    return {report.source, report.lines.value(0), report.timestamp};
}

QList<SessionReports::Key> SessionReports::keysOf(const QList<KernelReport> &reports)
{
    QList<Key> keys;
    keys.reserve(reports.size());
    for (const KernelReport &r : reports)
        keys.append(keyOf(r));
    return keys;
}

SessionReports::SessionReports(NodeSession *session, QObject *parent, qsizetype kept)
    : QObject(parent)
    , m_kept(qMax<qsizetype>(1, kept))
{
    if (session) {
        connect(session, &NodeSession::reportDetected, this,
                [this](int id, const KernelReport &report, const QList<quint64> &) { add(id, report); });
    }
}

void SessionReports::add(int sessionId, const KernelReport &report)
{
    const Key key = keyOf(report);
    m_ids.insert(key, sessionId);
    m_order.enqueue({key, sessionId});
    while (m_order.size() > m_kept) {
        const auto [oldKey, oldId] = m_order.dequeue();
        // A newer detection of the same printing stays.
        if (const auto it = m_ids.constFind(oldKey); it != m_ids.constEnd() && *it == oldId)
            m_ids.erase(it);
    }
}

int SessionReports::idOf(const QList<Key> &keys) const
{
    for (const Key &k : keys) {
        if (const auto it = m_ids.constFind(k); it != m_ids.constEnd())
            return *it;
    }
    return -1;
}

size_t qHash(const SessionReports::Key &key, size_t seed)
{
    return qHashMulti(seed, key.source, key.firstLine, key.timestamp.has_value(), key.timestamp.value_or(0.0));
}

} // namespace kms
