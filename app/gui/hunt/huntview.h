// The Hunt dock: a race hunt on the window's node session, driven by the same core objects as
// `kmodscope-cli hunt` (Hunt over a RunnerBackend over a CycleRunner that follows the session).
// Settings, Start/Stop, the grid as a heat map of hit rates with their 95% intervals filling
// live, progress and cycles/min, the best reproducer as commands to paste (with Copy), a
// compare's statement; a click on a cell lists its crashes and asks the window to show the
// decoded report (Reports dock).
#pragma once

#include "hunt/hunt.h"
#include "huntform.h"
#include "node/sessionreports.h"
#include "report/kernelreport.h"

#include <QElapsedTimer>
#include <QHash>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableView;
class QToolButton;
class QTreeWidget;

namespace kms {
class CycleRunner;
class NodeSession;
struct CycleResult;
namespace hunt {
class RunnerBackend;
}
} // namespace kms

namespace kms::gui {

class CyclesDecoder;
class HuntGridModel;

class HuntView : public QWidget
{
    Q_OBJECT
public:
    explicit HuntView(kms::NodeSession *session, QWidget *parent = nullptr);
    ~HuntView() override;

    // Why the node cannot take a hunt now (another dock's run), or empty.
    void setNodeBusyCheck(std::function<QString()> check) { m_busyCheck = std::move(check); }
    void setDefaultModule(const QString &module);

    bool running() const { return m_running; }
    HuntForm *form() const { return m_form; }
    HuntGridModel *model() const { return m_model; }
    QTableView *grid() const { return m_grid; }
    QTreeWidget *crashList() const { return m_crashes; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *stopButton() const { return m_stop; }
    QPushButton *copyNodeButton() const { return m_copyNode; }
    QLineEdit *nodeCommandEdit() const { return m_nodeCommand; }
    QLineEdit *cliCommandEdit() const { return m_cliCommand; }
    QProgressBar *progressBar() const { return m_progress; }
    QString statusText() const;
    QString rateText() const;
    QString compareText() const;
    // The last hunt's result (so far, while it runs).
    std::optional<kms::hunt::HuntResult> result() const;
    // The session report of a cell's crash (index into its crash list), or -1.
    int sessionReportOf(qsizetype cell, qsizetype crash) const;

public Q_SLOTS:
    void start();
    void stop();
    // As a click on the cell: lists its crashes and asks for the first one's report.
    void showCell(qsizetype cell);

Q_SIGNALS:
    void reportRequested(int sessionReportId);
    void runningChanged(bool running);

private:
    using ReportKey = kms::SessionReports::Key;
    void buildUi();
    void fitColumns();
    void setRunning(bool running);
    void startWithDecoder();
    void onBatchStarted(qsizetype cell, qint64 cycles);
    void onCellUpdated(qsizetype cell, const kms::hunt::CellResult &result);
    void onBatchFinished();
    void onFinished(const kms::hunt::HuntResult &result);
    void onRunnerCycle(const kms::CycleResult &result, bool update);
    void fillCrashList(qsizetype cell);
    void showResult(const kms::hunt::HuntResult &result);
    QString reproducerNote() const;

    kms::NodeSession *m_session;
    CyclesDecoder *m_decoder;
    HuntGridModel *m_model;
    std::function<QString()> m_busyCheck;
    // One hunt's objects, kept until the next Start (the final cleanup runs after finished).
    std::unique_ptr<kms::CycleRunner> m_runner;
    std::unique_ptr<kms::hunt::RunnerBackend> m_backend;
    std::unique_ptr<kms::hunt::Hunt> m_hunt;
    std::optional<kms::hunt::HuntResult> m_final;
    QElapsedTimer m_clock;
    bool m_running = false;
    bool m_pendingStart = false;
    qint64 m_plannedCycles = 0;

    // Per cell, each crash's reports as the runner gave them (aligned with CellResult::crashList),
    // and the session's reports as detected, to find a crash's report in the Reports dock.
    QHash<qsizetype, QList<QList<ReportKey>>> m_crashReports;
    qsizetype m_batchCell = -1;
    QHash<int, QPair<qsizetype, qsizetype>> m_batchCrashes; // runner cycle -> (cell, crash)
    kms::SessionReports *m_sessionReports;
    qsizetype m_shownCell = -1;

    HuntForm *m_form;
    QToolButton *m_settings;
    QPushButton *m_start, *m_stop, *m_copyNode, *m_copyCli;
    QProgressBar *m_progress;
    QLabel *m_rate, *m_status, *m_compare, *m_cellTitle;
    QTableView *m_grid;
    QTreeWidget *m_crashes;
    QLineEdit *m_nodeCommand, *m_cliCommand;

    std::optional<HuntForm::Prepared> m_prepared; // while the decoder reads the modules
};

} // namespace kms::gui
