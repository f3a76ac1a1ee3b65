#include "selectiondecoder.h"

#include "node/nodesession.h"
#include "reportsview.h"

namespace kms::gui {

SelectionDecoder::SelectionDecoder(NodeSession *session, ReportsView *view, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_view(view)
{
    connect(session, &NodeSession::reportDetected, this, [this](int id, const KernelReport &report) {
        if (!m_source.isEmpty() && report.source == m_source && m_found < 0)
            m_found = id;
    });
    // Lines of a report the session has already: it pairs them with that one.
    connect(session, &NodeSession::duplicateDetected, this, [this](int original, const KernelReport &copy) {
        if (!m_source.isEmpty() && copy.source == m_source && m_found < 0)
            m_found = original;
    });
}

int SelectionDecoder::decode(const QStringList &lines)
{
    m_source = tr("selection %1").arg(++m_count);
    m_found = -1;
    QList<LogLine> batch;
    const qint64 now = hostTimeNowNs();
    for (const QString &l : lines)
        batch.append({now, m_source, l.toUtf8(), 0});
    m_session->feedLines(batch);
    m_session->finishReports(); // the detector's signals arrive before this returns
    const int found = m_found;
    m_source.clear();
    if (found < 0) {
        Q_EMIT message(tr("No kernel report in the %n selected line(s)", nullptr, int(lines.size())), 10000);
        return -1;
    }
    m_view->selectReport(found);
    return found;
}

} // namespace kms::gui
