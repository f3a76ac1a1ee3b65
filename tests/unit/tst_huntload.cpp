// The node-side commands of the CPU background load, run by the local /bin/sh (dash here; the
// node's busybox ash or bash parse them the same way): one reniced busy loop however often it
// is started, gone after the stop.
#include "hunt/backgroundload.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace kms::hunt;

namespace {

QTemporaryDir dir;
QString pidFile; // in a directory of its own: a hunt on this machine keeps its own file

int sh(const QByteArray &command)
{
    QProcess p;
    p.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QString::fromUtf8(command)});
    // The shell returns at once although its busy loop lives on (its stdio is not ours).
    if (!p.waitForFinished(10000))
        return -1;
    return p.exitCode();
}

qint64 loopPid()
{
    QFile f(pidFile);
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong() : 0;
}

// The nice value from /proc/PID/stat (field 19, after the parenthesised command name).
int niceOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -100;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return fields.value(16).toInt(); // field 19 overall; 3 is the first after the name
}

char stateOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const qsizetype at = stat.lastIndexOf(')') + 2;
    return at > 1 && at < stat.size() ? stat.at(at) : 0;
}

} // namespace

class TestHuntLoad : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir.isValid());
        pidFile = dir.filePath(QStringLiteral("load dir/cpu.pid")); // a space: quoted
        QVERIFY(QDir().mkpath(QFileInfo(pidFile).path()));
    }

    void startIsIdempotentAndStopKills()
    {
        QCOMPARE(sh(cpuLoadStartCommand(pidFile)), 0);
        const qint64 pid = loopPid();
        QVERIFY(pid > 1);
        QVERIFY(QFile::exists(QStringLiteral("/proc/%1").arg(pid)));
        QTRY_COMPARE_WITH_TIMEOUT(niceOf(pid), 19, 5000);
        // Again (the next batch): the same loop, not a second one.
        QCOMPARE(sh(cpuLoadStartCommand(pidFile)), 0);
        QCOMPARE(loopPid(), pid);
        QCOMPARE(sh(cpuLoadStopCommand(pidFile)), 0);
        // Gone (a zombie until reaped by init counts as gone: its state is Z).
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(QStringLiteral("/proc/%1/stat").arg(pid)) || stateOf(pid) == 'Z', 5000);
        QVERIFY(!QFile::exists(pidFile));
        // Stopping what is not running is fine (the node rebooted meanwhile).
        QCOMPARE(sh(cpuLoadStopCommand(pidFile)), 0);
    }

    // A stale pid file (the node rebooted, /tmp survived on a real board): a new loop starts.
    void stalePidFile()
    {
        QFile f(pidFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("999999999\n");
        f.close();
        QCOMPARE(sh(cpuLoadStartCommand(pidFile)), 0);
        const qint64 pid = loopPid();
        QVERIFY(pid > 1 && pid != 999999999);
        QVERIFY(QFile::exists(QStringLiteral("/proc/%1").arg(pid)));
        QCOMPARE(sh(cpuLoadStopCommand(pidFile)), 0);
    }

    void cleanupTestCase()
    {
        if (const qint64 pid = loopPid(); pid > 1)
            ::kill(pid_t(pid), SIGKILL);
        QFile::remove(pidFile);
    }
};

QTEST_GUILESS_MAIN(TestHuntLoad)
#include "tst_huntload.moc"
