#include "huntview.h"

#include "cycle/cyclerunner.h"
#include "cyclesdecoder.h"
#include "hunt/runnerbackend.h"
#include "huntcelldelegate.h"
#include "huntgridmodel.h"
#include "node/nodesession.h"

#include <QApplication>
#include <QClipboard>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace kms::gui {

using namespace kms::hunt;

namespace {

const QString formKey = QStringLiteral("hunt/form");

} // namespace

HuntView::HuntView(NodeSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_decoder(new CyclesDecoder(this))
    , m_model(new HuntGridModel(this))
{
    setObjectName(QStringLiteral("HuntView"));
    buildUi();
    m_form->fromJson(QJsonDocument::fromJson(QSettings().value(formKey).toByteArray()).object());
    connect(m_decoder, &CyclesDecoder::ready, this, &HuntView::startWithDecoder);
    m_sessionReports = new SessionReports(session, this);
    setRunning(false);
}

HuntView::~HuntView()
{
    // The hunt uses the backend, the backend the runner, the runner the decoder's symbolizer.
    m_hunt.reset();
    m_backend.reset();
    m_runner.reset();
}

void HuntView::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_form = new HuntForm(this);
    layout->addWidget(m_form);

    auto *buttons = new QHBoxLayout;
    // The settings fold away while a hunt runs: the heat map gets the dock's height.
    m_settings = new QToolButton(this);
    m_settings->setText(tr("Settings"));
    m_settings->setCheckable(true);
    m_settings->setChecked(true);
    m_settings->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_settings->setArrowType(Qt::DownArrow);
    connect(m_settings, &QToolButton::toggled, this, [this](bool on) {
        m_form->setVisible(on);
        m_settings->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
    });
    buttons->addWidget(m_settings);
    m_start = new QPushButton(tr("Start"), this);
    m_start->setObjectName(QStringLiteral("huntStart"));
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("huntStop"));
    m_stop->setToolTip(tr("Ends the hunt after the cycle in flight; the module is left unloaded"));
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(true);
    m_rate = new QLabel(this);
    m_rate->setMinimumWidth(m_rate->fontMetrics().horizontalAdvance(QStringLiteral("000.0 cycles/min")));
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_rate);
    layout->addLayout(buttons);
    connect(m_start, &QPushButton::clicked, this, &HuntView::start);
    connect(m_stop, &QPushButton::clicked, this, &HuntView::stop);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("huntStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    auto *split = new QSplitter(Qt::Horizontal, this);
    m_grid = new QTableView(split);
    m_grid->setObjectName(QStringLiteral("huntGrid"));
    m_grid->setModel(m_model);
    m_grid->setItemDelegate(new HuntCellDelegate(m_grid));
    m_grid->setSelectionMode(QAbstractItemView::SingleSelection);
    m_grid->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_grid->setShowGrid(false);
    const HuntCellDelegate sizer;
    QStyleOptionViewItem option;
    option.font = m_grid->font();
    const QSize cell = sizer.sizeHint(option, {});
    m_grid->horizontalHeader()->setDefaultSectionSize(cell.width());
    m_grid->verticalHeader()->setDefaultSectionSize(cell.height());
    m_grid->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_grid->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    connect(m_grid, &QTableView::clicked, this, [this](const QModelIndex &index) { showCell(m_model->cellAt(index)); });

    auto *side = new QWidget(split);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    m_cellTitle = new QLabel(tr("Click a cell for its crashes"), side);
    m_cellTitle->setWordWrap(true);
    sideLayout->addWidget(m_cellTitle);
    m_crashes = new QTreeWidget(side);
    m_crashes->setObjectName(QStringLiteral("huntCrashes"));
    m_crashes->setHeaderLabels({tr("Cycle"), tr("Report")});
    m_crashes->setRootIsDecorated(false);
    m_crashes->header()->setStretchLastSection(true);
    m_crashes->setColumnWidth(0, m_crashes->fontMetrics().horizontalAdvance(QStringLiteral("Cycle 0000")));
    sideLayout->addWidget(m_crashes, 1);
    connect(m_crashes, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem *item) {
        if (const int id = sessionReportOf(m_shownCell, item->data(0, Qt::UserRole).toLongLong()); id >= 0)
            Q_EMIT reportRequested(id);
    });
    split->addWidget(m_grid);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    m_compare = new QLabel(this);
    m_compare->setObjectName(QStringLiteral("huntCompareStatement"));
    m_compare->setWordWrap(true);
    m_compare->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_compare->hide();
    layout->addWidget(m_compare);

    auto *best = new QGridLayout;
    const auto commandRow
        = [this, best](int row, const QString &label, QLineEdit *&edit, QPushButton *&copy, const QString &name) {
              edit = new QLineEdit(this);
              edit->setObjectName(name);
              edit->setReadOnly(true);
              edit->setPlaceholderText(tr("no crash yet"));
              copy = new QPushButton(tr("Copy"), this);
              copy->setEnabled(false);
              connect(copy, &QPushButton::clicked, this, [edit] { QApplication::clipboard()->setText(edit->text()); });
              connect(edit, &QLineEdit::textChanged, copy,
                      [copy](const QString &text) { copy->setEnabled(!text.isEmpty()); });
              best->addWidget(new QLabel(label, this), row, 0);
              best->addWidget(edit, row, 1);
              best->addWidget(copy, row, 2);
          };
    commandRow(0, tr("Best reproducer, on the node:"), m_nodeCommand, m_copyNode, QStringLiteral("huntNodeCommand"));
    commandRow(1, tr("with kmodscope:"), m_cliCommand, m_copyCli, QStringLiteral("huntCliCommand"));
    layout->addLayout(best);
}

