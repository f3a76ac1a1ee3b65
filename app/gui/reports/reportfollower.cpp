#include "reportfollower.h"

#include "reportsmodel.h"
#include "reportsview.h"

#include <QEvent>
#include <QTableView>
#include <QTreeWidget>

namespace kms::gui {

ReportFollower::ReportFollower(ReportsModel *model, ReportsView *view, QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_view(view)
{
    connect(view, &ReportsView::reportSelected, this, [this](int id) {
        if (m_selecting)
            return;
        m_lastManual.start();
        if (id != m_pending)
            m_pending = -1;
    });
    connect(view, &ReportsView::frameActivated, this, [this] {
        if (m_selecting)
            return;
        m_lastManual.start();
        m_pending = -1;
    });
    // A click on the row already selected, a scroll through the frames: the user is reading.
    for (QWidget *w : {static_cast<QWidget *>(view->reportList()), view->reportList()->viewport(),
                       static_cast<QWidget *>(view->frameTree()), view->frameTree()->viewport()})
        w->installEventFilter(this);
}

bool ReportFollower::eventFilter(QObject *watched, QEvent *event)
{
    switch (event->type()) {
    case QEvent::MouseButtonPress:
    case QEvent::KeyPress:
    case QEvent::Wheel:
        m_lastManual.start();
        break;
    default:
        break;
    }
    return QObject::eventFilter(watched, event);
}

bool ReportFollower::userBusy() const
{
    return !m_always && m_lastManual.isValid() && m_lastManual.elapsed() < busyMs;
}

int ReportFollower::guiltyFrame(const KernelReport &report)
{
    const auto hasLine = [](const Frame &f) {
        return f.line > 0 && !f.file.isEmpty();
    };
    for (qsizetype i = 0; i < report.frames.size(); ++i) {
        const Frame &f = report.frames[i];
        if (f.reliable && hasLine(f) && !f.module.isEmpty() && f.function == report.guiltyFunction
            && (report.guiltyModule.isEmpty() || f.module == report.guiltyModule))
            return int(i);
    }
    for (qsizetype i = 0; i < report.frames.size(); ++i) {
        const Frame &f = report.frames[i];
        if (f.reliable && hasLine(f) && !f.module.isEmpty())
            return int(i);
    }
    for (qsizetype i = 0; i < report.frames.size(); ++i) {
        if (report.frames[i].reliable && hasLine(report.frames[i]))
            return int(i);
    }
    return -1;
}

void ReportFollower::reportDetected(int id)
{
    if (userBusy())
        return;
    m_selecting = true;
    m_view->selectReport(id, false);
    m_selecting = false;
    m_pending = id;
    const ReportsModel::Entry *e = m_model->entry(id);
    if (e && e->resolved)
        reportResolved(id);
}

void ReportFollower::reportResolved(int id)
{
    // Only the first resolution of a report we selected: resolving again (a module picked, a
    // path map added) must not move a view the user has since arranged.
    if (id != m_pending || m_view->currentReportId() != id || userBusy())
        return;
    const ReportsModel::Entry *e = m_model->entry(id);
    if (!e)
        return;
    const int frame = guiltyFrame(e->report);
    if (frame < 0)
        return; // keep pending: fetching the .ko from the node resolves it again
    m_pending = -1;
    m_selecting = true;
    if (QTreeWidgetItem *item = m_view->frameItem(frame))
        m_view->frameTree()->setCurrentItem(item);
    m_selecting = false;
    Q_EMIT openFrame(id, frame);
}

} // namespace kms::gui
