#include "cyclesview.h"

#include "cycle/cyclemarkdown.h"
#include "cyclesdecoder.h"
#include "cyclesmodel.h"
#include "node/nodesession.h"
#include "node/sessionreports.h"

#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace kms::gui {

namespace {

QString duration(qint64 ms)
{
    const qint64 s = (ms + 500) / 1000;
    return s >= 3600 ? QStringLiteral("%1:%2:%3")
                           .arg(s / 3600)
                           .arg(s / 60 % 60, 2, 10, QLatin1Char('0'))
                           .arg(s % 60, 2, 10, QLatin1Char('0'))
                     : QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QSpinBox *spin(int min, int max, const QString &suffix, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(min, max);
    box->setSuffix(suffix);
    box->setAccelerated(true);
    return box;
}

const QList<Verdict> verdicts
    = {Verdict::Crash, Verdict::Stuck, Verdict::Fail, Verdict::Leak, Verdict::Warning, Verdict::Pass};

} // namespace

CyclesView::CyclesView(NodeSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_runner(new CycleRunner(nullptr, this))
    , m_decoder(new CyclesDecoder(this))
    , m_model(new CyclesModel(this))
{
    setObjectName(QStringLiteral("CyclesView"));
    m_runner->follow(session);
    buildForm();

    connect(m_runner, &CycleRunner::cycleFinished, this, [this](const CycleResult &c) {
        m_model->upsert(c);
        updateTotals();
        m_table->scrollToBottom();
    });
    connect(m_runner, &CycleRunner::cycleUpdated, this, [this](const CycleResult &c) {
        m_model->upsert(c);
        updateTotals();
    });
    connect(m_runner, &CycleRunner::cycleStarted, this,
            [this](int n) { m_status->setText(tr("Cycle %1 running…").arg(n)); });
    connect(m_runner, &CycleRunner::crashDetected, this, [this](int n, const QString &what, qint64) {
        m_status->setText(tr("Cycle %1 crashed: %2 — waiting for the node").arg(n).arg(what));
        // The row at once; the cycle's result replaces it once the node is back.
        if (m_model->rowOf(n) < 0) {
            CycleResult c;
            c.n = n;
            c.addFinding({Verdict::Crash, QStringLiteral("crash"), what, {}, {}});
            m_model->upsert(c);
            updateTotals();
            m_table->scrollToBottom();
        }
    });
    connect(m_runner, &CycleRunner::message, this, [this](const QString &text) { m_status->setText(text); });
    connect(m_runner, &CycleRunner::progress, this, &CyclesView::onProgress);
    connect(m_runner, &CycleRunner::runFinished, this, &CyclesView::onFinished);
    connect(m_decoder, &CyclesDecoder::ready, this, &CyclesView::startWithDecoder);

    m_sessionReports = new SessionReports(session, this);
    connect(session, &NodeSession::linesReceived, this, &CyclesView::onSessionLines);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex &index) {
        if (const int n = m_model->numberAt(index.row()); n > 0)
            showCycle(n);
    });
    setRunning(false);
    updateTotals();
}

CyclesView::~CyclesView()
{
    // The runner holds the decoder's symbolizer: it goes first.
    delete m_runner;
    m_runner = nullptr;
}

