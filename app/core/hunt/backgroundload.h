// Background load on the node while a cell runs, with what any node has:
//   cpu: a busy loop in the node's shell at the lowest priority (reniced: it steals every idle
//        cycle, yet sshd and the module's threads still run, so the node stays reachable; the
//        virtual node has one CPU, like a BeagleBone);
//   irq: network traffic from this host to the node's SSH port on a connection of its own
//        (`cat >/dev/null` fed in chunks): NIC interrupts and softirqs on the node.
// ensure() is called before each batch: after a panic the node rebooted and the loop is gone.
#pragma once

#include "hunt/huntgrid.h"
#include "link/sshlink.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace kms::hunt {

class NodeLoad : public QObject
{
    Q_OBJECT
public:
    // `trafficSettings` open the traffic connection; the node-side commands go over the link
    // given with setLink (the node session's).
    explicit NodeLoad(const SshSettings &trafficSettings, QObject *parent = nullptr);
    ~NodeLoad() override;
    void setLink(SshLink *ssh);

    // Makes `load` the one running (starting it, or again after a reboot), then ready().
    void ensure(BackgroundLoad load, const std::function<void(const QString &error)> &ready);
    // Stops whatever runs; done() when the node has answered (or could not).
    void stopAll(const std::function<void()> &done);
    qint64 trafficBytes() const { return m_trafficBytes; }

private:
    // A command whose answer is given up on after `timeoutMs` (a lost node queues commands
    // until it is back): the handler then gets a result with `error` set.
    void run(const QByteArray &command, int timeoutMs, std::function<void(const SshCommandResult &)> handler);
    void onCommandFinished(quint64 id, const kms::SshCommandResult &result);
    void startTraffic();
    void stopTraffic();
    void sendChunk();

    QPointer<SshLink> m_ssh; // weak: the session owns it
    QMetaObject::Connection m_linkConnection;
    SshSettings m_trafficSettings;
    std::unique_ptr<SshLink> m_traffic;
    quint64 m_trafficCommand = 0;
    bool m_trafficOn = false;
    qint64 m_trafficBytes = 0;
    QHash<quint64, std::function<void(const SshCommandResult &)>> m_pending;
};

// The node-side commands (exposed for tests): start the reniced busy loop unless its pid file
// names a live one, and stop it.
inline constexpr char kCpuLoadPidFile[] = "/tmp/kmodscope-hunt-cpu.pid";
QByteArray cpuLoadStartCommand(const QString &pidFile = QLatin1String(kCpuLoadPidFile));
QByteArray cpuLoadStopCommand(const QString &pidFile = QLatin1String(kCpuLoadPidFile));

} // namespace kms::hunt
