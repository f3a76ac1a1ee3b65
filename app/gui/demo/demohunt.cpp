#include "demohunt.h"

#include "cycle/cyclerunner.h"
#include "hunt/runnerbackend.h"
#include "node/nodesession.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace kms::gui {

using namespace kms::hunt;

QString huntConditionsText(const CellResult &cell)
{
    QStringList parts;
    if (!cell.build.isEmpty())
        parts << DemoHunt::tr("build %1").arg(cell.build.toUpper());
    parts << DemoHunt::tr("settle %1 ms").arg(cell.conditions.settleMs);
    if (!cell.conditions.params.isEmpty())
        parts << formatModuleParams(cell.conditions.params);
    if (cell.conditions.load != BackgroundLoad::None)
        parts << DemoHunt::tr("load %1").arg(loadName(cell.conditions.load));
    return parts.join(QStringLiteral(", "));
}

QString huntRateText(const CellResult &cell)
{
    if (cell.cycles == 0)
        return DemoHunt::tr("not run yet");
    const Interval ci = cell.interval();
    QString text = DemoHunt::tr("%1/%2 crashed").arg(cell.crashes).arg(cell.cycles);
    if (cell.crashes == 0)
        return text + DemoHunt::tr(", rate below %1 at 95%").arg(formatPercent(ci.high));
    return text
        + DemoHunt::tr(", rate %1 (95% CI %2-%3)")
              .arg(formatPercent(cell.rate()), formatPercent(ci.low), formatPercent(ci.high));
}

HuntGridTable::HuntGridTable(QWidget *parent)
    : QWidget(parent)
    , m_table(new QTableWidget(0, 4, this))
    , m_status(new QLabel(this))
{
    setObjectName(QStringLiteral("DemoHuntGrid"));
    m_table->setHorizontalHeaderLabels({tr("Conditions"), tr("Crash rate"), tr("First crash"), tr("Reports")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_status);
    layout->addWidget(m_table);
}

void HuntGridTable::setCells(const QList<CellResult> &cells)
{
    m_table->setRowCount(int(cells.size()));
    for (int row = 0; row < cells.size(); ++row) {
        const CellResult &c = cells[row];
        const QStringList texts{huntConditionsText(c), huntRateText(c),
                                c.firstCrashCycle ? tr("cycle %1").arg(*c.firstCrashCycle) : QStringLiteral("-"),
                                c.titles.join(QStringLiteral("; "))};
        for (int col = 0; col < texts.size(); ++col) {
            auto *item = new QTableWidgetItem(texts[col]);
            if (c.crashes > 0)
                item->setBackground(QColor(0xf4, 0xc7, 0xc3));
            else if (c.cycles > 0)
                item->setBackground(QColor(0xc8, 0xe6, 0xc9));
            m_table->setItem(row, col, item);
        }
    }
    m_table->resizeColumnsToContents();
}

void HuntGridTable::setStatus(const QString &text)
{
    m_status->setText(text);
}

QString HuntGridTable::statusText() const
{
    return m_status->text();
}

HuntConfig DemoHunt::demoConfig(int cyclesPerCell)
{
    Grid grid;
    QString error;
    for (const char *spec : {"param:fault=none,unload_race", "settle=0,20"})
        grid.add(*Dimension::parse(QString::fromLatin1(spec), &error), &error);
    HuntConfig config;
    config.conditions = grid.cells({});
    config.order = Order::Grid; // the clean cells first: the grid reads top to bottom
    config.limits.cyclesPerCell = cyclesPerCell;
    config.limits.crashesPerCell = 1; // each crash costs a reboot of the node
    config.limits.batch = cyclesPerCell;
    config.reproducer.module = QStringLiteral("prudaq");
    config.reproducer.cycles = cyclesPerCell;
    return config;
}

DemoHunt::DemoHunt(NodeSession *session, const SshSettings &ssh, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_runner(new CycleRunner(nullptr, this))
{
    m_runner->follow(session);
    CycleRunConfig base;
    base.module = QStringLiteral("prudaq");
    base.leakCheck = CycleRunConfig::LeakCheck::Off; // a hunt counts crashes
    base.kmemleakScan = false;
    base.returnTimeoutS = 180;
    m_backend = std::make_unique<RunnerBackend>(m_runner, session, ssh, base);
    connect(m_backend.get(), &HuntBackend::message, this, &DemoHunt::status);
    connect(m_runner, &CycleRunner::crashDetected, this,
            [this](int, const QString &what, qint64) { Q_EMIT status(tr("Crash: %1 (the node reboots)").arg(what)); });
}

DemoHunt::~DemoHunt()
{
    // The hunt before its backend, the backend before the runner (a child, destroyed last).
    m_hunt.reset();
    m_backend.reset();
}

bool DemoHunt::start(const HuntConfig &config, QString *error)
{
    if (running() || m_cleaning) {
        *error = tr("a hunt is running already");
        return false;
    }
    if (!m_session->sshUp()) {
        *error = tr("SSH to the node is not up");
        return false;
    }
    m_hunt = std::make_unique<Hunt>(m_backend.get(), config);
    connect(m_hunt.get(), &Hunt::batchStarted, this, [this](qsizetype cell, qint64 cycles) {
        Q_EMIT status(
            tr("Cell %1 (%2): %3 cycles").arg(cell + 1).arg(huntConditionsText(m_hunt->cells()[cell])).arg(cycles));
        Q_EMIT cellsChanged(m_hunt->cells());
    });
    connect(m_hunt.get(), &Hunt::cellUpdated, this, [this] { Q_EMIT cellsChanged(m_hunt->cells()); });
    connect(m_hunt.get(), &Hunt::finished, this, &DemoHunt::onFinished);
    Q_EMIT cellsChanged(m_hunt->cells());
    m_hunt->start();
    return true;
}

void DemoHunt::stop()
{
    if (m_hunt && m_hunt->running())
        m_hunt->stop();
}

bool DemoHunt::running() const
{
    return m_hunt && m_hunt->running();
}

void DemoHunt::onFinished(const HuntResult &result)
{
    Q_EMIT cellsChanged(result.cells);
    // The grid into the session, as the CLI prints it: the console and the session log keep it.
    QList<LogLine> lines;
    const auto add = [&lines](const QString &text) {
        lines.append(LogLine{hostTimeNowNs(), QStringLiteral("hunt"), text.toUtf8(), LogLine::Event});
    };
    add(tr("hunt: %1 cycles in %2 s (%3)")
            .arg(result.totalCycles)
            .arg(result.wallMs / 1000.0, 0, 'f', 1)
            .arg(endReasonName(result.ended)));
    for (qsizetype i = 0; i < result.cells.size(); ++i)
        add(tr("hunt: cell %1 (%2): %3")
                .arg(i + 1)
                .arg(huntConditionsText(result.cells[i]), huntRateText(result.cells[i])));
    if (result.best)
        add(tr("hunt: best reproducer, on the node: %1").arg(result.best->nodeCommand));
    m_session->feedLines(lines);
    m_cleaning = true;
    m_backend->cleanUp([this, result] {
        m_cleaning = false;
        Q_EMIT finished(result);
    });
}

} // namespace kms::gui