void CyclesView::buildForm()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_module = new QLineEdit(this);
    m_module->setObjectName(QStringLiteral("cycleModule"));
    m_module->setPlaceholderText(tr("module name, as modprobe takes it"));
    m_params = new QLineEdit(this);
    m_params->setObjectName(QStringLiteral("cycleParams"));
    m_params->setPlaceholderText(tr("k=v k2=v2"));
    m_insmod = new QLineEdit(this);
    m_insmod->setObjectName(QStringLiteral("cycleInsmod"));
    m_insmod->setPlaceholderText(tr("empty: modprobe / modprobe -r; else insmod PATH / rmmod"));
    auto *moduleRow = new QHBoxLayout;
    moduleRow->addWidget(m_module, 1);
    moduleRow->addWidget(new QLabel(tr("Params:"), this));
    moduleRow->addWidget(m_params, 2);
    form->addRow(tr("Module:"), moduleRow);
    form->addRow(tr("insmod path on the node:"), m_insmod);

    m_count = spin(0, 1000000, QString(), this);
    m_count->setSpecialValueText(tr("no limit"));
    m_untilFailure = new QCheckBox(tr("until the first failure"), this);
    m_stopOnCrash = new QCheckBox(tr("stop on crash"), this);
    m_sudo = new QCheckBox(tr("sudo -n"), this);
    m_sudo->setToolTip(tr("Run the node's side with passwordless sudo (sections and notes are root-only)"));
    auto *countRow = new QHBoxLayout;
    countRow->addWidget(m_count);
    countRow->addWidget(m_untilFailure);
    countRow->addWidget(m_stopOnCrash);
    countRow->addWidget(m_sudo);
    m_telemetry = new QCheckBox(tr("telemetry"), this);
    m_telemetry->setObjectName(QStringLiteral("cycleTelemetry"));
    countRow->addWidget(m_telemetry);
    countRow->addStretch();
    form->addRow(tr("Cycles:"), countRow);

    m_settle = spin(0, 3600000, tr(" ms"), this);
    m_settle->setToolTip(tr("Module live, before the checks and the unload"));
    m_delay = spin(0, 3600000, tr(" ms"), this);
    m_delay->setToolTip(tr("Between cycles"));
    m_returnTimeout = spin(5, 3600, tr(" s"), this);
    m_returnTimeout->setToolTip(tr("How long to wait for the node to come back after a crash"));
    auto *timeRow = new QHBoxLayout;
    timeRow->addWidget(new QLabel(tr("Settle"), this));
    timeRow->addWidget(m_settle);
    timeRow->addWidget(new QLabel(tr("Delay"), this));
    timeRow->addWidget(m_delay);
    timeRow->addWidget(new QLabel(tr("Return timeout"), this));
    timeRow->addWidget(m_returnTimeout);
    timeRow->addStretch();
    form->addRow(tr("Times:"), timeRow);
    layout->addLayout(form);

    auto *buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("Start"), this);
    m_start->setObjectName(QStringLiteral("cycleStart"));
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("cycleStop"));
    m_stop->setToolTip(tr("Ends the run now; the module is left unloaded"));
    m_export = new QPushButton(tr("Export Markdown…"), this);
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(true);
    m_rate = new QLabel(this);
    m_rate->setObjectName(QStringLiteral("cycleRate"));
    m_rate->setMinimumWidth(m_rate->fontMetrics().horizontalAdvance(QStringLiteral("000.0 cycles/min, ETA 00:00:00")));
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_rate);
    buttons->addWidget(m_export);
    layout->addLayout(buttons);
    connect(m_start, &QPushButton::clicked, this, &CyclesView::start);
    connect(m_stop, &QPushButton::clicked, this, &CyclesView::stop);
    connect(m_export, &QPushButton::clicked, this, &CyclesView::exportMarkdown);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("cycleStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("cycleTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const int digit = m_table->fontMetrics().horizontalAdvance(QLatin1Char('0'));
    // Narrow number columns: the finding gets what is left.
    m_table->setColumnWidth(CyclesModel::Number, digit * 5);
    m_table->setColumnWidth(CyclesModel::VerdictColumn, digit * 9);
    for (int c : {CyclesModel::Total, CyclesModel::Load, CyclesModel::Settle, CyclesModel::Unload,
                  CyclesModel::SlabDelta, CyclesModel::AvailableDelta})
        m_table->setColumnWidth(c, digit * 8);
    layout->addWidget(m_table, 1);

    m_totals = new QLabel(this);
    m_totals->setObjectName(QStringLiteral("cycleTotals"));
    m_totals->setTextFormat(Qt::RichText);
    layout->addWidget(m_totals);

    setProfileConfig({}, {});
}

