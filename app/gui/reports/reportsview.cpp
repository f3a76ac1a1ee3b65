#include "reportsview.h"

#include "bugreport.h"
#include "codeview.h"
#include "report/reportformatter.h"
#include "reportactions.h"
#include "reportsmodel.h"
#include "symbols/symbolizer.h"

#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace kms::gui {

namespace {
enum FrameColumn { FunctionCol, ModuleCol, ContextCol, LocationCol };
constexpr int FrameIndexRole = Qt::UserRole + 1;
constexpr int CallerIndexRole = Qt::UserRole + 2;
} // namespace

ReportsView::ReportsView(ReportsModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *split = new QSplitter(Qt::Vertical, this);

    m_list = new QTableView(split);
    m_list->setModel(model);
    m_list->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->verticalHeader()->hide();
    m_list->verticalHeader()->setDefaultSectionSize(m_list->fontMetrics().height() + 4);
    m_list->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_list->horizontalHeader()->setSectionResizeMode(ReportsModel::TitleColumn, QHeaderView::Stretch);
    // The title names the guilty function already: its own column gets a fair width, not all
    // of its text (long kernel names would squeeze the title to a few letters).
    m_list->horizontalHeader()->setSectionResizeMode(ReportsModel::GuiltyColumn, QHeaderView::Interactive);
    m_list->horizontalHeader()->resizeSection(ReportsModel::GuiltyColumn,
                                              m_list->fontMetrics().averageCharWidth() * 22);
    m_list->setWordWrap(false);
    // A long title keeps its start and its end ("... in prudaq_comm_receive_msg"); the tooltip
    // has it whole.
    m_list->setTextElideMode(Qt::ElideMiddle);

    auto *detail = new QWidget(split);
    auto *dl = new QVBoxLayout(detail);
    dl->setContentsMargins(0, 0, 0, 0);
    auto *top = new QHBoxLayout;
    m_summary = new QLabel(detail);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_copy = new QPushButton(tr("Copy as bug report"), detail);
    m_copy->setEnabled(false);
    top->addWidget(m_summary, 1);
    top->addWidget(m_copy, 0, Qt::AlignTop);
    dl->addLayout(top);
    m_noticeBox = new QWidget(detail);
    auto *nl = new QHBoxLayout(m_noticeBox);
    nl->setContentsMargins(0, 0, 0, 0);
    m_notice = new QLabel(m_noticeBox);
    m_notice->setWordWrap(true);
    m_notice->setStyleSheet(QStringLiteral("color: #a05000"));
    auto *pick = new QPushButton(tr("Add .ko…"), m_noticeBox);
    connect(pick, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Module file"), {},
                                                          tr("Kernel modules (*.ko *.ko.xz *.ko.zst);;All files (*)"));
        if (!path.isEmpty())
            Q_EMIT moduleFilePicked(path);
    });
    m_fetch = new QPushButton(tr("Fetch from node"), m_noticeBox);
    m_fetch->setEnabled(false);
    m_fetch->setToolTip(tr("No SSH link is up"));
    connect(m_fetch, &QPushButton::clicked, this, [this] {
        m_fetchStatus->setText(tr("Fetching %1 from the node…").arg(m_missing.join(QStringLiteral(", "))));
        Q_EMIT moduleFetchRequested(m_missing);
    });
    m_fetchStatus = new QLabel(m_noticeBox);
    m_fetchStatus->setWordWrap(true);
    m_fetchStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *texts = new QVBoxLayout;
    texts->addWidget(m_notice);
    texts->addWidget(m_fetchStatus);
    nl->addLayout(texts, 1);
    nl->addWidget(m_fetch, 0, Qt::AlignTop);
    nl->addWidget(pick, 0, Qt::AlignTop);
    m_noticeBox->hide();
    dl->addWidget(m_noticeBox);
    m_explanation = new QLabel(detail);
    m_explanation->setObjectName(QStringLiteral("faultExplanation"));
    m_explanation->setWordWrap(true);
    m_explanation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_explanation->hide();
    dl->addWidget(m_explanation);

    auto *tabs = new QTabWidget(detail);
    m_frames = new QTreeWidget(tabs);
    m_frames->setColumnCount(4);
    m_frames->setHeaderLabels({tr("Function"), tr("Module"), tr("Context"), tr("Source")});
    m_frames->setRootIsDecorated(true);
    m_frames->setUniformRowHeights(true);
    m_frames->setTextElideMode(Qt::ElideMiddle);
    // file:line, module and context are short and always whole; the function takes the rest.
    m_frames->header()->setStretchLastSection(false);
    m_frames->header()->setSectionResizeMode(FunctionCol, QHeaderView::Stretch);
    for (int col : {ModuleCol, ContextCol, LocationCol})
        m_frames->header()->setSectionResizeMode(col, QHeaderView::ResizeToContents);
    tabs->addTab(m_frames, tr("Frames"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_registers = new QPlainTextEdit(tabs);
    m_registers->setReadOnly(true);
    m_registers->setFont(mono);
    tabs->addTab(m_registers, tr("Registers"));
    m_registers->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_code = new CodeView(tabs);
    tabs->addTab(m_code, tr("Code"));
    dl->addWidget(tabs, 1);
    split->addWidget(m_list);
    split->addWidget(detail);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    layout->addWidget(split);

    connect(m_list->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid()) {
                    showReport(current.data(ReportsModel::ReportIdRole).toInt());
                    Q_EMIT reportSelected(m_reportId);
                }
            });
    for (auto signal : {&ReportsModel::reportResolved, &ReportsModel::reportUpdated}) {
        connect(model, signal, this, [this](int id) {
            if (id == m_reportId)
                showReport(id);
        });
    }
    auto activate = [this](QTreeWidgetItem *item) {
        if (!item || m_reportId < 0)
            return;
        Q_EMIT frameActivated(m_reportId, item->data(0, FrameIndexRole).toInt(),
                              item->data(0, CallerIndexRole).toInt());
    };
    connect(m_frames, &QTreeWidget::itemClicked, this, activate);
    // A report shown by itself (ReportFollower) counts as read once the user touches it.
    connect(m_list, &QAbstractItemView::pressed, this,
            [this](const QModelIndex &index) { m_model->markRead(index.data(ReportsModel::ReportIdRole).toInt()); });
    connect(m_frames, &QTreeWidget::itemPressed, this, [this] { m_model->markRead(m_reportId); });
    connect(m_frames, &QTreeWidget::itemActivated, this, activate);
    connect(m_copy, &QPushButton::clicked, this, &ReportsView::copyBugReport);
    m_actions = new ReportActions(model, this);
}

