#include "hunt/hunt.h"

#include <QRegularExpression>
#include <QTimer>

namespace kms::hunt {

Hunt::Hunt(HuntBackend *backend, const HuntConfig &config, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_config(config)
    , m_scheduler(config.order, config.limits, config.seed, std::max<int>(1, int(config.builds.size())))
{
    connect(m_backend, &HuntBackend::cycleFinished, this, &Hunt::onCycle);
    connect(m_backend, &HuntBackend::batchFinished, this, &Hunt::onBatchFinished);
    connect(m_backend, &HuntBackend::lateTitles, this, &Hunt::onLateTitles);
    m_result.module = config.reproducer.module;
    m_result.order = orderName(config.order);
    m_result.seed = config.seed;
    const QStringList labels{QStringLiteral("a"), QStringLiteral("b")};
    for (const Conditions &conditions : config.conditions) {
        CellResult cell;
        cell.conditions = conditions;
        if (config.builds.isEmpty()) {
            m_result.cells.append(cell);
            continue;
        }
        for (qsizetype b = 0; b < config.builds.size(); ++b) {
            cell.build = labels.value(b, QString::number(b));
            m_result.cells.append(cell);
        }
    }
}

void Hunt::start()
{
    if (m_running)
        return;
    m_running = true;
    m_clock.start();
    // From the event loop: a caller connects to the signals after start() returns.
    QTimer::singleShot(0, this, &Hunt::next);
}

void Hunt::stop()
{
    if (!m_running || m_stopping)
        return;
    m_stopping = true;
    if (m_cell >= 0)
        m_backend->stop();
    else
        finish(EndReason::Stopped);
}

HuntResult Hunt::result() const
{
    HuntResult r = m_result;
    r.wallMs = m_clock.isValid() ? m_clock.elapsed() : 0;
    const qsizetype best = bestCell(r.cells);
    if (best >= 0) {
        ReproducerContext context = m_config.reproducer;
        const CellResult &cell = r.cells[best];
        // Compare: the .ko that crashed, where the hunt put it on the node.
        const int build = cell.build == QLatin1String("b") ? 1 : 0;
        if (m_config.compareKind == CompareKind::Command)
            context.installCommand = m_config.builds.value(build);
        else if (build < m_config.buildNodePaths.size())
            context.insmodPath = m_config.buildNodePaths[build];
        r.best = Reproducer{best, nodeCommand(context, cell.conditions), cliCommand(context, cell.conditions)};
    }
    if (m_config.builds.size() == 2)
        r.compare = compareBuilds(r.cells, m_config.builds[0], m_config.builds[1], m_config.compareKind);
    return r;
}

void Hunt::next()
{
    if (!m_running)
        return;
    if (m_stopping)
        return finish(EndReason::Stopped);
    const Budget &budget = m_config.budget;
    if (budget.durationMs > 0 && m_clock.elapsed() >= budget.durationMs)
        return finish(EndReason::Budget);
    qint64 left = -1;
    if (budget.cycles > 0) {
        left = budget.cycles - m_result.totalCycles;
        if (left <= 0)
            return finish(EndReason::Budget);
    }
    const auto pick = m_scheduler.next(m_result.cells, left);
    if (!pick)
        return finish(EndReason::Done);
    m_cell = pick->cell;
    m_lastCell = m_cell;
    const CellResult &cell = m_result.cells[m_cell];
    Batch batch;
    batch.conditions = cell.conditions;
    batch.build = cell.build == QLatin1String("b") ? 1 : 0;
    batch.cycles = pick->cycles;
    m_batchClock.start();
    Q_EMIT batchStarted(m_cell, pick->cycles);
    m_backend->runBatch(batch);
}

void Hunt::onCycle(const QString &verdict, const QStringList &titles)
{
    if (m_cell < 0)
        return;
    CellResult &cell = m_result.cells[m_cell];
    cell.addCycle(verdict, titles);
    ++m_result.totalCycles;
    if (verdict == QLatin1String("crash") && !m_result.firstCrashTotalCycle)
        m_result.firstCrashTotalCycle = m_result.totalCycles;
    Q_EMIT cellUpdated(m_cell, cell);
    // The crash limit reached inside a batch: the rest of it would only cost reboots.
    if (m_scheduler.finished(cell) && !m_stopping)
        m_backend->stop();
}

void Hunt::onLateTitles(const QStringList &titles)
{
    if (m_lastCell < 0)
        return;
    CellResult &cell = m_result.cells[m_lastCell];
    for (const QString &title : titles) {
        if (!cell.titles.contains(title))
            cell.titles.append(title);
    }
    if (!cell.crashList.isEmpty() && cell.crashList.last().title.isEmpty() && !titles.isEmpty())
        cell.crashList.last().title = titles.first();
    Q_EMIT cellUpdated(m_lastCell, cell);
}

void Hunt::onBatchFinished(HuntBackend::BatchEnd end, const QString &detail)
{
    if (m_cell < 0)
        return;
    CellResult &cell = m_result.cells[m_cell];
    cell.wallMs += m_batchClock.elapsed();
    Q_EMIT cellUpdated(m_cell, cell);
    Q_EMIT batchFinished(m_cell);
    m_cell = -1;
    switch (end) {
    case HuntBackend::BatchEnd::NodeLost:
        return finish(EndReason::NodeLost, detail);
    case HuntBackend::BatchEnd::Error:
        return finish(EndReason::Error, detail);
    case HuntBackend::BatchEnd::Stopped:
        if (m_stopping)
            return finish(EndReason::Stopped);
        break; // the hunt itself ended the batch (crash limit): go on
    case HuntBackend::BatchEnd::Ok:
        break;
    }
    QTimer::singleShot(0, this, &Hunt::next);
}

void Hunt::finish(EndReason reason, const QString &detail)
{
    if (!m_running)
        return;
    m_running = false;
    m_result.ended = reason;
    m_result.endDetail = detail;
    Q_EMIT finished(result());
}

std::optional<Budget> parseBudget(const QString &text, QString *error)
{
    static const QRegularExpression cycles(QStringLiteral("^\\d{1,12}$"));
    static const QRegularExpression duration(QStringLiteral("^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$"));
    const QString t = text.trimmed();
    Budget budget;
    if (cycles.match(t).hasMatch()) {
        budget.cycles = t.toLongLong();
        if (budget.cycles > 0)
            return budget;
    } else if (const auto m = duration.match(t); m.hasMatch() && !t.isEmpty()) {
        const qint64 seconds
            = m.captured(1).toLongLong() * 3600 + m.captured(2).toLongLong() * 60 + m.captured(3).toLongLong();
        if (seconds > 0 && seconds <= 30LL * 24 * 3600) {
            budget.durationMs = seconds * 1000;
            return budget;
        }
    }
    *error = QStringLiteral("budget '%1': expected a number of cycles (500) or a duration (90s, 30m, 2h, 1h30m)")
                 .arg(text);
    return std::nullopt;
}

CompareResult compareBuilds(const QList<CellResult> &cells, const QString &koA, const QString &koB, CompareKind kind)
{
    CompareResult c;
    c.kind = kind;
    c.koA = koA;
    c.koB = koB;
    for (qsizetype i = 0; i + 1 < cells.size(); i += 2) {
        const CellResult &a = cells[i];
        const CellResult &b = cells[i + 1];
        c.a.cycles += a.cycles;
        c.a.crashes += a.crashes;
        c.b.cycles += b.cycles;
        c.b.crashes += b.crashes;
        c.cells.append(
            {i, i + 1, fisherExactTwoSided(a.crashes, a.cycles - a.crashes, b.crashes, b.cycles - b.crashes)});
    }
    c.pValue = fisherExactTwoSided(c.a.crashes, c.a.cycles - c.a.crashes, c.b.crashes, c.b.cycles - c.b.crashes);
    c.statement = compareStatement(c.a, c.b);
    return c;
}

} // namespace kms::hunt
