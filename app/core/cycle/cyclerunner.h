// Reload cycles of one module on one node: load, verify live, record the load's sections and
// build id, settle, health checks, unload, verify gone, post-unload checks (leaks), one SSH
// round trip per cycle (cyclescript.sh, called on a shell kept open for the run: CycleShell).
// The consoles (serial, dmesg over SSH) are watched at the same time through the on*() slots: a
// "Kernel panic" line ends the cycle at once, the node is waited for, and the run goes on or
// stops as configured.
//
// The runner drives an SshLink it does not own (the node session's) and is fed by whoever owns
// the consoles: NodeSession in the GUI and the CLI. Everything happens on the thread the runner
// lives on, through signals; nothing blocks.
#pragma once

#include "cycle/cycleanalysis.h"
#include "cycle/cycleconfig.h"
#include "cycle/cycleconsole.h"
#include "cycle/cyclehistory.h"
#include "cycle/cycleresult.h"
#include "cycle/cycleshell.h"
#include "cycle/leaktracker.h"
#include "link/sshlink.h"
#include "node/reportengine.h" // KernelReport's metatype, declared there before any moc uses it

#include <QElapsedTimer>
#include <QIODevice>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <optional>

namespace kms {

class NodeSession;
class Symbolizer;
struct CycleScriptOutput;

class CycleRunner : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Idle,
        Probing, // checking the node: root, the module, what it can trace
        Cycling, // a cycle's script is running on the node
        Collecting, // script done; waiting for the consoles to catch up (end markers)
        Delaying, // between cycles
        WaitingForNode, // after a crash or a lost link, until SSH answers again
        Finishing, // end-of-run scans, the module left as chosen
        Stopping, // stop(): the module being left as chosen
        Finished,
    };
    Q_ENUM(State)

    explicit CycleRunner(SshLink *ssh = nullptr, QObject *parent = nullptr);
    ~CycleRunner() override;

    // The link the node's commands go over (a node session replaces it when it reconnects
    // with new settings). Commands in flight on the old one are abandoned.
    void setSshLink(kms::SshLink *ssh);
    // Everything from a node session: its SSH link (followed when it changes), its lines,
    // reports and link states. The usual way to feed the runner (GUI, CLI).
    void follow(NodeSession *session);

    // Reports and leak sites are resolved with each load's sections through this symbolizer
    // (optional; it must outlive the runner). Resolution runs on the runner's thread.
    void setSymbolizer(Symbolizer *symbolizer) { m_symbolizer = symbolizer; }

    // False (and *error) for a bad configuration; the node is not touched then.
    bool start(const CycleRunConfig &config, QString *error = nullptr);
    // Ends the run now: the cycle in flight is abandoned (its script stops at its next step),
    // and the module is left as config.finalState says. runFinished follows.
    void stop();
    // What a stop (or the end of the run) leaves, decided while the run goes on (a window
    // closing mid-run asks the user).
    void setFinalState(CycleRunConfig::FinalState state) { m_config.finalState = state; }

    State state() const { return m_state; }
    // This run's token: its marker lines in the kernel log end with " run=TOKEN" (empty before the first run).
    QString runToken() const { return m_token; }
    bool running() const { return m_state != State::Idle && m_state != State::Finished; }
    const CycleRunConfig &config() const { return m_config; }
    // Where each run keeps its finished cycles as they finish (CycleSpool: one JSON line each):
    // a file "kmodscope-cycles-TOKEN.jsonl" in dir (empty: the user's cache directory,
    // "cycle-spool"), removed when the next run starts or the runner goes unless keep.
    void setSpoolDir(const QString &dir, bool keep = false);
    QString spoolPath() const { return m_history.spoolPath(); }
    // This run's spool stays on disk (the report could not be written: the cycles are there).
    void keepSpool() { m_history.keepSpool(); }
    // The finished cycles held in full, oldest first: the last CycleHistory::recentKept and the
    // newest CycleHistory::failingKept that did not pass (a short run: all of them). The whole
    // run is in the spool: forEachCycleJson, writeRunReport.
    const QList<CycleResult> &cycles() const { return m_history.kept(); }
    int cycleCount() const { return m_history.count(); }
    RunTotals totals() const { return m_history.totals(); }
    QList<Finding> runFindings() const { return m_runFindings; }
    QList<LeakSite> kmemleakSites() const { return m_kmemleak; }
    QString kmemleakNote() const { return m_kmemleakNote; }
    RunEnd runEnd() const { return m_end; }
    QString runEndMessage() const { return m_endMessage; }
    // Node facts from the probe: "kernel_release", "arch", "boot_id", "leak_check", ...
    QJsonObject nodeFacts() const { return m_facts; }
    // The whole run as the CLI's --json writes it, in memory (a short run; a long one streams
    // with writeRunReport).
    QJsonObject runReport() const;
    // The same report written to out as QJsonDocument::Indented would write runReport(), its
    // cycles streamed from the spool one at a time. False and *error when the spool cannot be
    // read back or out cannot take it.
    bool writeRunReport(QIODevice *out, QString *error = nullptr) const;
    // The run report without its cycles ("cycles" and memory's "slab_kb_after_unload" empty),
    // and every cycle's object in order: what a streaming reader (Markdown) needs.
    QJsonObject runReportHead() const;
    bool forEachCycleJson(const std::function<void(const QJsonObject &)> &fn, QString *error = nullptr) const;

