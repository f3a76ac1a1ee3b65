#include "hunt/runnerbackend.h"

#include "cycle/cyclerunner.h"
#include "hunt/huntsetup.h"
#include "link/shellquote.h"
#include "node/nodesession.h"
#include "telemetry/telemetrysource.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <algorithm>

namespace kms::hunt {

RunnerBackend::RunnerBackend(CycleRunner *runner, NodeSession *session, const SshSettings &settings,
                             const CycleRunConfig &base, QObject *parent)
    : HuntBackend(parent)
    , m_runner(runner)
    , m_base(base)
    , m_readerPath(base.telemetryPath.isEmpty() ? QString::fromLatin1(telemetry::defaultStreamPath)
                                                : base.telemetryPath)
    , m_load(settings)
{
    connect(m_runner, &CycleRunner::cycleFinished, this, &RunnerBackend::onCycleFinished);
    connect(m_runner, &CycleRunner::cycleUpdated, this, &RunnerBackend::onCycleUpdated);
    connect(m_runner, &CycleRunner::runFinished, this, &RunnerBackend::onRunFinished);
    connect(m_runner, &CycleRunner::message, this, &HuntBackend::message);
    m_prepareTimer.setSingleShot(true);
    connect(&m_prepareTimer, &QTimer::timeout, this, [this] {
        const bool installing = m_installCommand != 0;
        m_md5Command = 0;
        m_installCommand = 0;
        m_uploads.clear();
        m_installed = -1;
        endBatch(BatchEnd::NodeLost,
                 QStringLiteral("the node did not answer within %1 s while %2")
                     .arg(m_prepareTimer.interval() / 1000)
                     .arg(installing ? QStringLiteral("the install command ran")
                                     : QStringLiteral("the build was checked or uploaded")));
    });
    // The session's link, followed when it changes (as the runner follows it).
    connect(session, &NodeSession::sshLinkChanged, this, &RunnerBackend::setLink);
    setLink(session->ssh());
}

void RunnerBackend::setLink(SshLink *link)
{
    for (const QMetaObject::Connection &c : std::as_const(m_linkConnections))
        disconnect(c);
    m_linkConnections.clear();
    m_ssh = link;
    m_load.setLink(link);
    if (!link)
        return;
    m_linkConnections << connect(link, &SshLink::commandFinished, this, &RunnerBackend::onCommandFinished)
                      << connect(link, &SshLink::fileFinished, this, &RunnerBackend::onFileFinished);
}

void RunnerBackend::onCommandFinished(quint64 id, const SshCommandResult &result)
{
    if (id != 0 && id == m_installCommand) {
        m_installCommand = 0;
        m_prepareTimer.stop();
        if (m_active)
            onInstalled(result);
        return;
    }
    if (id != m_md5Command || id == 0)
        return;
    m_md5Command = 0;
    if (!m_active)
        return;
    if (!result.error.isEmpty())
        return transportFailed(QStringLiteral("the node did not answer: %1").arg(result.error));
    const NodeBuild &build = m_builds[m_batch.build];
    if (result.standardOutput.startsWith(build.md5)) {
        m_prepareTimer.stop();
        return startRun();
    }
    if (!m_ssh)
        return endBatch(BatchEnd::NodeLost, QStringLiteral("no SSH link to the node"));
    Q_EMIT message(QStringLiteral("uploading %1 to %2").arg(build.localPath, build.nodePath));
    m_uploads.insert(m_ssh->writeFile(build.nodePath, build.data), m_batch.build);
}

void RunnerBackend::onFileFinished(quint64 id, const SshFileResult &result)
{
    if (!m_uploads.contains(id))
        return;
    const int build = m_uploads.take(id);
    m_prepareTimer.stop();
    if (!m_active)
        return;
    if (!result.error.isEmpty())
        return endBatch(
            BatchEnd::Error,
            QStringLiteral("cannot upload %1 to the node: %2").arg(m_builds[build].localPath, result.error));
    startRun();
}

QString RunnerBackend::nodePathFor(const QString &module, int build)
{
    return QStringLiteral("/tmp/kmodscope-hunt/%1/%2.ko")
        .arg(build == 0 ? QStringLiteral("a") : QStringLiteral("b"), module);
}

bool RunnerBackend::setBuilds(const QStringList &localPaths, QString *error)
{
    m_builds.clear();
    for (int i = 0; i < localPaths.size(); ++i) {
        QFile file(localPaths[i]);
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read %1: %2").arg(localPaths[i], file.errorString());
            return false;
        }
        NodeBuild build;
        build.localPath = localPaths[i];
        build.nodePath = nodePathFor(m_base.module, i);
        build.data = file.readAll();
        if (!build.data.startsWith("\x7f"
                                   "ELF")) {
            *error = QStringLiteral("%1 is not an ELF file (a .ko)").arg(localPaths[i]);
            return false;
        }
        build.md5 = QCryptographicHash::hash(build.data, QCryptographicHash::Md5).toHex();
        m_builds.append(build);
    }
    return true;
}