void HuntView::fitColumns()
{
    // A cell is as wide as its text, or its condition's header if that is wider.
    const QFontMetrics fm(m_grid->horizontalHeader()->font());
    const int cell = m_grid->horizontalHeader()->defaultSectionSize();
    for (int c = 0; c < m_model->columnCount(); ++c) {
        const QString header = m_model->headerData(c, Qt::Horizontal).toString();
        m_grid->setColumnWidth(c, std::max(cell, fm.horizontalAdvance(header) + 20));
    }
}

void HuntView::setDefaultModule(const QString &module)
{
    m_form->setDefaultModule(module);
}

void HuntView::setRunning(bool running)
{
    const bool changed = m_running != running;
    m_running = running;
    m_form->setEnabled(!running);
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    if (changed)
        Q_EMIT runningChanged(running);
}

QString HuntView::statusText() const
{
    return m_status->text();
}

QString HuntView::rateText() const
{
    return m_rate->text();
}

QString HuntView::compareText() const
{
    return m_compare->text();
}

std::optional<HuntResult> HuntView::result() const
{
    if (m_final)
        return m_final;
    if (m_hunt)
        return m_hunt->result();
    return std::nullopt;
}

void HuntView::start()
{
    if (m_running)
        return;
    QString error;
    auto prepared = m_form->prepare(&error);
    if (!prepared) {
        m_status->setText(tr("Not started: %1").arg(error));
        return;
    }
    if (const QString busy = m_busyCheck ? m_busyCheck() : QString(); !busy.isEmpty()) {
        m_status->setText(tr("Not started: %1").arg(busy));
        return;
    }
    if (!m_session->sshUp()) {
        m_status->setText(tr("Not started: SSH to the node is not up (the hunt's commands go over it)"));
        return;
    }
    QSettings().setValue(formKey, QJsonDocument(m_form->toJson()).toJson(QJsonDocument::Compact));

    m_hunt.reset();
    m_backend.reset();
    m_runner = std::make_unique<CycleRunner>();
    m_runner->follow(m_session);
    const SshSettings &ssh = m_session->sshSettings();
    m_backend = std::make_unique<RunnerBackend>(m_runner.get(), m_session, ssh, prepared->run);
    const bool ok = prepared->compare == HuntForm::CompareMode::KoFiles
        ? m_backend->setBuilds(prepared->hunt.builds, &error)
        : prepared->compare == HuntForm::CompareMode::InstallCommands
        ? m_backend->setInstallCommands(prepared->hunt.builds, &error)
        : true;
    if (!ok) {
        m_status->setText(tr("Not started: %1").arg(error));
        return;
    }
    for (const NodeBuild &b : m_backend->builds())
        prepared->hunt.buildNodePaths << b.nodePath;
    ReproducerContext &context = prepared->hunt.reproducer;
    context.module = prepared->run.module;
    context.insmodPath = prepared->run.insmodPath;
    context.sshHost = ssh.user.isEmpty() ? ssh.host : ssh.user + QLatin1Char('@') + ssh.host;
    context.sshConfig = ssh.configFile;
    context.serialPath = m_session->serial() ? m_session->serial()->settings().path : QString();
    context.telemetryPath = prepared->run.telemetryPath;
    context.cycles = prepared->hunt.limits.cyclesPerCell;
    // After the backend's own connections: a crash's cell is counted before it is looked at here.
    connect(m_runner.get(), &CycleRunner::cycleFinished, this,
            [this](const CycleResult &c) { onRunnerCycle(c, false); });
    connect(m_runner.get(), &CycleRunner::cycleUpdated, this, [this](const CycleResult &c) { onRunnerCycle(c, true); });
    connect(m_runner.get(), &CycleRunner::crashDetected, this, [this](int, const QString &what, qint64) {
        m_status->setText(tr("Crashed: %1 — waiting for the node").arg(what));
    });
    connect(m_backend.get(), &HuntBackend::message, this, [this](const QString &text) { m_status->setText(text); });

    const bool compare = prepared->compare != HuntForm::CompareMode::Off;
    m_final.reset();
    m_crashReports.clear();
    m_batchCrashes.clear();
    m_batchCell = -1;
    m_shownCell = -1;
    m_crashes->clear();
    m_cellTitle->setText(tr("Click a cell for its crashes"));
    m_nodeCommand->clear();
    m_cliCommand->clear();
    m_compare->clear();
    m_compare->setVisible(compare);
    QList<CellResult> cells;
    for (const Conditions &c : prepared->hunt.conditions) {
        for (int b = 0; b < (compare ? 2 : 1); ++b) {
            CellResult cell;
            cell.conditions = c;
            cell.build = compare ? QString(QLatin1Char(b == 0 ? 'a' : 'b')) : QString();
            cells << cell;
        }
    }
    m_model->setLayout(HuntGridModel::axesOf(prepared->grid.grid, compare), cells);
    fitColumns();
    m_plannedCycles = qint64(cells.size()) * prepared->hunt.limits.cyclesPerCell;
    if (prepared->hunt.budget.cycles > 0)
        m_plannedCycles = std::min(m_plannedCycles, prepared->hunt.budget.cycles);
    m_progress->setRange(0, int(std::min<qint64>(m_plannedCycles, INT_MAX)));
    m_progress->setValue(0);
    m_progress->setFormat(tr("%v of at most %m cycles"));
    m_rate->clear();
    m_prepared = std::move(prepared);
    m_settings->setChecked(false);
    m_pendingStart = true;
    setRunning(true);
    m_status->setText(tr("Reading the modules for decoding…"));
    m_decoder->prepare(m_session->symbolConfig(), m_prepared->run.module);
}