public Q_SLOTS:
    // Console lines (serial, ssh-dmesg ...) as the node session receives them.
    void onLines(const QString &source, const QList<kms::LogLine> &lines);
    // A complete report (once, even when serial and SSH both printed it).
    void onReport(const kms::KernelReport &report);
    void onSerialState(bool open);
    void onSshState(kms::SshLink::State state, const QString &detail = {});

Q_SIGNALS:
    void stateChanged(kms::CycleRunner::State state);
    void cycleStarted(int n);
    void stepFinished(int n, const QString &step, double ms);
    // The moment a cycle is known to have crashed (a panic line, a report's first line), before
    // the report is complete or the node is back. lineTimeNs: when that line arrived.
    void crashDetected(int n, const QString &what, qint64 lineTimeNs);
    void cycleFinished(const kms::CycleResult &result);
    // A finished cycle changed: a report or a late finding attached to it.
    void cycleUpdated(const kms::CycleResult &result);
    // done cycles, of total (0: open-ended), rate and the estimated time left (-1: unknown).
    void progress(int done, int total, double cyclesPerMinute, qint64 etaMs);
    void message(const QString &text); // what the runner is doing, for logs and status bars
    void runFinished(kms::RunEnd end, const QString &message);

private:
    void setState(State state);
    quint64 runScript(const QString &mode, QStringList keyValues, bool withParams);
    void onCommandFinished(quint64 id, const kms::SshCommandResult &result);
    void onProbeFinished(const kms::SshCommandResult &result);
    void startCycle();
    void onCycleFinished(const kms::SshCommandResult &result);
    void onCycleTimeout();
    void collect();
    void finalizeCycle();
    void nodeDown(const QString &why, qint64 lineTimeNs);
    void pollNode();
    void onNodeProbe(const kms::SshCommandResult &result);
    void afterNodeBack();
    void finalizeCycleOnly();
    void continueOrEnd();
    void finishRun(RunEnd end, const QString &message);
    void afterFinalScans();
    void finalState();
    void done();
    CycleResult *cycle(int n);
    void attachReport(CycleResult &c, KernelReport report);
    void resolve(KernelReport &report, const LoadRecord &load, int cycleN);
    // Loads of the cycles before `beforeN` (all when 0), labelled "cycle N", the newest of
    // identical section sets only: what an address outside the live load may belong to.
    QList<EarlierLoad> earlierLoads(int beforeN) const;
    // The node session (follow()) learns the live load and the unloaded ones, so that the
    // reports it resolves itself (the GUI's Reports dock) are explained with them too.
    void publishLoads(bool currentGone);
    void resolveLeaks(QList<LeakSite> &leaks, const LoadRecord &load);
    void consoleEvent(const CycleConsole::Event &event);
    void publish(CycleResult &c);
    // Into the history; a cycle the spool could not take ends the run (nothing is lost: it stays
    // in memory and in the reports).
    void record(CycleResult c);
    void spoolFailed(const QString &error);

    QPointer<SshLink> m_ssh; // a session may destroy its link before saying so
    CycleShell m_shell; // the cycles' shell on m_ssh; one-off calls (probe, stop ...) use exec
    QPointer<NodeSession> m_session; // follow()
    Symbolizer *m_symbolizer = nullptr;
    CycleRunConfig m_config;
    State m_state = State::Idle;
    QString m_token;
    QString m_runDir;
    QHash<QString, QByteArray> m_scripts; // by mode
    QString m_moduleFile; // the module's file on the node (the build id is read again when it changes)

    // Commands in flight by purpose; a command whose id is no longer here was abandoned.
    enum class Purpose { Probe, Cycle, Inspect, NodeProbe, Pstore, Kmemleak, Final };
    QHash<quint64, Purpose> m_pending;
    quint64 m_unlinkedIds = 0;

    CycleConsole m_console;
    LeakTracker m_leaks;
    TaintWatch m_taint;
    bool m_leakCheck = false;
    bool m_kmemleakAvailable = false;
    bool m_unloadFirst = false;
    QStringList m_pstoreBaseline;
    bool m_serialOpen = false;
    SshLink::State m_sshState = SshLink::State::Disconnected;

    CycleHistory m_history; // finished cycles
    QString m_spoolDir;
    bool m_keepSpool = false;
    QString m_spoolError; // the spool failed: the run ends with it
    std::optional<CycleResult> m_current; // the cycle in progress (or waiting for the node)
    QList<Finding> m_runFindings;
    QList<LeakSite> m_kmemleak;
    QString m_kmemleakNote;
    QJsonObject m_facts;
    RunEnd m_end = RunEnd::Completed;
    QString m_endMessage;
    std::optional<RunEnd> m_endAfterFinal; // finishRun in progress
    QString m_bootId;

    bool m_stopAfterCycle = false; // module stuck / timeout: end after this cycle
    RunEnd m_stopReason = RunEnd::Completed;
    QString m_stopMessage;
    bool m_nodeLost = false; // the link dropped during the cycle
    QString m_nodeLostWhy;
    qint64 m_waitDeadlineMs = 0;
    qint64 m_downSinceMs = 0;
    int m_waitingFor = 0; // the cycle whose verdict waits for the node
    bool m_rebooted = false;
    qint64 m_reportWaitUntilMs = 0;

    QTimer m_commandTimer;
    QTimer m_collectTimer;
    QTimer m_delayTimer;
    QTimer m_pollTimer;
    QElapsedTimer m_clock; // run time
    qint64 m_cycleStartMs = 0;
    qint64 m_collectDeadlineMs = 0;
    qint64 m_cyclesTimeMs = 0; // sum of finished cycles' wall time (ETA)
};

} // namespace kms
