// The demo's short hunt: the hunt core (app/core/hunt: Hunt, RunnerBackend, a CycleRunner of its
// own following the window's NodeSession) over a small grid, prudaq's fault=none against
// fault=unload_race at two settle times, a few cycles a cell and one crash ends a cell. Its grid
// is shown as it fills in a table of its own (HuntGridTable) and, when it ends, as lines in the
// console (source "hunt", events: never taken for kernel output, kept in the session log).
#pragma once

#include "hunt/hunt.h"

#include <QObject>
#include <QWidget>

#include <memory>

class QLabel;
class QTableWidget;

namespace kms {
class CycleRunner;
class NodeSession;
struct SshSettings;
} // namespace kms

namespace kms::hunt {
class RunnerBackend;
}

namespace kms::gui {

// One row per cell: conditions, cycles, crashes, rate with its 95% interval, first crash, titles.
class HuntGridTable : public QWidget
{
    Q_OBJECT
public:
    explicit HuntGridTable(QWidget *parent = nullptr);
    void setCells(const QList<kms::hunt::CellResult> &cells);
    void setStatus(const QString &text);
    QTableWidget *table() const { return m_table; }
    QString statusText() const;

private:
    QTableWidget *m_table;
    QLabel *m_status;
};

// "settle 0 ms, fault=none" and "1/4 crashed, 25% (95% CI 4.6-70%), first at cycle 1".
QString huntConditionsText(const kms::hunt::CellResult &cell);
QString huntRateText(const kms::hunt::CellResult &cell);

class DemoHunt : public QObject
{
    Q_OBJECT
public:
    // The grid the demo runs: fault=none,unload_race x settle 0,20 ms.
    static kms::hunt::HuntConfig demoConfig(int cyclesPerCell = 4);

    DemoHunt(kms::NodeSession *session, const kms::SshSettings &ssh, QObject *parent = nullptr);
    ~DemoHunt() override;

    // False (and *error) when a hunt runs already or SSH is not up.
    bool start(const kms::hunt::HuntConfig &config, QString *error);
    void stop();
    bool running() const;
    bool busy() const { return running() || m_cleaning; } // start() would refuse
    kms::CycleRunner *runner() const { return m_runner; }
    kms::hunt::Hunt *hunt() const { return m_hunt.get(); }

Q_SIGNALS:
    void cellsChanged(const QList<kms::hunt::CellResult> &cells);
    void status(const QString &text);
    void finished(const kms::hunt::HuntResult &result);

private:
    void onFinished(const kms::hunt::HuntResult &result);

    kms::NodeSession *m_session;
    kms::CycleRunner *m_runner;
    std::unique_ptr<kms::hunt::RunnerBackend> m_backend;
    std::unique_ptr<kms::hunt::Hunt> m_hunt;
    bool m_cleaning = false;
};

} // namespace kms::gui
