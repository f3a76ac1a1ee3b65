// The fake node of the CycleRunner integration tests (tests/integration/fakenode/README.md): a
// real sshd on 127.0.0.1 whose sessions see KMS_SYSROOT and the fake module tools first in PATH,
// one SshLink to it, and helpers. Test classes derive from FakeNodeTest and call setUpNode() in
// initTestCase() and resetNode() in init(); tests that bring their own link or process (the Hunt
// and Cycles docks, the CLI) call startNodeSshd(), and keep one kernel log across their tests
// (startKernelLog) or their session's link (freshSysroot() in init()).
#pragma once

#include "sshdfixture.h"

#include "cycle/cyclerunner.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace kms;

namespace kms_fakenode {

const QString fakeBin = QStringLiteral(KMS_SOURCE_DIR "/tests/integration/fakenode");

inline bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

inline QString hostRelease()
{
    QProcess p;
    p.start(QStringLiteral("uname"), {QStringLiteral("-r")});
    p.waitForFinished();
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

} // namespace kms_fakenode

using namespace kms_fakenode;

class FakeNodeTest : public QObject
{
protected:
    SshdFixture m_sshd;
    QString m_root; // the fake node's sysroot
    std::unique_ptr<SshLink> m_link;
    SshSettings m_settings; // m_link's

    QString root(const QString &rel) const { return m_root + QLatin1Char('/') + rel; }
    // Until the file has not changed for a second (at most 15 s).
    static void waitQuiet(const QString &path)
    {
        QElapsedTimer total;
        total.start();
        qint64 size = -1;
        QElapsedTimer still;
        still.start();
        while (total.elapsed() < 15000 && still.elapsed() < 1000) {
            const qint64 now = QFileInfo(path).size();
            if (now != size) {
                size = now;
                still.restart();
            }
            QTest::qWait(100);
        }
    }
    void control(const QString &name, const QByteArray &value)
    {
        QVERIFY(writeFile(root(QStringLiteral("control/") + name), value));
    }
    bool loaded() const { return QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))); }

    CycleRunConfig config(int count = 3) const
    {
        CycleRunConfig c;
        c.module = QStringLiteral("fakemod");
        c.params = {QStringLiteral("fault=none"), QStringLiteral("rate=5")};
        c.count = count;
        c.returnTimeoutS = 10;
        return c;
    }

    // Runs until runFinished (or the timeout); returns the end.
    static bool waitFinished(CycleRunner &runner, int timeoutMs)
    {
        if (runner.state() == CycleRunner::State::Finished)
            return true;
        QSignalSpy finished(&runner, &CycleRunner::runFinished);
        return finished.wait(timeoutMs) || runner.state() == CycleRunner::State::Finished;
    }

    // The steps below fail (false) at the first that does not work; the caller QVERIFYs them.