bool RunnerBackend::setInstallCommands(const QStringList &commands, QString *error)
{
    for (const QString &command : commands) {
        if (!isValidInstallCommand(command, error))
            return false;
    }
    m_installCommands = commands;
    m_installed = -1;
    return true;
}

void RunnerBackend::install()
{
    if (!m_ssh)
        return endBatch(BatchEnd::NodeLost, QStringLiteral("no SSH link to the node"));
    const QString &command = m_installCommands[m_batch.build];
    Q_EMIT message(QStringLiteral("installing build %1: %2").arg(m_batch.build == 0 ? 'A' : 'B').arg(command));
    // Quoted whole: the command reaches its own shell exactly as written, whatever it holds.
    QStringList argv{QStringLiteral("sh"), QStringLiteral("-c"), command};
    if (m_base.useSudo)
        argv = QStringList{QStringLiteral("sudo"), QStringLiteral("-n")} + argv;
    m_prepareTimer.start(installTimeoutS * 1000);
    m_installCommand = m_ssh->runShell(shellCommand(argv) + " 2>&1");
}

void RunnerBackend::onInstalled(const SshCommandResult &result)
{
    const QString side = m_batch.build == 0 ? QStringLiteral("A") : QStringLiteral("B");
    if (!result.error.isEmpty())
        return transportFailed(QStringLiteral("the node did not answer: %1").arg(result.error));
    if (result.exitStatus != 0) {
        // Its last lines say why (the output of a build can be long).
        const QStringList lines
            = QString::fromUtf8(result.standardOutput).trimmed().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        return endBatch(BatchEnd::Error,
                        QStringLiteral("the install command of build %1 failed (exit status %2)%3")
                            .arg(side)
                            .arg(result.exitStatus)
                            .arg(lines.isEmpty()
                                     ? QString()
                                     : QStringLiteral(": ") + lines.mid(lines.size() - 3).join(QStringLiteral(" / "))));
    }
    m_installed = m_batch.build;
    startRun();
}

void RunnerBackend::runBatch(const Batch &batch)
{
    m_batch = batch;
    m_active = true;
    m_stopRequested = false;
    m_sentTitles.clear();
    m_load.ensure(batch.conditions.load, [this](const QString &error) {
        if (!m_active)
            return;
        if (!error.isEmpty())
            return transportFailed(error);
        if (m_stopRequested)
            return endBatch(BatchEnd::Stopped, {});
        prepareBuild();
    });
}

// Compare: the batch's build must be on the node, as built here (/tmp is gone after a reboot,
// and the other build sits beside it). One md5sum round trip; the upload only when it differs.
void RunnerBackend::prepareBuild()
{
    if (!m_installCommands.isEmpty())
        return m_installed == m_batch.build ? startRun() : install();
    if (m_builds.isEmpty())
        return startRun();
    const NodeBuild &build = m_builds[m_batch.build];
    const QString dir = QFileInfo(build.nodePath).path();
    if (!m_ssh)
        return endBatch(BatchEnd::NodeLost, QStringLiteral("no SSH link to the node"));
    m_prepareTimer.start(std::max(60, m_base.returnTimeoutS) * 1000);
    m_md5Command = m_ssh->runShell("mkdir -p " + shellQuote(dir) + " && { md5sum " + shellQuote(build.nodePath)
                                   + " 2>/dev/null || true; }");
}