void HuntView::startWithDecoder()
{
    if (!m_pendingStart || !m_prepared)
        return;
    m_pendingStart = false;
    m_runner->setSymbolizer(m_decoder->symbolizer());
    m_hunt = std::make_unique<Hunt>(m_backend.get(), m_prepared->hunt);
    connect(m_hunt.get(), &Hunt::batchStarted, this, &HuntView::onBatchStarted);
    connect(m_hunt.get(), &Hunt::cellUpdated, this, &HuntView::onCellUpdated);
    connect(m_hunt.get(), &Hunt::batchFinished, this, &HuntView::onBatchFinished);
    connect(m_hunt.get(), &Hunt::finished, this, &HuntView::onFinished);
    m_clock.start();
    m_status->setText(
        tr("Hunting: %1 cells, %2 order").arg(m_model->cellCount()).arg(orderName(m_prepared->hunt.order)));
    m_hunt->start();
}

void HuntView::stop()
{
    if (m_pendingStart) {
        m_pendingStart = false;
        m_status->setText(tr("Stopped before the first cycle"));
        setRunning(false);
        return;
    }
    if (m_hunt && m_hunt->running()) {
        m_status->setText(tr("Stopping: ending the cycle in flight, leaving the module unloaded…"));
        m_hunt->stop();
    }
}