QPlainTextEdit *ReportsView::disassemblyView() const
{
    return m_code;
}

bool ReportsView::currentFrame(int *frame, int *caller) const
{
    const QTreeWidgetItem *item = m_frames->currentItem();
    if (!item || m_reportId < 0)
        return false;
    *frame = item->data(0, FrameIndexRole).toInt();
    *caller = item->data(0, CallerIndexRole).toInt();
    return true;
}

void ReportsView::selectReport(int id, bool markRead)
{
    const int row = m_model->rowOf(id);
    const bool again = id == m_reportId;
    m_keepUnread = !markRead;
    if (row >= 0)
        m_list->selectRow(row);
    m_keepUnread = false;
    if (markRead && row >= 0 && again) {
        // Already current, so selectRow changed nothing: selecting it by hand still shows it.
        m_model->markRead(id);
        Q_EMIT reportSelected(id);
    }
}

QTreeWidgetItem *ReportsView::frameItem(int frameIndex) const
{
    return frameIndex >= 0 && frameIndex < m_frames->topLevelItemCount() ? m_frames->topLevelItem(frameIndex) : nullptr;
}

void ReportsView::showReport(int id)
{
    const ReportsModel::Entry *e = m_model->entry(id);
    if (!e)
        return;
    const bool sameReport = id == m_reportId;
    const int currentFrame
        = sameReport && m_frames->currentItem() ? m_frames->indexOfTopLevelItem(m_frames->currentItem()) : -1;
    m_reportId = id;
    if (!m_keepUnread && !sameReport)
        m_model->markRead(id);
    const KernelReport &r = e->report;
    QString summary = QStringLiteral("<b>%1</b>").arg(r.title.toHtmlEscaped());
    QStringList facts;
    facts.append(toString(r.kind) + (r.panicked ? tr(", panicked") : QString())
                 + (r.corrupted ? tr(", corrupted") : QString()));
    if (r.faultAddress)
        facts.append(tr("fault address 0x%1").arg(*r.faultAddress, 0, 16));
    if (r.cpu)
        facts.append(tr("CPU %1").arg(*r.cpu));
    if (r.pid)
        facts.append(tr("PID %1 (%2)").arg(*r.pid).arg(r.comm.toHtmlEscaped()));
    if (!r.kernelRelease.isEmpty())
        facts.append(r.kernelRelease.toHtmlEscaped());
    if (!r.source.isEmpty())
        facts.append(tr("on %1").arg(QStringList(QStringList{r.source} + e->alsoOn).join(QStringLiteral(", "))));
    if (!e->resolved)
        facts.append(tr("<i>resolving…</i>"));
    summary += QStringLiteral("<br>") + facts.join(QStringLiteral(" · "));
    m_summary->setText(summary);
    m_copy->setEnabled(true);
    showExplanation(r);

    QStringList missing;
    m_frames->clear();
    for (qsizetype i = 0; i < r.frames.size(); ++i) {
        const Frame &f = r.frames[i];
        auto *item = new QTreeWidgetItem(m_frames);
        QString symbol = (f.reliable ? QString() : QStringLiteral("? ")) + formatFrameSymbol(f);
        if (!f.inlinedFunction.isEmpty())
            symbol += tr("  (line in inlined %1)").arg(f.inlinedFunction);
        item->setText(FunctionCol, symbol);
        item->setText(ModuleCol, f.module);
        item->setText(ContextCol, toString(f.context));
        item->setData(0, FrameIndexRole, int(i));
        item->setData(0, CallerIndexRole, -1);
        if (!f.file.isEmpty()) {
            // file:line fits the column; the full path is in the tooltip and the Source dock.
            item->setText(LocationCol, QStringLiteral("%1:%2").arg(QFileInfo(f.file).fileName()).arg(f.line));
            item->setToolTip(LocationCol, QStringLiteral("%1:%2:%3").arg(f.file).arg(f.line).arg(f.column));
            if (!f.sourceExists)
                item->setForeground(LocationCol, QColor(160, 100, 0));
        } else {
            item->setText(LocationCol, e->resolved ? f.error : tr("resolving…"));
            item->setForeground(LocationCol, Qt::gray);
            if (f.error == symbolerror::ModuleNotGiven && !f.module.isEmpty() && !missing.contains(f.module))
                missing.append(f.module);
        }
        if (item->toolTip(LocationCol).isEmpty())
            item->setToolTip(LocationCol, item->text(LocationCol));
        item->setToolTip(FunctionCol,
                         f.reliable ? symbol
                                    : tr("%1\n\"?\": an address found on the stack, perhaps a leftover of an "
                                         "earlier call, not certainly part of this call chain")
                                          .arg(symbol));
        if (!f.reliable) {
            for (int col = 0; col < m_frames->columnCount(); ++col)
                item->setForeground(col, Qt::gray);
        }
        for (qsizetype c = 0; c < f.inlinedBy.size(); ++c) {
            const InlineCaller &ic = f.inlinedBy[c];
            auto *child = new QTreeWidgetItem(item);
            child->setText(FunctionCol, tr("inlined into %1").arg(ic.function));
            child->setText(LocationCol, QStringLiteral("%1:%2").arg(QFileInfo(ic.file).fileName()).arg(ic.line));
            child->setToolTip(LocationCol, QStringLiteral("%1:%2:%3").arg(ic.file).arg(ic.line).arg(ic.column));
            child->setData(0, FrameIndexRole, int(i));
            child->setData(0, CallerIndexRole, int(c));
        }
    }
    m_frames->expandAll();
    if (currentFrame >= 0 && currentFrame < m_frames->topLevelItemCount())
        m_frames->setCurrentItem(m_frames->topLevelItem(currentFrame));
    m_missing = missing;
    if (!missing.isEmpty()) {
        m_notice->setText(tr("No .ko given for module(s) %1: fetch it from the node, add the file here, or add "
                             "its directory to the profile (Profiles…), to resolve their frames.")
                              .arg(missing.join(QStringLiteral(", "))));
        m_noticeBox->show();
        Q_EMIT missingModules(missing);
    } else {
        m_noticeBox->hide();
    }

    // The kernel prints x86 and ARM registers three to a line, arm64 two.
    m_registers->setPlainText(registerListing(r, r.arch == Arch::Arm64 ? 2 : r.arch == Arch::Unknown ? 4 : 3));
    m_code->setListing(codeListing(r));
}

