// "Decode selection" in the console: the selected lines are read as a log of their own (a source
// "selection N"), so that the reports in them are detected and decoded as if live; the report
// found (or the one it is a copy of) becomes the selected one. Says so when there is none.
#pragma once

#include <QObject>
#include <QStringList>

namespace kms {
class NodeSession;
struct KernelReport;
} // namespace kms

namespace kms::gui {

class ReportsView;

class SelectionDecoder : public QObject
{
    Q_OBJECT
public:
    SelectionDecoder(NodeSession *session, ReportsView *view, QObject *parent = nullptr);

    // The id of the report found in the lines (-1: none). Reports are detected before it returns.
    int decode(const QStringList &lines);

Q_SIGNALS:
    void message(const QString &text, int timeoutMs);

private:
    NodeSession *m_session;
    ReportsView *m_view;
    QString m_source; // of the decode running, empty otherwise
    int m_found = -1;
    int m_count = 0;
};

} // namespace kms::gui