void HuntView::onBatchStarted(qsizetype cell, qint64 cycles)
{
    m_batchCell = cell;
    m_batchCrashes.clear();
    m_model->setInFlight(cell);
    m_status->setText(tr("Cell %1 (%2): %3 cycles").arg(cell + 1).arg(m_model->cellLabel(cell)).arg(cycles));
}

void HuntView::onCellUpdated(qsizetype cell, const CellResult &result)
{
    m_model->updateCell(cell, result);
    qint64 total = 0;
    for (qsizetype i = 0; i < m_model->cellCount(); ++i)
        total += m_model->cell(i)->cycles;
    m_progress->setValue(int(std::min<qint64>(total, m_progress->maximum())));
    const double minutes = m_clock.isValid() ? m_clock.elapsed() / 60000.0 : 0;
    if (minutes > 0 && total > 0)
        m_rate->setText(tr("%1 cycles/min").arg(QString::number(total / minutes, 'f', 1)));
    if (cell == m_shownCell)
        fillCrashList(cell);
}

void HuntView::onBatchFinished()
{
    m_model->setInFlight(-1);
    if (m_hunt)
        showResult(m_hunt->result());
}

void HuntView::onFinished(const HuntResult &result)
{
    m_final = result;
    m_model->setInFlight(-1);
    showResult(result);
    QString text = tr("Finished (%1): %2 cycles in %3 s")
                       .arg(endReasonName(result.ended))
                       .arg(result.totalCycles)
                       .arg(result.wallMs / 1000.0, 0, 'f', 1);
    if (result.firstCrashTotalCycle)
        text += tr(", first crash at cycle %1").arg(*result.firstCrashTotalCycle);
    if (!result.endDetail.isEmpty())
        text += QStringLiteral(" — ") + result.endDetail;
    if (!result.best)
        text += tr(". No crash found");
    m_status->setText(text + tr(". Stopping the background load…"));
    // The node's load stopped before Start is offered again.
    m_backend->cleanUp([this, text] {
        m_status->setText(text);
        setRunning(false);
    });
}

void HuntView::showResult(const HuntResult &result)
{
    if (result.best) {
        m_nodeCommand->setText(result.best->nodeCommand);
        m_nodeCommand->setToolTip(
            tr("Cell %1: %2").arg(result.best->cell + 1).arg(m_model->cellLabel(result.best->cell)));
        m_cliCommand->setText(result.best->cliCommand + reproducerNote());
        m_nodeCommand->setCursorPosition(0);
        m_cliCommand->setCursorPosition(0);
    }
    if (result.compare)
        m_compare->setText(tr("<b>Compare</b> (A %1, B %2): %3")
                               .arg(result.compare->koA.toHtmlEscaped(), result.compare->koB.toHtmlEscaped(),
                                    result.compare->statement.toHtmlEscaped()));
}

