// The Cycles dock: the run's settings (stored per profile), Start/Stop, progress with rate and
// ETA, the live table of cycles and the totals per verdict, Markdown export. The runner follows
// the window's NodeSession; a click on a crashed or leaking cycle asks the window to show its
// report (Reports dock) or its lines (Console dock).
#pragma once

#include "cycle/cycleconfig.h"
#include "cycle/cyclerunner.h"
#include "telemetry/telemetrysource.h"

#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace kms {
class NodeSession;
class SessionReports;
} // namespace kms

namespace kms::gui {

class CyclesDecoder;
class CyclesModel;

class CyclesView : public QWidget
{
    Q_OBJECT
public:
    explicit CyclesView(kms::NodeSession *session, QWidget *parent = nullptr);
    ~CyclesView() override;

    // The profile's stored run (CycleRunConfig JSON; empty: defaults), its modules (the first
    // is the default module name) and its telemetry sources: with a stream among them, a
    // reader of it during each settle is on unless the stored run turned it off.
    void setProfileConfig(const QJsonObject &config, const QStringList &modules,
                          const QList<kms::telemetry::TelemetrySourceSpec> &telemetry = {});
    // The run as the form says (over the stored settings the form does not show).
    kms::CycleRunConfig config() const;

    kms::CycleRunner *runner() const { return m_runner; }
    CyclesModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *stopButton() const { return m_stop; }
    QProgressBar *progressBar() const { return m_progress; }
    QString rateText() const;
    QString totalsText() const;
    QString statusText() const;

    // The session report a cycle's report is (-1: none seen), and the session line number of
    // the cycle's begin marker (nullopt: not seen).
    int sessionReportOf(int n) const;
    std::optional<quint64> markerLineOf(int n) const;
    // For the window's closeEvent: true when it may close now. Mid-run it asks "stop the run
    // and leave the module unloaded / loaded, or keep running?"; after a stop it closes the
    // window itself once the run has ended (the module left as chosen on the node).
    bool mayClose();

    // The run so far as Markdown (core's runReportMarkdown) into path.
    bool writeMarkdown(const QString &path, QString *error = nullptr) const;

public Q_SLOTS:
    void start();
    void stop();
    // Writes the finished (or stopped) run as Markdown; asks where.
    void exportMarkdown();
    // As a click on the cycle's row.
    void showCycle(int n);
    // Selects the cycle's row (scrolled to) and shows it as a click on the row does; false
    // when the table has no such cycle (yet).
    bool selectCycle(int n);

Q_SIGNALS:
    // The form's settings on Start: for the profile.
    void configChanged(const QJsonObject &config);
    void reportRequested(int sessionReportId);
    void consoleLineRequested(quint64 sessionLine);

private:
    void buildForm();
    void setRunning(bool running);
    void startWithDecoder();
    void onProgress(int done, int total, double perMinute, qint64 etaMs);
    void onFinished(kms::RunEnd end, const QString &message);
    void updateTotals();
    void onSessionLines(quint64 firstSeq, const QList<kms::LogLine> &lines);

    kms::NodeSession *m_session;
    kms::CycleRunner *m_runner;
    CyclesDecoder *m_decoder;
    CyclesModel *m_model;
    QJsonObject m_stored; // the profile's settings
    bool m_pendingStart = false; // waiting for the decoder
    bool m_closeAfterRun = false; // the window asked to close: stopping, then closing it
    kms::CycleRunConfig m_pendingConfig;

    kms::SessionReports *m_sessionReports; // to find a cycle's report in the session
    static constexpr int keptMarkers = 20000;
    QMap<int, quint64> m_markerLines; // cycle -> session line of its begin marker (the newest keptMarkers)

    QLineEdit *m_module, *m_params, *m_insmod;
    QSpinBox *m_count, *m_delay, *m_settle, *m_returnTimeout;
    QCheckBox *m_untilFailure, *m_stopOnCrash, *m_sudo, *m_telemetry;
    QString m_telemetryPath; // the profile's stream, empty when it has none
    QPushButton *m_start, *m_stop, *m_export;
    QProgressBar *m_progress;
    QLabel *m_rate, *m_status, *m_totals;
    QTableView *m_table;
};

} // namespace kms::gui