void CyclesView::setProfileConfig(const QJsonObject &config, const QStringList &modules,
                                  const QList<telemetry::TelemetrySourceSpec> &telemetry)
{
    m_stored = config;
    CycleRunConfig c = CycleRunConfig::fromJson(config);
    m_telemetryPath.clear();
    for (const telemetry::TelemetrySourceSpec &spec : telemetry) {
        if (spec.kind == telemetry::TelemetrySourceSpec::Kind::Stream && m_telemetryPath.isEmpty())
            m_telemetryPath = spec.path;
    }
    m_telemetry->setEnabled(!m_telemetryPath.isEmpty());
    m_telemetry->setChecked(!m_telemetryPath.isEmpty()
                            && (!config.contains(QLatin1String("telemetry")) || !c.telemetryPath.isEmpty()));
    m_telemetry->setToolTip(
        m_telemetryPath.isEmpty()
            ? tr("The profile has no telemetry stream")
            : tr("Read %1 while the module settles (closed before each unload); no sample or a ring fill at or "
                 "over %2 % is a warning")
                  .arg(m_telemetryPath)
                  .arg(c.telemetryFillLimitPct));
    if (c.module.isEmpty() && !modules.isEmpty())
        c.module = modules.first();
    m_module->setText(c.module);
    m_params->setText(c.params.join(QLatin1Char(' ')));
    m_insmod->setText(c.insmodPath);
    m_count->setValue(c.count);
    m_untilFailure->setChecked(c.untilFailure);
    m_stopOnCrash->setChecked(c.stopOnCrash);
    m_sudo->setChecked(c.useSudo);
    m_settle->setValue(c.settleMs);
    m_delay->setValue(c.delayMs);
    m_returnTimeout->setValue(c.returnTimeoutS);
}

CycleRunConfig CyclesView::config() const
{
    CycleRunConfig c = CycleRunConfig::fromJson(m_stored);
    c.module = m_module->text().trimmed();
    c.params = m_params->text().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    c.insmodPath = m_insmod->text().trimmed();
    c.count = m_count->value();
    c.untilFailure = m_untilFailure->isChecked();
    c.stopOnCrash = m_stopOnCrash->isChecked();
    c.useSudo = m_sudo->isChecked();
    c.settleMs = m_settle->value();
    c.delayMs = m_delay->value();
    c.returnTimeoutS = m_returnTimeout->value();
    c.telemetryPath = m_telemetry->isChecked() ? m_telemetryPath : QString();
    return c;
}

void CyclesView::setRunning(bool running)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_module, m_params, m_insmod, m_count, m_untilFailure,
                                                       m_stopOnCrash, m_sudo, m_settle, m_delay, m_returnTimeout})
        w->setEnabled(!running);
    m_telemetry->setEnabled(!running && !m_telemetryPath.isEmpty());
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    m_export->setEnabled(!running && m_model->rowCount() > 0);
}

void CyclesView::start()
{
    if (m_runner->running() || m_pendingStart)
        return;
    const CycleRunConfig c = config();
    if (const QString why = c.validate(); !why.isEmpty()) {
        m_status->setText(tr("Not started: %1").arg(why));
        return;
    }
    if (!m_session->sshUp()) {
        m_status->setText(tr("Not started: SSH to the node is not up (the runner's commands go over it)"));
        return;
    }
    m_stored = c.toJson();
    Q_EMIT configChanged(m_stored);
    m_model->clear();
    m_markerLines.clear();
    updateTotals();
    m_progress->setRange(0, c.count > 0 ? c.count : 0);
    m_progress->setValue(0);
    m_progress->setFormat(c.count > 0 ? tr("%v of %m") : tr("%v cycles"));
    m_rate->clear();
    m_pendingConfig = c;
    m_pendingStart = true;
    setRunning(true);
    m_status->setText(tr("Reading the modules for decoding…"));
    m_decoder->prepare(m_session->symbolConfig(), c.module);
}