#define KMS_CHECK(x)                                                                                                   \
    do {                                                                                                               \
        if (!(x))                                                                                                      \
            return false;                                                                                              \
    } while (false)

    // The node's sshd, whose sessions see the sysroot and the fake tools; m_settings reach it
    // (no link yet: the GUI and CLI tests bring their own).
    bool startNodeSshd()
    {
        KMS_CHECK(m_sshd.setUp());
        m_root = m_sshd.path(QStringLiteral("node"));
        m_sshd.setSessionEnv("KMS_SYSROOT=" + m_root.toUtf8() + " PATH=" + fakeBin.toUtf8()
                             + ":/usr/sbin:/usr/bin:/sbin:/bin");
        KMS_CHECK(m_sshd.start(false));
        KMS_CHECK(
            SshdFixture::runTool(QStringLiteral("ssh-keyscan"),
                                 {QStringLiteral("-p"), QString::number(m_sshd.port()), QStringLiteral("127.0.0.1")}));
        SshSettings s;
        s.heartbeatIntervalMs = 5000; // the fake node's scripts sleep; loss is not what is tested
        s.host = QStringLiteral("node");
        s.configFile
            = m_sshd.writeClientConfig(QStringLiteral("client_config"), m_sshd.path(QStringLiteral("id_client")),
                                       m_sshd.path(QStringLiteral("known_hosts")));
        s.unknownHostKey = SshSettings::UnknownHostKey::Accept;
        m_settings = s;
        return true;
    }

    // The node's sshd and m_link up to it.
    bool setUpNode()
    {
        KMS_CHECK(startNodeSshd());
        m_link = std::make_unique<SshLink>(m_settings);
        m_link->start();
        return QTest::qWaitFor([this] { return m_link->state() == SshLink::State::Up; }, 20000);
    }

    // The node's kernel log as a FIFO that `drain` empties into dev/kmsg.log: every write kept
    // (the cycle script writes markers with `>`), for the fake dmesg to stream.
    bool startKernelLog(QProcess &drain)
    {
        KMS_CHECK(QDir().mkpath(root(QStringLiteral("dev"))));
        KMS_CHECK(SshdFixture::runTool(QStringLiteral("mkfifo"), {root(QStringLiteral("dev/kmsg"))}));
        KMS_CHECK(writeFile(root(QStringLiteral("dev/kmsg.log")), ""));
        drain.start(QStringLiteral("sh"),
                    {QStringLiteral("-c"), QStringLiteral("exec cat 0<>\"$0\" >>\"$1\""),
                     root(QStringLiteral("dev/kmsg")), root(QStringLiteral("dev/kmsg.log"))});
        return drain.waitForStarted();
    }

    // The node's files as after a boot, its kernel log left as it is.
    bool writeBootFiles()
    {
        KMS_CHECK(writeFile(root(QStringLiteral("proc/sys/kernel/tainted")), "0\n"));
        KMS_CHECK(writeFile(root(QStringLiteral("proc/sys/kernel/random/boot_id")),
                            "11111111-2222-3333-4444-555555555555\n"));
        KMS_CHECK(writeFile(root(QStringLiteral("proc/meminfo")),
                            "MemTotal:         250000 kB\nMemFree:          170000 kB\n"
                            "MemAvailable:     175000 kB\nSlab:              15000 kB\nSUnreclaim:         7000 kB\n"));
        KMS_CHECK(writeFile(root(QStringLiteral("proc/uptime")), "12.34 10.00\n"));
        KMS_CHECK(writeFile(root(QStringLiteral("lib/modules/%1/extra/fakemod.ko").arg(hostRelease())), "not ELF"));
        KMS_CHECK(QDir().mkpath(root(QStringLiteral("sys/module"))));
        return true;
    }

    // What the last test's runs left on a node that stays: its call log, installs and oops
    // loads, and its control files (emptied, not removed: the fake dmesg runs while the
    // directory is there).
    bool clearRunFiles()
    {
        for (const QString &f : {QStringLiteral("calls"), QStringLiteral("installs"), QStringLiteral("oops_loads")})
            QFile::remove(root(f));
        QDir controls(root(QStringLiteral("control")));
        for (const QString &f : controls.entryList(QDir::Files))
            KMS_CHECK(controls.remove(f));
        return writeFile(root(QStringLiteral("control/dmesg")), "");
    }

    // A fresh sysroot for the next test.
    bool resetNode()
    {
        // A run's node-side shell may still be finishing the last test's step: it must not act
        // on the fresh node.
        m_sshd.killSessions();
        return freshSysroot();
    }

    // The sysroot as after a boot with an empty kernel log and no controls; the sessions stay
    // (a GUI test's NodeSession keeps its link across its tests).
    bool freshSysroot()
    {
        QDir(m_root).removeRecursively();
        KMS_CHECK(writeBootFiles());
        KMS_CHECK(writeFile(root(QStringLiteral("dev/kmsg")), ""));
        KMS_CHECK(QDir().mkpath(root(QStringLiteral("control"))));
        return true;
    }
#undef KMS_CHECK
};
