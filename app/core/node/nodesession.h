// One live session with a node: what the GUI, `kmodscope-cli watch`, the cycle runner and the
// telemetry sources share. It owns
//   - the serial link and the SSH link, with the kernel-log stream on SSH (default
//     defaultDmesgStreamCommand()) and its DmesgReplayFilter (a reconnect's replay is dropped),
//   - the session log (written in a thread of its own: fdatasync never stalls the caller),
//   - the ReportEngine (its own thread): per-source detection with idle flush, pairing of the
//     copy another source printed (DuplicateReports), symbolization with the symbol config,
//   - the NodeFetcher (a module's .ko and source files over SSH into the node's cache dir),
//     with auto-fetch of the modules a resolved report has no .ko for, once SSH is up,
//   - with debuginfod ($DEBUGINFOD_URLS), the BuildIdFetcher: the build ids of the node's kernel
//     and loaded modules, read when SSH comes up and when a report arrives, so that debug files
//     of exactly what runs are fetched by build id.
// Front ends keep what is theirs: widgets, texts, password dialogs and keychains.
//
// Line numbering: every line that joins the session (from either link, from an extra stream
// started as Console, or fed with feedLines) gets the next sequence number, a quint64 starting
// at 0 that never wraps; linesReceived gives the number of a batch's first line, and reports
// name their lines by these numbers. A front end that stores lines elsewhere (the GUI's console
// model, with its own row numbers) maps the numbers itself.
//
// Threading: a NodeSession lives in one thread (the GUI's, the CLI's main thread); its signals
// are emitted there. Nothing in it blocks on I/O.
#pragma once

#include "link/seriallink.h"
#include "link/sshlink.h"
#include "log/dmesgreplay.h"
#include "log/logline.h"
#include "node/reportengine.h"
#include "report/kernelreport.h"

#include <QHash>
#include <QMap>
#include <QObject>
#include <QStringList>
#include <QThread>

#include <memory>

namespace kms {

class BuildIdFetcher;
class NodeFetcher;
class SessionLog;

class NodeSession : public QObject
{
    Q_OBJECT
public:
    // The label of the kernel-log stream's lines (LogLine::source, KernelReport::source).
    static constexpr char kernelLogSource[] = "ssh-dmesg";
    // Quiet on a source after which a report without end marker is emitted.
    static constexpr int defaultIdleFlushMs = 700;

    explicit NodeSession(int idleFlushMs = defaultIdleFlushMs, QObject *parent = nullptr);
    ~NodeSession() override; // stops the links, then writes and syncs the session log

    // The node's own cache directory for fetched files (~/.cache/kmodscope/nodes/<host>[_port]).
    static QString cacheDirFor(const QString &host, int port);

    // --- session log
    // Appends to path (created with its directory). false with *error when it cannot be opened.
    bool openSessionLog(const QString &path, QString *error = nullptr);
    QString sessionLogPath() const { return m_sessionLogPath; } // empty: none

    // --- serial link
    void startSerial(const SerialSettings &settings); // replaces a running one
    void stopSerial(); // then serialStateChanged(Closed)
    SerialLink *serial() const { return m_serial.get(); } // nullptr when stopped
    SerialLink::State serialState() const { return m_serialState; }

    // --- SSH link and its kernel-log stream (empty command: defaultDmesgStreamCommand()).
    // Replaces a running link; streams added with addStream() start on the new link too.
    void startSsh(const SshSettings &settings, const QByteArray &kernelLogCommand = {});
    void stopSsh(); // then sshStateChanged(Disconnected)
    // For commands, files and streams of one's own (the cycle runner). It changes with each
    // startSsh/stopSsh (sshLinkChanged): connect to the link that is there.
    SshLink *ssh() const { return m_ssh.get(); }
    // The settings of the last startSsh (a second connection of one's own: the hunt's traffic).
    const SshSettings &sshSettings() const { return m_sshSettings; }
    SshLink::State sshState() const { return m_sshState; }
    bool sshUp() const { return m_ssh && m_sshState == SshLink::State::Up; }
    // The answer to hostKeyUnknown.
    void answerHostKey(bool accept);
    // Whether the SSH link has ever been up since startSsh.
    bool sshWasUp() const { return m_sshWasUp; }

    // Extra streams on the SSH link (telemetry, a second log): Console lines join the session
    // (numbered, logged, detected, linesReceived); Private lines only come as streamLines. The
    // handle stays valid across startSsh; removeStream stops it.
    enum class StreamUse { Console, Private };
    int addStream(const QByteArray &commandLine, const QString &source, StreamUse use);
    void removeStream(int handle);

    // --- lines from elsewhere (a file replayed, tests): as if a link had delivered them.
    void feedLines(const QList<LogLine> &lines);
    // Emits every report still being read (end of a replayed file, a CLI's exit); the signals
    // are delivered before it returns.
    void finishReports();
    quint64 nextLineSeq() const { return m_nextSeq; }

