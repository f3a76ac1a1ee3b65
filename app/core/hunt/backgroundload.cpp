#include "hunt/backgroundload.h"

#include "link/shellquote.h"

#include <QTimer>

namespace kms::hunt {

namespace {

// Chunks of zeros: big enough to keep the link busy, small enough that stopping is quick.
constexpr qsizetype trafficChunk = 256 * 1024;
constexpr int ensureTimeoutMs = 60000;
constexpr int stopTimeoutMs = 10000; // at the end: a lost node must not hold the hunt's exit

} // namespace

QByteArray cpuLoadStartCommand(const QString &pidFile)
{
    // The loop's stdio goes to /dev/null so that the SSH channel closes when this shell exits.
    return QByteArray("f=") + shellQuote(pidFile)
        + "; if [ -f \"$f\" ] && kill -0 \"$(cat \"$f\")\" 2>/dev/null; then exit 0; fi; "
          "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & "
          "echo $! >\"$f\"; renice -n 19 -p $! >/dev/null";
}

QByteArray cpuLoadStopCommand(const QString &pidFile)
{
    return QByteArray("f=") + shellQuote(pidFile)
        + "; if [ -f \"$f\" ]; then kill \"$(cat \"$f\")\" 2>/dev/null; rm -f \"$f\"; fi; true";
}

NodeLoad::NodeLoad(const SshSettings &trafficSettings, QObject *parent)
    : QObject(parent)
    , m_trafficSettings(trafficSettings)
{
}

void NodeLoad::setLink(SshLink *ssh)
{
    disconnect(m_linkConnection);
    m_ssh = ssh;
    if (ssh)
        m_linkConnection = connect(ssh, &SshLink::commandFinished, this, &NodeLoad::onCommandFinished);
}

NodeLoad::~NodeLoad() = default;

void NodeLoad::ensure(BackgroundLoad load, const std::function<void(const QString &)> &ready)
{
    if (load != BackgroundLoad::Irq)
        stopTraffic();
    if (load == BackgroundLoad::Cpu) {
        run(cpuLoadStartCommand(), ensureTimeoutMs, [ready](const SshCommandResult &r) {
            ready(r.ok() ? QString()
                         : QStringLiteral("cannot start the CPU load on the node: %1")
                               .arg(r.error.isEmpty() ? QString::fromUtf8(r.standardError).trimmed() : r.error));
        });
        return;
    }
    // none / irq: no busy loop on the node.
    run(cpuLoadStopCommand(), ensureTimeoutMs, [this, load, ready](const SshCommandResult &r) {
        if (!r.error.isEmpty())
            return ready(QStringLiteral("the node did not answer: %1").arg(r.error));
        if (load == BackgroundLoad::Irq)
            startTraffic();
        ready({});
    });
}

void NodeLoad::stopAll(const std::function<void()> &done)
{
    stopTraffic();
    run(cpuLoadStopCommand(), stopTimeoutMs, [done](const SshCommandResult &) { done(); });
}

void NodeLoad::run(const QByteArray &command, int timeoutMs, std::function<void(const SshCommandResult &)> handler)
{
    if (!m_ssh) {
        SshCommandResult none;
        none.error = QStringLiteral("no SSH link to the node");
        return handler(none);
    }
    const quint64 id = m_ssh->runShell(command);
    m_pending.insert(id, std::move(handler));
    QTimer::singleShot(timeoutMs, this, [this, id, timeoutMs] {
        SshCommandResult late;
        late.error = QStringLiteral("no answer within %1 s").arg(timeoutMs / 1000);
        onCommandFinished(id, late);
    });
}

void NodeLoad::onCommandFinished(quint64 id, const SshCommandResult &result)
{
    const auto handler = m_pending.take(id);
    if (handler)
        handler(result);
}

void NodeLoad::startTraffic()
{
    if (m_trafficOn)
        return;
    m_trafficOn = true;
    if (!m_traffic) {
        SshSettings s = m_trafficSettings;
        s.unknownHostKey = SshSettings::UnknownHostKey::Reject; // the main link checked it already
        m_traffic = std::make_unique<SshLink>(s);
        connect(m_traffic.get(), &SshLink::commandFinished, this, [this](quint64 id, const SshCommandResult &r) {
            if (id != m_trafficCommand)
                return;
            m_trafficCommand = 0;
            if (r.error.isEmpty())
                m_trafficBytes += trafficChunk;
            sendChunk();
        });
        // After a reboot the link reconnects by itself; the next chunk goes when it is up.
        connect(m_traffic.get(), &SshLink::stateChanged, this, [this](SshLink::State state, const QString &) {
            if (state == SshLink::State::Up)
                sendChunk();
        });
        m_traffic->start();
    }
    sendChunk();
}

void NodeLoad::sendChunk()
{
    if (!m_trafficOn || m_trafficCommand || !m_traffic || m_traffic->state() != SshLink::State::Up)
        return;
    static const QByteArray zeros(trafficChunk, '\0');
    m_trafficCommand = m_traffic->runShell("cat >/dev/null", zeros);
}

void NodeLoad::stopTraffic()
{
    m_trafficOn = false; // the chunk in flight finishes; no new one
}

} // namespace kms::hunt
