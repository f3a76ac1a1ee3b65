#include "reportactions.h"

#include "bugreport.h"
#include "report/reportformatter.h"
#include "report/reportjson.h"
#include "reportsmodel.h"
#include "reportsview.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonDocument>
#include <QMenu>
#include <QSaveFile>
#include <QSettings>
#include <QTableView>
#include <QTreeWidget>

namespace kms::gui {

ReportActions::ReportActions(ReportsModel *model, ReportsView *view)
    : QObject(view)
    , m_model(model)
    , m_view(view)
{
    const auto make = [this](const QString &text, const QKeySequence &key, auto slot) {
        auto *a = new QAction(text, this);
        a->setShortcut(key);
        // Shown in the right-click menus too, where they are a reminder.
        a->setShortcutVisibleInContextMenu(true);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    m_copyTitle = make(tr("Copy &title"), {}, [this] {
        if (const ReportsModel::Entry *e = m_model->entry(m_view->currentReportId()))
            QApplication::clipboard()->setText(e->report.title);
    });
    m_copyBugReport = make(tr("Copy as &bug report"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C),
                           [this] { m_view->copyBugReport(); });
    m_export = make(tr("&Export report…"), QKeySequence(Qt::CTRL | Qt::Key_E), [this] { askExport(); });
    m_decodeAgain = make(tr("&Decode again"), QKeySequence(Qt::Key_F5), [this] {
        if (m_view->currentReportId() >= 0)
            Q_EMIT decodeAgainRequested(m_view->currentReportId());
    });
    m_decodeAgain->setToolTip(tr("Resolve the report's frames again (after adding a module or a path map)"));
    m_next = make(tr("&Next report"), QKeySequence(Qt::Key_F8), [this] { step(+1); });
    m_previous = make(tr("&Previous report"), QKeySequence(Qt::SHIFT | Qt::Key_F8), [this] { step(-1); });
    m_openInEditor = make(tr("&Open in editor"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E), [this] {
        int frame = -1;
        int caller = -1;
        if (currentFrame(&frame, &caller))
            Q_EMIT openInEditorRequested(m_view->currentReportId(), frame, caller);
    });
    m_copyLocation = make(tr("Copy &file:line"), {}, [this] {
        if (!currentLocation().isEmpty())
            QApplication::clipboard()->setText(currentLocation());
    });
    m_copyFrame = make(tr("Copy the f&rame"), {}, [this] {
        if (!currentFrameText().isEmpty())
            QApplication::clipboard()->setText(currentFrameText());
    });

    m_reportMenu = new QMenu(view);
    m_reportMenu->addActions({m_copyTitle, m_copyBugReport, m_export});
    m_reportMenu->addSeparator();
    m_reportMenu->addAction(m_decodeAgain);
    m_frameMenu = new QMenu(view);
    m_frameMenu->addActions({m_openInEditor, m_copyLocation, m_copyFrame});

    QTableView *list = view->reportList();
    list->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(list, &QWidget::customContextMenuRequested, this, &ReportActions::showReportMenu);
    QTreeWidget *frames = view->frameTree();
    frames->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(frames, &QWidget::customContextMenuRequested, this, &ReportActions::showFrameMenu);
    connect(view, &ReportsView::reportSelected, this, &ReportActions::updateEnabled);
    connect(frames, &QTreeWidget::currentItemChanged, this, &ReportActions::updateEnabled);
    connect(model, &QAbstractItemModel::rowsInserted, this, &ReportActions::updateEnabled);
    updateEnabled();
}

void ReportActions::fillMenu(QMenu *menu) const
{
    menu->addActions({m_next, m_previous});
    menu->addSeparator();
    menu->addActions({m_copyTitle, m_copyBugReport, m_export, m_decodeAgain});
    menu->addSeparator();
    menu->addActions({m_openInEditor, m_copyLocation, m_copyFrame});
}

void ReportActions::updateEnabled()
{
    const bool report = m_model->entry(m_view->currentReportId()) != nullptr;
    for (QAction *a : {m_copyTitle, m_copyBugReport, m_export, m_decodeAgain})
        a->setEnabled(report);
    m_next->setEnabled(m_model->rowCount() > 0);
    m_previous->setEnabled(m_model->rowCount() > 0);
    int frame = -1;
    int caller = -1;
    const bool haveFrame = report && currentFrame(&frame, &caller);
    m_copyFrame->setEnabled(haveFrame);
    m_copyLocation->setEnabled(haveFrame && !currentLocation().isEmpty());
    m_openInEditor->setEnabled(haveFrame && !currentLocation().isEmpty());
}

bool ReportActions::currentFrame(int *frame, int *caller) const
{
    return m_view->currentFrame(frame, caller);
}

const Frame *ReportActions::selectedFrame(int *caller) const
{
    const ReportsModel::Entry *e = m_model->entry(m_view->currentReportId());
    int frame = -1;
    if (!e || !currentFrame(&frame, caller) || frame >= e->report.frames.size())
        return nullptr;
    return &e->report.frames[frame];
}

QString ReportActions::currentLocation() const
{
    int caller = -1;
    const Frame *selected = selectedFrame(&caller);
    if (!selected)
        return {};
    const Frame &f = *selected;
    if (caller >= 0 && caller < f.inlinedBy.size())
        return QStringLiteral("%1:%2").arg(f.inlinedBy[caller].file).arg(f.inlinedBy[caller].line);
    return f.file.isEmpty() ? QString() : QStringLiteral("%1:%2").arg(f.file).arg(f.line);
}

QString ReportActions::currentFrameText() const
{
    int caller = -1;
    const Frame *selected = selectedFrame(&caller);
    if (!selected)
        return {};
    const Frame &f = *selected;
    // As the bug report lists it: unreliable frames keep their "?".
    return (f.reliable ? QString() : QStringLiteral("? ")) + formatFrameSymbol(f) + QStringLiteral("  ")
        + formatFrameLocation(f);
}

void ReportActions::step(int delta)
{
    const int rows = m_model->rowCount();
    if (rows == 0)
        return;
    const int row = m_model->rowOf(m_view->currentReportId());
    const int next = row < 0 ? 0 : qBound(0, row + delta, rows - 1);
    if (const ReportsModel::Entry *e = m_model->entryAt(next))
        m_view->selectReport(e->id);
}

void ReportActions::showReportMenu(const QPoint &pos)
{
    QTableView *list = m_view->reportList();
    const QModelIndex index = list->indexAt(pos);
    if (!index.isValid())
        return;
    m_view->selectReport(index.data(ReportsModel::ReportIdRole).toInt());
    updateEnabled();
    m_reportMenu->popup(list->viewport()->mapToGlobal(pos));
}

void ReportActions::showFrameMenu(const QPoint &pos)
{
    QTreeWidget *frames = m_view->frameTree();
    QTreeWidgetItem *item = frames->itemAt(pos);
    if (!item)
        return;
    frames->setCurrentItem(item);
    updateEnabled();
    m_frameMenu->popup(frames->viewport()->mapToGlobal(pos));
}

bool ReportActions::exportTo(const QString &path, QString *error) const
{
    const ReportsModel::Entry *e = m_model->entry(m_view->currentReportId());
    if (!e) {
        *error = tr("no report selected");
        return false;
    }
    const QByteArray data = path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)
        ? QJsonDocument(toJson(e->report)).toJson(QJsonDocument::Indented)
        : bugReportMarkdown(e->report).toUtf8();
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        *error = f.errorString();
        return false;
    }
    return true;
}

void ReportActions::askExport()
{
    const ReportsModel::Entry *e = m_model->entry(m_view->currentReportId());
    if (!e)
        return;
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("reports/exportDir")).toString();
    const QString name = QStringLiteral("%1-%2.md").arg(toString(e->report.kind).toLower()).arg(e->id);
    const QString path
        = QFileDialog::getSaveFileName(m_view, tr("Export report"), QDir(dir).filePath(name),
                                       tr("Markdown bug report (*.md);;kmodscope JSON, as the CLI writes (*.json)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("reports/exportDir"), QFileInfo(path).path());
    QString error;
    if (exportTo(path, &error))
        Q_EMIT message(tr("Exported the report to %1").arg(path), 8000);
    else
        Q_EMIT message(tr("Could not export to %1: %2").arg(path, error), 15000);
}

} // namespace kms::gui
