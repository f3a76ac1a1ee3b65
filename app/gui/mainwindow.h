// The main window: Console, Reports and Source docks (arrangement restored on restart), the
// connection profile, and a toolbar that connects each link with its live state.
#pragma once

#include "link/seriallink.h"
#include "link/sshlink.h"
#include "log/dmesgreplay.h"
#include "log/sessionlog.h"
#include "profile.h"
#include "report/duplicatereports.h"
#include "report/kernelreport.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QSet>
#include <QThread>

#include <memory>

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;

namespace kms {
class NodeFetcher;
class SshSecretStore;
} // namespace kms

namespace kms::gui {

class ConsoleModel;
class ConsoleView;
class ReportsModel;
class ReportsView;
class SourceView;
class ReportEngine;

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
    QStringList pathMaps; // --src-map OLD=NEW
    QString screenshot; // hidden --screenshot FILE
    QString sessionLogDir; // --session-log-dir DIR (default: the app's data dir, "sessions")
    bool sessionLog = true; // --no-session-log
    bool connect = true; // connect the profile's links at start
};

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const StartOptions &options = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    ConsoleModel *consoleModel() const { return m_consoleModel; }
    ConsoleView *consoleView() const { return m_consoleView; }
    ReportsModel *reportsModel() const { return m_reportsModel; }
    ReportsView *reportsView() const { return m_reportsView; }
    SourceView *sourceView() const { return m_sourceView; }
    QDockWidget *reportsDock() const { return m_reportsDock; }
    QDockWidget *sourceDock() const { return m_sourceDock; }
    QDockWidget *consoleDock() const { return m_consoleDock; }
    const Profile &profile() const { return m_profile; }
    SerialLink *serialLink() const { return m_serial.get(); }
    QString serialStateText() const;
    QString sshStateText() const;
    QString sessionLogPath() const { return m_sessionLogPath; }
    // The directory fetched files of the current profile's node go to.
    QString nodeCacheDir() const;

    void applyProfile(const Profile &profile);
    void connectSerial();
    void disconnectSerial();
    void connectSsh();
    void disconnectSsh();
    // Lines from any source, as the links deliver them (tests and file replay use it too).
    void feedLines(const QList<kms::LogLine> &lines);
    // The frame of a report that a console span ("func+0x1c/0x70 [mod]") names, or -1.
    int frameForSpan(int reportId, const QString &span) const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void updateReportsTitle(int unread);
    void onReportDetected(int id, const kms::KernelReport &report, const QList<int> &rows);
    void onFrameActivated(int reportId, int frameIndex, int callerIndex);
    void onPathMapRequested(const QString &missing);
    void onHostKeyUnknown(const QString &host, const QString &fingerprint);
    void setSerialState(SerialLink::State state, const QString &detail);
    void setSshState(SshLink::State state, const QString &detail);
    void reloadProfiles();
    void takeScreenshotWhenReady(const QString &file);
    void updateSymbolConfig();
    void resolveAllAgain();
    void openSessionLog();
    void onReportResolved(int id, const kms::KernelReport &report);
    void fetchModules(const QStringList &modules);
    void fetchPendingModules();
    void updateFetchAvailable();
    // connectSsh's steps: the password (keychain, else asked) when the profile allows one.
    void askSshPassword();
    void startSsh(const QString &password, bool remember);
    QString secretKey() const;

    StartOptions m_options;
    Profile m_profile;
    ConsoleModel *m_consoleModel;
    ConsoleView *m_consoleView;
    ReportsModel *m_reportsModel;
    ReportsView *m_reportsView;
    SourceView *m_sourceView;
    ReportEngine *m_engine;
    QDockWidget *m_consoleDock;
    QDockWidget *m_reportsDock;
    QDockWidget *m_sourceDock;
    QComboBox *m_profileBox = nullptr;
    QAction *m_serialAction = nullptr;
    QAction *m_sshAction = nullptr;
    QLabel *m_serialState = nullptr;
    QLabel *m_sshState = nullptr;
    std::unique_ptr<SerialLink> m_serial;
    std::unique_ptr<SshLink> m_ssh;
    quint64 m_sshStream = 0;
    DmesgReplayFilter m_sshReplay;
    // Serial and SSH-dmesg both carry each report: the second copy joins the first.
    DuplicateReports m_duplicates;
    QElapsedTimer m_clock;
    QSet<int> m_copies; // engine ids of such second copies
    // Written in a thread of its own: fdatasync may take a disk round trip the GUI must not wait for.
    QThread m_sessionLogThread;
    SessionLog *m_sessionLog = nullptr;
    QString m_sessionLogPath;
    NodeFetcher *m_fetcher = nullptr;
    SshSecretStore *m_secrets = nullptr; // nullptr when built without QtKeychain
    QString m_secretToKeep; // written to the keychain once the login worked
    bool m_passwordFromKeychain = false;
    // What this session fetched from the node: .ko files and "build path=cached copy" maps.
    QStringList m_fetchedKo;
    QStringList m_fetchedSources;
    QStringList m_fetchAsked; // modules asked for once (auto-fetch is not repeated)
    QStringList m_fetchWanted; // modules to fetch as soon as SSH is up
    struct FrameRef {
        int reportId = -1;
        int frame = -1;
        int caller = -1;
    };
    FrameRef m_shownFrame; // in the source view
    FrameRef m_reopenFrame; // to show again once its report is resolved again
};

} // namespace kms::gui