    // --- decoding
    // The user's modules and path maps; what was fetched from the node is added to them.
    void setSymbolConfig(const QStringList &koPaths, const QStringList &pathMaps);
    SymbolConfig symbolConfig() const; // effective: user's + fetched
    // The loads of a module a cycle run recorded: the live one (empty: none) and those unloaded
    // since (oldest first). The session's reports are resolved with the live one's sections and
    // explained with both: a fault address in an unloaded load's sections is named as such.
    // CycleRunner::follow() keeps this current while its run goes on.
    void setModuleLoads(const QString &module, const SectionAddresses &live, const QList<EarlierLoad> &earlier);
    // A debug vmlinux for core-kernel frames (empty: none).
    void setVmlinux(const QString &path);
    // Debug files by build id through debuginfod, on by default when $DEBUGINFOD_URLS is set;
    // stallTimeoutMs 0: $DEBUGINFOD_TIMEOUT, else 15 s.
    void setDebuginfod(bool on, int stallTimeoutMs = 0);
    // Build ids the user gives (module, "vmlinux": the kernel); they win over the node's.
    void setBuildIds(const QHash<QString, QByteArray> &ids);
    QHash<QString, QByteArray> nodeBuildIds() const { return m_nodeBuildIds; } // as read on the node
    bool readingBuildIds() const; // a read is under way (buildIdsRead follows)
    // Resolves every report of the session again (reportResolved for each), or one.
    void resolveAgain();
    void resolveAgain(int id);
    // The report as detected (unresolved), or nullptr. The newest keptReports are kept.
    static constexpr int keptReports = 10000;
    const KernelReport *report(int id) const;

    // --- fetching from the node (needs startSsh and a cache dir)
    void setNodeCacheDir(const QString &dir); // takes effect at the next startSsh
    QString nodeCacheDir() const { return m_cacheDir; }
    // Fetch the .ko of modules a resolved report names without one (once per module).
    void setAutoFetchModules(bool on) { m_autoFetch = on; }
    // Wanted modules wait for SSH (after a panic the node is still rebooting).
    void fetchModules(const QStringList &modules);
    void fetchSource(const QString &remotePath);
    bool canFetch() const { return m_fetcher && sshUp(); }
    // Another node: its log, modules and sources are its own (replay filter and fetched state).
    void forgetNode();

Q_SIGNALS:
    void serialStateChanged(kms::SerialLink::State state, const QString &detail);
    void sshStateChanged(kms::SshLink::State state, const QString &detail);
    void hostKeyUnknown(const QString &host, const QString &fingerprint);
    void sshLinkChanged(kms::SshLink *link); // nullptr after stopSsh
    // Every batch of lines that joins the session, in order; lines[i] is number firstSeq + i.
    // A link's batch has one source (LogLine::source); fed batches may mix them.
    void linesReceived(quint64 firstSeq, const QList<kms::LogLine> &lines);
    void streamLines(int handle, const QList<kms::LogLine> &lines);
    // The serial console's line that waits without newline (the node's shell prompt), empty
    // text once it is gone; see SerialLink::partialLineChanged. Not numbered, not logged: the
    // completed line comes in linesReceived.
    void partialLineChanged(const kms::LogLine &line);
    // A new report (report.source, report.timestamp = kernel time of its first line), with the
    // numbers of its lines; resolved follows (again after resolveAgain).
    void reportDetected(int id, const kms::KernelReport &report, const QList<quint64> &lines);
    void reportResolved(int id, const kms::KernelReport &report);
    // The same report printed by another source (copy.source): "also seen on".
    void duplicateDetected(int originalId, const kms::KernelReport &copy, const QList<quint64> &lines);
    void configProblem(const QString &text); // modules that could not be read
    void moduleFetchStarted(const QString &module);
    void moduleFetched(const QString &module, const QString &localPath);
    void sourceFetched(const QString &remotePath, const QString &localPath);
    void fetchFailed(const QString &what, const QString &error); // what: module or remote path
    // A read of the node's build ids ended; when they changed, every report is resolved again
    // (reportResolved follows).
    void buildIdsRead(bool changed);

private:
    struct Stream {
        QByteArray command;
        QString source;
        StreamUse use;
        quint64 linkId = 0;
    };
    void onSshState(SshLink::State state, const QString &detail);
    void onStreamLines(quint64 id, const QList<LogLine> &lines);
    void onResolved(int id, const KernelReport &report);
    void startStreamOnLink(Stream &stream);
    void fetchPendingModules();
    void updateSymbolConfig();
    void closeSessionLog();

    ReportEngine *m_engine;
    std::unique_ptr<SerialLink> m_serial;
    std::unique_ptr<SshLink> m_ssh;
    SshSettings m_sshSettings;
    SerialLink::State m_serialState = SerialLink::State::Closed;
    SshLink::State m_sshState = SshLink::State::Disconnected;
    bool m_sshWasUp = false;
    quint64 m_kernelStream = 0;
    DmesgReplayFilter m_replay;
    QMap<int, Stream> m_streams;
    int m_lastStream = 0;
    quint64 m_nextSeq = 0;
    // Written in a thread of its own: fdatasync may take a disk round trip.
    QThread m_logThread;
    SessionLog *m_log = nullptr;
    QString m_sessionLogPath;
    QStringList m_koPaths;
    QStringList m_pathMaps;
    QMap<int, KernelReport> m_reports; // as detected, for resolveAgain
    NodeFetcher *m_fetcher = nullptr;
    QString m_cacheDir;
    bool m_autoFetch = false;
    // What this session fetched from the node: .ko files and "build path=cached copy" maps.
    QStringList m_fetchedKo;
    QStringList m_fetchedSources;
    QStringList m_fetchAsked; // modules asked for once (auto-fetch is not repeated)
    QStringList m_fetchWanted; // modules to fetch as soon as SSH is up
    BuildIdFetcher *m_buildIdFetcher = nullptr;
    QString m_vmlinux;
    bool m_debuginfod = true;
    int m_debuginfodStallMs = 0;
    QHash<QString, QByteArray> m_givenBuildIds;
    QHash<QString, QByteArray> m_nodeBuildIds;
    void fetchBuildIds();
};

} // namespace kms
