// The main window: Console, Reports and Source docks (arrangement restored on restart), the
// connection profile, and a toolbar that connects each link with its live state.
#pragma once

#include "consolelinemap.h"
#include "link/seriallink.h"
#include "link/sshlink.h"
#include "node/nodesession.h"
#include "profile.h"
#include "report/kernelreport.h"

#include <QMainWindow>

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;

namespace kms::telemetry {
class CycleTimeline;
class TelemetryHub;
class TelemetryStore;
} // namespace kms::telemetry

namespace kms::gui {

class ConsoleActions;
class ConsoleModel;
class LogOpener;
class ViewMenu;
class ConsoleView;
class ReportFollower;
class CyclesView;
class DemoMenu;
class HuntView;
class ReportsModel;
class ReportsView;
class SourceView;
class SshLogin;
class TelemetryView;

struct StartOptions {
    QString profile; // --profile NAME
    QString serial; // --serial PATH (overrides the profile's)
    QString sshHost; // --ssh HOST, with --ssh-port/--ssh-user/--ssh-key/--known-hosts (override)
    int sshPort = 0;
    QString sshUser;
    QString sshKey;
    QString knownHosts;
    QString saveAs; // --save-profile NAME: keep the assembled profile under NAME
    QStringList koPaths; // --ko PATH (added to the profile's)
    QString vmlinux; // --vmlinux FILE (overrides the profile's)
    QStringList pathMaps; // --src-map OLD=NEW
    QString screenshot; // hidden --screenshot FILE
    QString sessionLogDir; // --session-log-dir DIR (default: the app's data dir, "sessions")
    bool sessionLog = true; // --no-session-log
    bool connect = true; // connect the profile's links at start
    QStringList logs; // log files to open (kmodscope FILE...)
};

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const StartOptions &options = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    ConsoleModel *consoleModel() const { return m_consoleModel; }
    ConsoleView *consoleView() const { return m_consoleView; }
    ConsoleActions *consoleActions() const { return m_consoleActions; }
    ReportsModel *reportsModel() const { return m_reportsModel; }
    ReportsView *reportsView() const { return m_reportsView; }
    SourceView *sourceView() const { return m_sourceView; }
    ReportFollower *reportFollower() const { return m_follower; }
    LogOpener *logOpener() const { return m_logOpener; }
    ViewMenu *viewMenu() const { return m_viewMenu; }
    QDockWidget *reportsDock() const { return m_reportsDock; }
    QDockWidget *sourceDock() const { return m_sourceDock; }
    QDockWidget *consoleDock() const { return m_consoleDock; }
    // Telemetry: the sources append to the store; reports are markers on its time axis.
    kms::telemetry::TelemetryStore *telemetryStore() const { return m_telemetryStore.get(); }
    TelemetryView *telemetryView() const { return m_telemetryView; }
    QDockWidget *telemetryDock() const { return m_telemetryDock; }
    kms::telemetry::TelemetryHub *telemetryHub() const { return m_telemetryHub; }
    kms::telemetry::CycleTimeline *cycleTimeline() const { return m_cycleTimeline; }
    CyclesView *cyclesView() const { return m_cyclesView; }
    DemoMenu *demoMenu() const { return m_demo; }
    QDockWidget *cyclesDock() const { return m_cyclesDock; }
    HuntView *huntView() const { return m_huntView; }
    QDockWidget *huntDock() const { return m_huntDock; }
    const Profile &profile() const { return m_profile; }
    // The links, the line pipeline, reports and fetching: the window only shows them.
    NodeSession *session() const { return m_session; }
    SerialLink *serialLink() const { return m_session->serial(); }
    QString serialStateText() const;
    QString sshStateText() const;
    QString sessionLogPath() const { return m_session->sessionLogPath(); }
    // The directory fetched files of the current profile's node go to.
    QString nodeCacheDir() const;

    void applyProfile(const Profile &profile);
    void connectSerial();
    void disconnectSerial();
    void connectSsh();
    void disconnectSsh();
    // Lines from any source, as the links deliver them (tests and file replay use it too).
    void feedLines(const QList<kms::LogLine> &lines) { m_session->feedLines(lines); }
    // The frame of a report that a console span ("func+0x1c/0x70 [mod]") names, or -1.
    int frameForSpan(int reportId, const QString &span) const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void updateReportsTitle(int unread);
    void onReportDetected(int id, const kms::KernelReport &report, const QList<quint64> &lines);
    void connectSession();
    void onFrameActivated(int reportId, int frameIndex, int callerIndex);
    void onPathMapRequested(const QString &missing);
    void onHostKeyUnknown(const QString &host, const QString &fingerprint);
    void setSerialState(SerialLink::State state, const QString &detail);
    void setSshState(SshLink::State state, const QString &detail);
    void reloadProfiles();
    void takeScreenshotWhenReady(const QString &file);
    void updateSymbolConfig();
    void openSessionLog();
    void onReportResolved(int id, const kms::KernelReport &report);
    void updateFetchAvailable();
    void newProfileFromVirtualNode();
    // connectSsh's last step, with the password (SshLogin) when the profile allows one.
    void startSsh(const QString &password);
    QString secretKey() const;

    StartOptions m_options;
    Profile m_profile;
    ConsoleModel *m_consoleModel;
    ConsoleView *m_consoleView;
    ConsoleActions *m_consoleActions = nullptr;
    ReportsModel *m_reportsModel;
    ReportsView *m_reportsView;
    SourceView *m_sourceView;
    ReportFollower *m_follower;
    LogOpener *m_logOpener = nullptr;
    ViewMenu *m_viewMenu = nullptr;
    NodeSession *m_session;
    ConsoleLineMap m_consoleLines; // session line numbers -> console line numbers
    QDockWidget *m_consoleDock;
    QDockWidget *m_reportsDock;
    QDockWidget *m_sourceDock;
    std::unique_ptr<kms::telemetry::TelemetryStore> m_telemetryStore;
    TelemetryView *m_telemetryView = nullptr;
    QDockWidget *m_telemetryDock = nullptr;
    kms::telemetry::TelemetryHub *m_telemetryHub = nullptr;
    kms::telemetry::CycleTimeline *m_cycleTimeline = nullptr;
    CyclesView *m_cyclesView;
    QDockWidget *m_cyclesDock;
    DemoMenu *m_demo = nullptr; // virtual-node profiles only
    HuntView *m_huntView;
    QDockWidget *m_huntDock;
    QComboBox *m_profileBox = nullptr;
    QAction *m_serialAction = nullptr;
    QAction *m_sshAction = nullptr;
    QLabel *m_serialState = nullptr;
    QLabel *m_sshState = nullptr;
    SshLogin *m_login = nullptr; // passwords: keychain, dialog
    struct FrameRef {
        int reportId = -1;
        int frame = -1;
        int caller = -1;
    };
    FrameRef m_shownFrame; // in the source view
    FrameRef m_reopenFrame; // to show again once its report is resolved again
};

} // namespace kms::gui
