#include "node/nodesession.h"

#include "log/sessionlog.h"
#include "node/buildids.h"
#include "node/nodefetcher.h"
#include "symbols/symbolizer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

namespace kms {

namespace {

QStringList modulesWithoutKo(const KernelReport &report)
{
    QStringList modules;
    for (const Frame &f : report.frames) {
        if (f.error == symbolerror::ModuleNotGiven && !f.module.isEmpty() && !modules.contains(f.module))
            modules.append(f.module);
    }
    return modules;
}

} // namespace

NodeSession::NodeSession(int idleFlushMs, QObject *parent)
    : QObject(parent)
    , m_engine(new ReportEngine(idleFlushMs, this))
{
    qRegisterMetaType<QList<quint64>>();
    connect(m_engine, &ReportEngine::reportDetected, this,
            [this](int id, const KernelReport &report, const QList<quint64> &lines) {
                m_reports.insert(id, report);
                while (m_reports.size() > keptReports)
                    m_reports.erase(m_reports.begin());
                Q_EMIT reportDetected(id, report, lines);
                // Its module may have been loaded since the build ids were read.
                fetchBuildIds();
            });
    connect(m_engine, &ReportEngine::duplicateDetected, this, &NodeSession::duplicateDetected);
    connect(m_engine, &ReportEngine::reportResolved, this, &NodeSession::onResolved);
    connect(m_engine, &ReportEngine::configProblem, this, &NodeSession::configProblem);
}

NodeSession::~NodeSession()
{
    // Links first: their threads deliver into the session. The fetcher holds the SSH link.
    delete m_fetcher;
    m_fetcher = nullptr;
    m_serial.reset();
    m_ssh.reset();
    closeSessionLog();
}

QString NodeSession::cacheDirFor(const QString &host, int port)
{
    // File names from user text.
    static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]+"));
    QString node = port > 0 ? QStringLiteral("%1_%2").arg(host).arg(port) : host;
    node.replace(unsafe, QStringLiteral("_"));
    if (node.isEmpty())
        node = QStringLiteral("node");
    return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/nodes/") + node;
}

bool NodeSession::openSessionLog(const QString &path, QString *error)
{
    closeSessionLog();
    QDir().mkpath(QFileInfo(path).path());
    auto *log = new SessionLog;
    if (!log->open(path, error)) {
        delete log;
        return false;
    }
    m_sessionLogPath = log->path();
    m_logThread.setObjectName(QStringLiteral("kms-session-log"));
    log->moveToThread(&m_logThread);
    connect(&m_logThread, &QThread::finished, log, &QObject::deleteLater);
    m_logThread.start();
    m_log = log;
    return true;
}

void NodeSession::closeSessionLog()
{
    if (!m_log)
        return;
    // Everything queued is written and synced before the thread ends (close() syncs).
    QMetaObject::invokeMethod(m_log, &SessionLog::close, Qt::BlockingQueuedConnection);
    m_logThread.quit();
    m_logThread.wait();
    m_log = nullptr;
    m_sessionLogPath.clear();
}

void NodeSession::startSerial(const SerialSettings &settings)
{
    m_serial.reset();
    m_serial = std::make_unique<SerialLink>(settings);
    connect(m_serial.get(), &SerialLink::linesReceived, this, &NodeSession::feedLines);
    connect(m_serial.get(), &SerialLink::partialLineChanged, this, &NodeSession::partialLineChanged);
    connect(m_serial.get(), &SerialLink::stateChanged, this, [this](SerialLink::State state, const QString &detail) {
        m_serialState = state;
        Q_EMIT serialStateChanged(state, detail);
    });
    m_serial->start();
}

void NodeSession::stopSerial()
{
    if (m_serial) {
        const QString source = m_serial->settings().source;
        m_serial->stop();
        m_serial.reset();
        // The link's own withdrawal may not have crossed threads before it went.
        Q_EMIT partialLineChanged(LogLine{hostTimeNowNs(), source, {}, 0});
    }
    m_serialState = SerialLink::State::Closed;
    Q_EMIT serialStateChanged(m_serialState, {});
}

