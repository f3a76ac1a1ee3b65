// The hunt on a real node: each batch is a CycleRunner run (one SSH round trip per cycle; the
// runner catches panics, waits for the node to come back, decodes the report) with the cell's
// parameters and settle time, stopping at the first crash so that the background load and the
// uploaded builds are checked again after the node's reboot.
#pragma once

#include "cycle/cycleconfig.h"
#include "cycle/cycleresult.h"
#include "hunt/backgroundload.h"
#include "hunt/huntbackend.h"

#include <QByteArray>
#include <QHash>
#include <QPointer>
#include <QTimer>

namespace kms {
class CycleRunner;
class NodeSession;
} // namespace kms

namespace kms::hunt {

struct NodeBuild {
    QString localPath; // the .ko here
    QString nodePath; // where it goes on the node (insmod PATH)
    QByteArray data;
    QByteArray md5; // hex, as md5sum prints it
};

class RunnerBackend : public HuntBackend
{
    Q_OBJECT
public:
    // `base`: the run settings every batch shares (module, sudo, timeouts ...); count,
    // params, settle, insmod and stop-on-crash are set per batch, and the telemetry reader
    // (base.telemetryPath, default prudaq's stream) only in cells with the reader on. Neither runner nor session is
    // owned; the runner follows the session (CycleRunner::follow), and so does the backend's
    // own use of its SSH link (md5sum, uploads, the background load). `settings` open the
    // traffic connection of the irq load.
    RunnerBackend(CycleRunner *runner, NodeSession *session, const SshSettings &settings, const CycleRunConfig &base,
                  QObject *parent = nullptr);

    // Compare: the builds to upload and insmod in turn (read and hashed here). False with
    // *error for a file that cannot be read.
    bool setBuilds(const QStringList &localPaths, QString *error);
    const QList<NodeBuild> &builds() const { return m_builds; }
    // Compare by install commands: a side's command runs on the node (`sh -c 'CMD'`, with sudo
    // when the runs have it) before its batch whenever the other side was installed last or the
    // node rebooted since; then the usual load. False with *error for an unusable command.
    bool setInstallCommands(const QStringList &commands, QString *error);
    static constexpr int installTimeoutS = 600; // a command may build the module
    static QString nodePathFor(const QString &module, int build);

    void runBatch(const Batch &batch) override;
    void stop() override;
    // Stops the background load (the runner already left the module unloaded); then done().
    void cleanUp(const std::function<void()> &done);

    // How the last batch ended in the runner's words (for exit statuses).
    RunEnd lastRunEnd() const { return m_lastEnd; }

private:
    void setLink(kms::SshLink *link);
    void onCommandFinished(quint64 id, const kms::SshCommandResult &result);
    void onFileFinished(quint64 id, const kms::SshFileResult &result);
    void prepareBuild();
    void install();
    void onInstalled(const kms::SshCommandResult &result);
    void startRun();
    void onCycleFinished(const kms::CycleResult &result);
    void onCycleUpdated(const kms::CycleResult &result);
    void onRunFinished(kms::RunEnd end, const QString &message);
    void transportFailed(const QString &detail);
    void endBatch(BatchEnd end, const QString &detail);
    static QStringList titlesOf(const CycleResult &result);

    CycleRunner *m_runner;
    QPointer<SshLink> m_ssh; // weak: the session destroys its link before saying so
    QList<QMetaObject::Connection> m_linkConnections;
    CycleRunConfig m_base;
    QString m_readerPath;
    NodeLoad m_load;
    QList<NodeBuild> m_builds;
    Batch m_batch;
    bool m_active = false;
    bool m_stopRequested = false;
    RunEnd m_lastEnd = RunEnd::Completed;
    QHash<quint64, int> m_uploads; // writeFile id -> build
    quint64 m_md5Command = 0;
    QStringList m_installCommands;
    quint64 m_installCommand = 0;
    int m_installed = -1; // the side whose command ran last, with no reboot since
    QTimer m_prepareTimer; // md5sum and upload: a lost node queues them until it is back
    QHash<int, QStringList> m_sentTitles; // this run's cycles as reported, by number
};

} // namespace kms::hunt