QString HuntView::reproducerNote() const
{
    // The CLI takes the host and an ssh config; what the profile adds must come from there.
    const SshSettings &ssh = m_session->sshSettings();
    QStringList needs;
    if (ssh.port > 0 && ssh.port != 22)
        needs << QStringLiteral("Port %1").arg(ssh.port);
    if (!ssh.identityFiles.isEmpty())
        needs << QStringLiteral("IdentityFile %1").arg(ssh.identityFiles.first());
    if (needs.isEmpty() || !ssh.configFile.isEmpty())
        return {};
    return QStringLiteral("   # with %1 for %2 in ~/.ssh/config").arg(needs.join(QStringLiteral(", ")), ssh.host);
}

void HuntView::onRunnerCycle(const CycleResult &result, bool update)
{
    if (update) {
        const auto it = m_batchCrashes.constFind(result.n);
        if (it == m_batchCrashes.constEnd())
            return;
        QList<QList<ReportKey>> &list = m_crashReports[it->first];
        if (it->second < list.size())
            list[it->second] = SessionReports::keysOf(result.reports);
        if (it->first == m_shownCell)
            fillCrashList(m_shownCell);
        return;
    }
    if (result.verdict != Verdict::Crash || m_batchCell < 0)
        return;
    // The hunt has counted it already: it is the cell's last crash.
    const CellResult *cell = m_hunt ? &m_hunt->cells()[m_batchCell] : nullptr;
    if (!cell || cell->crashList.isEmpty())
        return;
    QList<QList<ReportKey>> &list = m_crashReports[m_batchCell];
    const qsizetype crash = cell->crashList.size() - 1;
    while (list.size() <= crash)
        list.append(QList<ReportKey>());
    list[crash] = SessionReports::keysOf(result.reports);
    m_batchCrashes.insert(result.n, {m_batchCell, crash});
    if (m_batchCell == m_shownCell)
        fillCrashList(m_shownCell);
}

int HuntView::sessionReportOf(qsizetype cell, qsizetype crash) const
{
    return m_sessionReports->idOf(m_crashReports.value(cell).value(crash));
}

void HuntView::fillCrashList(qsizetype cell)
{
    const CellResult *c = m_model->cell(cell);
    m_crashes->clear();
    if (!c) {
        m_cellTitle->setText(tr("Click a cell for its crashes"));
        return;
    }
    m_cellTitle->setText(tr("<b>Cell %1</b>: %2 — %3, %4")
                             .arg(cell + 1)
                             .arg(m_model->cellLabel(cell).toHtmlEscaped(), HuntGridModel::countText(*c),
                                  HuntGridModel::intervalText(*c)));
    for (qsizetype i = 0; i < c->crashList.size(); ++i) {
        const CellCrash &crash = c->crashList[i];
        // The decoded report's title once the session has it (the hunt's may be the first line's).
        const int id = sessionReportOf(cell, i);
        const KernelReport *report = id >= 0 ? m_session->report(id) : nullptr;
        const QString title = report && !report->title.isEmpty() ? report->title
            : crash.title.isEmpty()                              ? tr("(no report captured)")
                                                                 : crash.title;
        auto *item = new QTreeWidgetItem(m_crashes, {QString::number(crash.cycle), title});
        item->setData(0, Qt::UserRole, qlonglong(i));
        item->setToolTip(1, title);
        if (id < 0)
            item->setForeground(1, palette().color(QPalette::Disabled, QPalette::Text));
    }
}

void HuntView::showCell(qsizetype cell)
{
    m_shownCell = cell;
    fillCrashList(cell);
    if (const QModelIndex index = m_model->indexOf(cell); index.isValid())
        m_grid->setCurrentIndex(index);
    const CellResult *c = m_model->cell(cell);
    for (qsizetype i = 0; c && i < c->crashList.size(); ++i) {
        if (const int id = sessionReportOf(cell, i); id >= 0) {
            m_crashes->setCurrentItem(m_crashes->topLevelItem(int(i)));
            Q_EMIT reportRequested(id);
            return;
        }
    }
}

} // namespace kms::gui