void NodeSession::startSsh(const SshSettings &settings, const QByteArray &kernelLogCommand)
{
    // The fetchers hold the link: they go first.
    delete m_fetcher;
    m_fetcher = nullptr;
    delete m_buildIdFetcher;
    m_buildIdFetcher = nullptr;
    m_ssh.reset();
    m_sshWasUp = false;
    m_sshSettings = settings;
    m_ssh = std::make_unique<SshLink>(settings);
    connect(m_ssh.get(), &SshLink::stateChanged, this, &NodeSession::onSshState);
    connect(m_ssh.get(), &SshLink::hostKeyUnknown, this, &NodeSession::hostKeyUnknown);
    connect(m_ssh.get(), &SshLink::streamLines, this, &NodeSession::onStreamLines);
    // A reconnect replays the node's ring buffer: what was shown once is not shown again.
    m_replay.restart();
    if (!m_cacheDir.isEmpty()) {
        m_fetcher = new NodeFetcher(m_ssh.get(), m_cacheDir, this);
        connect(m_fetcher, &NodeFetcher::moduleFetched, this, [this](const QString &module, const QString &path) {
            m_fetchedKo.removeAll(path);
            m_fetchedKo.append(path);
            Q_EMIT moduleFetched(module, path);
            updateSymbolConfig();
            resolveAgain();
        });
        connect(m_fetcher, &NodeFetcher::sourceFetched, this, [this](const QString &remote, const QString &local) {
            // A map for this one file: the rest of the tree may well be here.
            m_fetchedSources.append(remote + QLatin1Char('=') + local);
            Q_EMIT sourceFetched(remote, local);
            updateSymbolConfig();
            resolveAgain();
        });
        connect(m_fetcher, &NodeFetcher::fetchFailed, this, &NodeSession::fetchFailed);
    }
    m_buildIdFetcher = new BuildIdFetcher(m_ssh.get(), this);
    connect(m_buildIdFetcher, &BuildIdFetcher::fetched, this, [this](const NodeBuildIds &ids) {
        QHash<QString, QByteArray> read = ids.modules;
        if (!ids.kernel.isEmpty())
            read.insert(QStringLiteral("vmlinux"), ids.kernel);
        const bool changed = read != m_nodeBuildIds;
        if (changed) {
            m_nodeBuildIds = read;
            updateSymbolConfig();
            resolveAgain();
        }
        Q_EMIT buildIdsRead(changed);
    });
    connect(m_buildIdFetcher, &BuildIdFetcher::fetchFailed, this, [this] { Q_EMIT buildIdsRead(false); });
    m_ssh->start();
    m_kernelStream
        = m_ssh->startShellStream(kernelLogCommand.isEmpty() ? defaultDmesgStreamCommand() : kernelLogCommand,
                                  QString::fromLatin1(kernelLogSource));
    for (Stream &stream : m_streams)
        startStreamOnLink(stream);
    Q_EMIT sshLinkChanged(m_ssh.get());
}

void NodeSession::stopSsh()
{
    delete m_fetcher;
    m_fetcher = nullptr;
    delete m_buildIdFetcher;
    m_buildIdFetcher = nullptr;
    if (m_ssh) {
        m_ssh->stop();
        m_ssh.reset();
        Q_EMIT sshLinkChanged(nullptr);
    }
    m_kernelStream = 0;
    for (Stream &stream : m_streams)
        stream.linkId = 0;
    m_sshState = SshLink::State::Disconnected;
    Q_EMIT sshStateChanged(m_sshState, {});
}

void NodeSession::answerHostKey(bool accept)
{
    if (m_ssh)
        m_ssh->answerHostKey(accept);
}

void NodeSession::onSshState(SshLink::State state, const QString &detail)
{
    m_sshState = state;
    if (state == SshLink::State::Up)
        m_sshWasUp = true;
    Q_EMIT sshStateChanged(state, detail);
    if (state == SshLink::State::Up) {
        fetchPendingModules();
        fetchBuildIds(); // a reboot may have brought another kernel
    }
}

bool NodeSession::readingBuildIds() const
{
    return m_buildIdFetcher && m_buildIdFetcher->busy();
}

void NodeSession::fetchBuildIds()
{
    // Only of use to debuginfod, which needs servers: no command on the node otherwise.
    if (m_buildIdFetcher && sshUp() && m_debuginfod && !qEnvironmentVariableIsEmpty("DEBUGINFOD_URLS"))
        m_buildIdFetcher->fetch();
}

int NodeSession::addStream(const QByteArray &commandLine, const QString &source, StreamUse use)
{
    const int handle = ++m_lastStream;
    Stream &stream = m_streams[handle];
    stream = {commandLine, source, use, 0};
    startStreamOnLink(stream);
    return handle;
}

void NodeSession::removeStream(int handle)
{
    const auto it = m_streams.find(handle);
    if (it == m_streams.end())
        return;
    if (m_ssh && it->linkId)
        m_ssh->stopStream(it->linkId);
    m_streams.erase(it);
}

void NodeSession::startStreamOnLink(Stream &stream)
{
    stream.linkId = m_ssh ? m_ssh->startShellStream(stream.command, stream.source) : 0;
}

