// A race hunt: the grid's cells (times the builds compared) run as batches of reload cycles
// in the scheduler's order until every cell is finished, the budget is spent, the node is lost
// or stop() is called. Results are kept per cell as they come; finished() gives the whole.
#pragma once

#include "hunt/huntbackend.h"
#include "hunt/huntresult.h"
#include "hunt/huntscheduler.h"
#include "hunt/reproducer.h"

#include <QElapsedTimer>
#include <QObject>

#include <memory>
#include <optional>

namespace kms::hunt {

struct Budget {
    qint64 cycles = 0; // 0: none
    qint64 durationMs = 0; // 0: none; checked between batches (a batch in flight ends first)
};

// "500" (cycles), or a duration "90s", "30m", "2h", "1h30m". A clear message in *error.
std::optional<Budget> parseBudget(const QString &text, QString *error);

struct HuntConfig {
    QList<Conditions> conditions; // the grid's cells
    // Compare: the two sides (A = before, B = after), two local .ko files or two install commands
    // run on the node before a side's cells; else empty.
    QStringList builds;
    CompareKind compareKind = CompareKind::Ko;
    QStringList buildNodePaths; // compare of .ko files: where each is put on the node
    Order order = Order::Adaptive;
    ScheduleLimits limits;
    Budget budget;
    quint64 seed = 1;
    ReproducerContext reproducer; // for the best cell's commands
};

class Hunt : public QObject
{
    Q_OBJECT
public:
    // The backend must outlive the hunt.
    Hunt(HuntBackend *backend, const HuntConfig &config, QObject *parent = nullptr);

    void start();
    void stop(); // the batch in flight is ended; finished() follows
    bool running() const { return m_running; }
    const QList<CellResult> &cells() const { return m_result.cells; }
    // The result so far (complete after finished()).
    HuntResult result() const;

Q_SIGNALS:
    void batchStarted(qsizetype cell, qint64 cycles);
    void cellUpdated(qsizetype cell, const kms::hunt::CellResult &result);
    void batchFinished(qsizetype cell);
    void finished(const kms::hunt::HuntResult &result);

private:
    void next();
    void onCycle(const QString &verdict, const QStringList &titles);
    void onLateTitles(const QStringList &titles);
    void onBatchFinished(HuntBackend::BatchEnd end, const QString &detail);
    void finish(EndReason reason, const QString &detail = {});

    HuntBackend *m_backend;
    HuntConfig m_config;
    Scheduler m_scheduler;
    HuntResult m_result;
    QElapsedTimer m_clock;
    QElapsedTimer m_batchClock;
    qsizetype m_cell = -1; // the cell of the batch in flight
    qsizetype m_lastCell = -1; // of the last batch
    bool m_running = false;
    bool m_stopping = false;
};

// The builds' totals side by side with Fisher's test, per condition and overall (cells come in
// pairs: 2i is build A, 2i+1 build B).
CompareResult compareBuilds(const QList<CellResult> &cells, const QString &koA, const QString &koB,
                            CompareKind kind = CompareKind::Ko);

} // namespace kms::hunt