void RunnerBackend::startRun()
{
    if (m_stopRequested)
        return endBatch(BatchEnd::Stopped, {});
    CycleRunConfig config = m_base;
    config.params.clear();
    for (const auto &[name, value] : m_batch.conditions.params)
        config.params << (value.isEmpty() ? name : name + QLatin1Char('=') + value);
    config.settleMs = m_batch.conditions.settleMs;
    // The reader condition: the runner opens it after the load and closes it before the unload.
    config.telemetryPath = m_batch.conditions.telemetry ? m_readerPath : QString();
    config.count = int(m_batch.cycles);
    config.untilFailure = false;
    // A crash ends the batch: after the reboot the load and the uploaded build are checked
    // again before the next one.
    config.stopOnCrash = true;
    config.finalState = CycleRunConfig::FinalState::Unloaded;
    if (!m_builds.isEmpty())
        config.insmodPath = m_builds[m_batch.build].nodePath;
    QString error;
    if (!m_runner->start(config, &error))
        endBatch(BatchEnd::Error, error);
}

QStringList RunnerBackend::titlesOf(const CycleResult &result)
{
    QStringList titles;
    for (const KernelReport &report : result.reports) {
        if (!report.title.isEmpty() && !titles.contains(report.title))
            titles << report.title;
    }
    if (titles.isEmpty() && result.verdict == Verdict::Crash) {
        // No report: say why (the node lost without a serial console, ...).
        for (const Finding &f : result.findings) {
            if (f.verdict == Verdict::Crash) {
                titles << f.message;
                break;
            }
        }
    }
    return titles;
}

void RunnerBackend::onCycleFinished(const CycleResult &result)
{
    if (!m_active)
        return;
    const QStringList titles = titlesOf(result);
    if (result.verdict == Verdict::Crash)
        m_installed = -1; // the node rebooted (or may have): install again
    m_sentTitles.insert(result.n, titles);
    Q_EMIT cycleFinished(toString(result.verdict), titles);
}

void RunnerBackend::onCycleUpdated(const CycleResult &result)
{
    const auto it = m_sentTitles.find(result.n);
    if (it == m_sentTitles.end())
        return;
    QStringList fresh;
    for (const QString &title : titlesOf(result)) {
        if (!it->contains(title))
            fresh << title;
    }
    if (fresh.isEmpty())
        return;
    *it += fresh;
    Q_EMIT lateTitles(fresh);
}

void RunnerBackend::stop()
{
    if (!m_active || m_stopRequested)
        return;
    m_stopRequested = true;
    // From the event loop: the hunt may call this from inside the runner's cycleFinished. A
    // runner that ends by itself (the crash that reached the limit) is left to do so.
    QTimer::singleShot(0, this, [this] {
        if (m_active && m_runner->running()
            && m_runner->cycles().value(m_runner->cycles().size() - 1).verdict != Verdict::Crash)
            m_runner->stop();
    });
}

void RunnerBackend::onRunFinished(RunEnd end, const QString &message)
{
    if (!m_active)
        return;
    m_lastEnd = end;
    switch (end) {
    case RunEnd::Completed:
    case RunEnd::StoppedOnCrash:
    case RunEnd::StoppedOnFailure:
        return endBatch(m_stopRequested ? BatchEnd::Stopped : BatchEnd::Ok, message);
    case RunEnd::Stopped:
        return endBatch(BatchEnd::Stopped, message);
    case RunEnd::NodeLost:
    case RunEnd::Unreachable:
        m_installed = -1;
        return endBatch(BatchEnd::NodeLost, message);
    case RunEnd::Refused:
    case RunEnd::Stuck:
    case RunEnd::Error:
        return endBatch(BatchEnd::Error, message);
    }
    endBatch(BatchEnd::Error, message);
}

void RunnerBackend::transportFailed(const QString &detail)
{
    // A link that is not up (a refused host key, no route) before the runner ran: as the runner
    // says it, so that front ends tell an unreachable node from one that went away.
    if (!m_ssh || m_ssh->state() != SshLink::State::Up)
        m_lastEnd = RunEnd::Unreachable;
    endBatch(BatchEnd::NodeLost, detail);
}

void RunnerBackend::endBatch(BatchEnd end, const QString &detail)
{
    if (!m_active)
        return;
    m_active = false;
    m_prepareTimer.stop();
    Q_EMIT batchFinished(end, detail);
}

void RunnerBackend::cleanUp(const std::function<void()> &done)
{
    m_load.stopAll(done);
}

} // namespace kms::hunt