void NodeSession::onStreamLines(quint64 id, const QList<LogLine> &lines)
{
    if (id == m_kernelStream) {
        feedLines(m_replay.filter(lines));
        return;
    }
    for (auto it = m_streams.begin(); it != m_streams.end(); ++it) {
        if (it->linkId != id)
            continue;
        if (it->use == StreamUse::Console)
            feedLines(lines);
        Q_EMIT streamLines(it.key(), lines);
        return;
    }
}

void NodeSession::feedLines(const QList<LogLine> &lines)
{
    if (lines.isEmpty())
        return;
    const quint64 first = m_nextSeq;
    m_nextSeq += quint64(lines.size());
    if (m_log)
        QMetaObject::invokeMethod(m_log, [log = m_log, lines] { log->appendLines(lines); });
    Q_EMIT linesReceived(first, lines);
    m_engine->feed(lines, first);
}

void NodeSession::finishReports()
{
    m_engine->finish();
}

void NodeSession::setSymbolConfig(const QStringList &koPaths, const QStringList &pathMaps)
{
    m_koPaths = koPaths;
    m_pathMaps = pathMaps;
    updateSymbolConfig();
}

SymbolConfig NodeSession::symbolConfig() const
{
    SymbolConfig config;
    config.koPaths = m_koPaths + m_fetchedKo;
    config.pathMaps = m_pathMaps + m_fetchedSources;
    config.vmlinux = m_vmlinux;
    config.debuginfod = m_debuginfod;
    config.debuginfodStallTimeoutMs = m_debuginfodStallMs;
    config.buildIds = m_nodeBuildIds;
    config.buildIds.insert(m_givenBuildIds);
    return config;
}

void NodeSession::setVmlinux(const QString &path)
{
    m_vmlinux = path;
    updateSymbolConfig();
}

void NodeSession::setDebuginfod(bool on, int stallTimeoutMs)
{
    m_debuginfod = on;
    m_debuginfodStallMs = stallTimeoutMs;
    updateSymbolConfig();
}

void NodeSession::setBuildIds(const QHash<QString, QByteArray> &ids)
{
    m_givenBuildIds = ids;
    updateSymbolConfig();
}

void NodeSession::updateSymbolConfig()
{
    m_engine->setConfig(symbolConfig());
}

void NodeSession::setModuleLoads(const QString &module, const SectionAddresses &live, const QList<EarlierLoad> &earlier)
{
    m_engine->setModuleLoads(module, live, earlier);
}

void NodeSession::resolveAgain()
{
    for (auto it = m_reports.cbegin(); it != m_reports.cend(); ++it)
        m_engine->resolveAgain(it.key(), it.value());
}

void NodeSession::resolveAgain(int id)
{
    if (const KernelReport *r = report(id))
        m_engine->resolveAgain(id, *r);
}

const KernelReport *NodeSession::report(int id) const
{
    const auto it = m_reports.constFind(id);
    return it == m_reports.cend() ? nullptr : &*it;
}

void NodeSession::onResolved(int id, const KernelReport &report)
{
    Q_EMIT reportResolved(id, report);
    if (!m_autoFetch)
        return;
    QStringList fresh;
    for (const QString &module : modulesWithoutKo(report)) {
        if (!m_fetchAsked.contains(module))
            fresh.append(module);
    }
    if (!fresh.isEmpty())
        fetchModules(fresh);
}

void NodeSession::setNodeCacheDir(const QString &dir)
{
    m_cacheDir = dir;
}

void NodeSession::fetchModules(const QStringList &modules)
{
    for (const QString &module : modules) {
        if (!m_fetchAsked.contains(module))
            m_fetchAsked.append(module);
        if (!m_fetchWanted.contains(module))
            m_fetchWanted.append(module);
    }
    fetchPendingModules();
}

void NodeSession::fetchPendingModules()
{
    if (!canFetch())
        return;
    const QStringList wanted = std::exchange(m_fetchWanted, {});
    for (const QString &module : wanted) {
        Q_EMIT moduleFetchStarted(module);
        m_fetcher->fetchModule(module);
    }
}

void NodeSession::fetchSource(const QString &remotePath)
{
    if (m_fetcher)
        m_fetcher->fetchSource(remotePath);
}

void NodeSession::forgetNode()
{
    m_replay = DmesgReplayFilter();
    m_fetchedKo.clear();
    m_fetchedSources.clear();
    m_fetchAsked.clear();
    m_fetchWanted.clear();
    m_nodeBuildIds.clear();
    updateSymbolConfig();
}

} // namespace kms