void CyclesView::startWithDecoder()
{
    if (!m_pendingStart)
        return;
    m_pendingStart = false;
    m_runner->setSymbolizer(m_decoder->symbolizer());
    const QString module = QString(m_pendingConfig.module).replace(QLatin1Char('-'), QLatin1Char('_'));
    QString note;
    if (!m_decoder->modules().contains(module))
        note = tr(" (no %1.ko to decode with yet: reports show as printed until one is fetched or added)")
                   .arg(m_pendingConfig.module);
    QString error;
    if (!m_runner->start(m_pendingConfig, &error)) {
        m_status->setText(tr("Not started: %1").arg(error));
        setRunning(false);
        return;
    }
    m_status->setText(tr("Checking the node…") + note);
}

void CyclesView::stop()
{
    if (m_pendingStart) {
        m_pendingStart = false;
        m_status->setText(tr("Stopped before the first cycle"));
        setRunning(false);
        return;
    }
    if (m_runner->running()) {
        m_status->setText(m_runner->config().finalState == CycleRunConfig::FinalState::Loaded
                              ? tr("Stopping: leaving the module loaded…")
                              : tr("Stopping: leaving the module unloaded…"));
        m_runner->stop();
    }
}

bool CyclesView::mayClose()
{
    if (m_closeAfterRun)
        return !m_runner->running();
    if (m_pendingStart) {
        stop(); // nothing was sent to the node yet
        return true;
    }
    if (!m_runner->running())
        return true;
    const QString module = m_runner->config().module;
    const int done = m_runner->cycleCount();
    QMessageBox box(QMessageBox::Question, tr("Cycle run in progress"),
                    tr("A cycle run of %1 is in progress (%2 cycle(s) done): stop it and leave the module unloaded "
                       "or loaded, or keep running?")
                        .arg(module)
                        .arg(done),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("cycleCloseQuestion"));
    QPushButton *unloaded = box.addButton(tr("Stop, leave %1 unloaded").arg(module), QMessageBox::DestructiveRole);
    QPushButton *loaded = box.addButton(tr("Stop, leave %1 loaded").arg(module), QMessageBox::DestructiveRole);
    QPushButton *keep = box.addButton(tr("Keep running"), QMessageBox::RejectRole);
    box.setDefaultButton(keep);
    box.setEscapeButton(keep);
    box.exec();
    if (box.clickedButton() != unloaded && box.clickedButton() != loaded)
        return false;
    m_runner->setFinalState(box.clickedButton() == loaded ? CycleRunConfig::FinalState::Loaded
                                                          : CycleRunConfig::FinalState::Unloaded);
    m_closeAfterRun = true;
    // Closed again once the node's side is done: a session torn down mid-stop would leave the
    // module wherever the cycle in flight had it.
    connect(
        m_runner, &CycleRunner::runFinished, this,
        [this] {
            if (QWidget *w = window())
                QTimer::singleShot(0, w, &QWidget::close);
        },
        Qt::SingleShotConnection);
    stop();
    return false;
}

void CyclesView::onProgress(int done, int total, double perMinute, qint64 etaMs)
{
    if (total > 0) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
        m_progress->setFormat(tr("%v of %m"));
    } else {
        // Open-ended: the bar shows the count, not a fraction.
        m_progress->setRange(0, qMax(1, done));
        m_progress->setValue(done);
        m_progress->setFormat(tr("%1 cycles").arg(done));
    }
    QString text = perMinute > 0 ? tr("%1 cycles/min").arg(QString::number(perMinute, 'f', 1)) : QString();
    if (etaMs >= 0 && total > 0)
        text += tr(", ETA %1").arg(duration(etaMs));
    m_rate->setText(text);
}

void CyclesView::onFinished(RunEnd end, const QString &message)
{
    setRunning(false);
    const RunTotals t = m_model->totals();
    m_status->setText(tr("Finished (%1): %2").arg(toString(end), message));
    // Nothing is left to estimate.
    m_rate->setText(m_rate->text().section(QStringLiteral(", ETA"), 0, 0));
    if (end == RunEnd::Completed && t.cycles > 0 && m_progress->maximum() > 0)
        m_progress->setValue(m_progress->maximum());
}