// The explanation's summary with its `code` spans as code; confidence sets the colour of the
// "Fault:" lead so that a guess does not read like a finding.
void ReportsView::showExplanation(const KernelReport &report)
{
    if (!report.explanation || report.explanation->summary.isEmpty()) {
        m_explanation->hide();
        m_explanation->clear();
        return;
    }
    const FaultExplanation &e = *report.explanation;
    const QStringList parts = e.summary.toHtmlEscaped().split(QLatin1Char('`'));
    QString html;
    for (qsizetype i = 0; i < parts.size(); ++i)
        html += i % 2 ? QStringLiteral("<code>%1</code>").arg(parts[i]) : parts[i];
    const QString colour = e.confidence == QLatin1String("high") ? QStringLiteral("#006000")
        : e.confidence == QLatin1String("medium")                ? QStringLiteral("#705000")
                                                                 : QStringLiteral("#a00000");
    m_explanation->setText(QStringLiteral("<b style=\"color:%1\">%2</b> %3").arg(colour, tr("Fault:"), html));
    m_explanation->setToolTip(e.notes.join(QLatin1Char('\n')));
    m_explanation->show();
}

void ReportsView::setFetchAvailable(bool on, const QString &why)
{
    m_fetch->setEnabled(on);
    m_fetch->setToolTip(on ? tr("modinfo -n on the node, then copy the module from there") : why);
}

void ReportsView::setFetchStatus(const QString &text)
{
    m_fetchStatus->setText(text);
}

QString ReportsView::noticeText() const
{
    return m_noticeBox->isHidden() ? QString() : m_notice->text() + QLatin1Char('\n') + m_fetchStatus->text();
}

QString ReportsView::bugReport() const
{
    const ReportsModel::Entry *e = m_model->entry(m_reportId);
    return e ? bugReportMarkdown(e->report) : QString();
}

void ReportsView::copyBugReport()
{
    QApplication::clipboard()->setText(bugReport());
}

} // namespace kms::gui