void CyclesView::updateTotals()
{
    const RunTotals t = m_model->totals();
    QStringList parts;
    parts += tr("<b>%1</b> cycles").arg(t.cycles);
    for (Verdict v : verdicts) {
        const int n = t.byVerdict.value(v);
        if (n == 0 && v != Verdict::Pass)
            continue;
        parts += QStringLiteral("<span style=\"color:%1\"><b>%2</b> %3</span>")
                     .arg(CyclesModel::verdictColor(v).name())
                     .arg(n)
                     .arg(toString(v));
    }
    m_totals->setText(parts.join(QStringLiteral(" &nbsp;·&nbsp; ")));
    m_export->setEnabled(!m_runner->running() && !m_pendingStart && t.cycles > 0);
}

QString CyclesView::rateText() const
{
    return m_rate->text();
}

QString CyclesView::totalsText() const
{
    return m_totals->text();
}

QString CyclesView::statusText() const
{
    return m_status->text();
}

void CyclesView::onSessionLines(quint64 firstSeq, const QList<LogLine> &lines)
{
    if (!m_runner->running())
        return;
    // The runner's begin markers, "kmodscope: cycle N begin run=TOKEN": where a cycle's lines
    // start in the console (the first console to print it wins).
    static const QRegularExpression marker(QStringLiteral("kmodscope: cycle (\\d+) begin"));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (!lines[i].text.contains(QLatin1String("kmodscope: cycle")))
            continue;
        const QRegularExpressionMatch m = marker.match(lines[i].text);
        if (m.hasMatch() && !m_markerLines.contains(m.captured(1).toInt())) {
            m_markerLines.insert(m.captured(1).toInt(), firstSeq + quint64(i));
            // A long run keeps the newest: older ones have left the console's kept lines.
            if (m_markerLines.size() > keptMarkers)
                m_markerLines.erase(m_markerLines.begin());
        }
    }
}

int CyclesView::sessionReportOf(int n) const
{
    const CycleResult *c = m_model->cycleAt(m_model->rowOf(n));
    return c ? m_sessionReports->idOf(c->reports) : -1;
}

std::optional<quint64> CyclesView::markerLineOf(int n) const
{
    const auto it = m_markerLines.constFind(n);
    return it == m_markerLines.constEnd() ? std::nullopt : std::optional<quint64>(*it);
}

void CyclesView::showCycle(int n)
{
    // The report (its console lines follow it); a cycle without one shows where its lines begin.
    if (const int id = sessionReportOf(n); id >= 0)
        Q_EMIT reportRequested(id);
    else if (const auto line = markerLineOf(n))
        Q_EMIT consoleLineRequested(*line);
}

bool CyclesView::selectCycle(int n)
{
    const int row = m_model->rowOf(n);
    if (row < 0)
        return false;
    m_table->selectRow(row);
    m_table->scrollTo(m_model->index(row, 0));
    showCycle(n);
    return true;
}

void CyclesView::exportMarkdown()
{
    if (m_model->rowCount() == 0)
        return;
    const QString module = m_runner->config().module;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the run as Markdown"),
                                                      QDir::home().filePath(QStringLiteral("%1-cycles.md").arg(module)),
                                                      tr("Markdown (*.md);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!writeMarkdown(path, &error)) {
        QMessageBox::warning(this, tr("Export"), error);
        return;
    }
    m_status->setText(tr("Exported to %1").arg(path));
}

bool CyclesView::writeMarkdown(const QString &path, QString *error) const
{
    QSaveFile file(path);
    // Streamed from the runner's spool: a long run is not read into memory at once.
    const QByteArray text
        = runReportMarkdown(m_runner->runReportHead(), [this](const std::function<void(const QJsonObject &)> &fn) {
              return m_runner->forEachCycleJson(fn);
          }).toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace kms::gui
