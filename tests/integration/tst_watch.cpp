// `kmodscope-cli watch` end to end: the real executable against a pty "serial console" and a real
// sshd, reports printed as JSON lines while it runs, the device unplugged and plugged back in,
// host key policy, SIGTERM.
#include "ptypeer.h"
#include "sshdfixture.h"

#include "log/sessionlogreader.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

#include <csignal>

using namespace kms;

namespace {

const QString cli = QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli");
const QString seedPath = QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log");

// A serial console sends CRLF, in whatever pieces the UART and the kernel's tty layer make.
QByteArray asSerial(const QByteArray &log)
{
    QByteArray out = log;
    out.replace("\r\n", "\n");
    out.replace("\n", "\r\n");
    return out;
}

bool writeChunked(PtyPeer &peer, const QByteArray &bytes, quint32 seed)
{
    QRandomGenerator rng(seed);
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype n = qMin<qsizetype>(bytes.size() - pos, 1 + rng.bounded(200));
        if (!peer.writeAll(bytes.constData() + pos, n))
            return false;
        pos += n;
    }
    return true;
}

// Reads complete stdout lines as they come.
struct CliRun {
    QProcess process;
    QByteArray out;
    QByteArray err;

    void start(const QStringList &args)
    {
        QObject::connect(&process, &QProcess::readyReadStandardOutput, &process,
                         [this] { out += process.readAllStandardOutput(); });
        QObject::connect(&process, &QProcess::readyReadStandardError, &process,
                         [this] { err += process.readAllStandardError(); });
        process.start(cli, QStringList{QStringLiteral("watch")} + args);
    }
    QList<QJsonObject> reports() const
    {
        QList<QJsonObject> list;
        for (const QByteArray &line : out.split('\n')) {
            if (!line.isEmpty())
                list.append(QJsonDocument::fromJson(line).object());
        }
        return list;
    }
    ~CliRun()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(10000);
        }
    }
};

} // namespace

class TestWatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(cli), qPrintable(cli));
        QVERIFY(m_dir.isValid());
        m_seed = SshdFixture::readFile(seedPath);
        QVERIFY(!m_seed.isEmpty());
    }

    void serialReportsLiveAndSurvivesUnplug()
    {
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyBBB")));
        QVERIFY(peer.create());
        const QString logPath = m_dir.filePath(QStringLiteral("watch.log"));
        CliRun run;
        run.start(
            {QStringLiteral("--serial"), peer.linkPath(), QStringLiteral("--json"), QStringLiteral("--log"), logPath});
        const QByteArray openMessage = "serial " + peer.linkPath().toUtf8() + ": open";
        QTRY_VERIFY_WITH_TIMEOUT(run.err.count(openMessage) == 1, 20000);

        QVERIFY(writeChunked(peer, asSerial(m_seed), 1));
        QTRY_COMPARE_WITH_TIMEOUT(run.reports().size(), 1, 20000);
        const QJsonObject report = run.reports().front();
        QCOMPARE(report.value(QStringLiteral("guilty_function")).toString(), QStringLiteral("pru0_comm_receive_msg"));
        QCOMPARE(report.value(QStringLiteral("kind")).toString(), QStringLiteral("oops"));
        QCOMPARE(report.value(QStringLiteral("arch")).toString(), QStringLiteral("arm"));
        QVERIFY(report.value(QStringLiteral("panicked")).toBool());
        QCOMPARE(report.value(QStringLiteral("source")).toString(QStringLiteral("serial")), QStringLiteral("serial"));

        // The console's last line is in the session log: the device may go.
        const QByteArray lastLine = m_seed.trimmed().split('\n').back().trimmed();
        const auto logged = [&] {
            int n = 0;
            for (const LogLine &l : SessionLogReader().readAll(logPath))
                n += l.text == lastLine ? 1 : 0;
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(logged(), 1, 10000);
        peer.close();
        QTRY_VERIFY2_WITH_TIMEOUT(run.err.contains("lost, waiting for it to come back"), run.err.constData(), 10000);
        QVERIFY(peer.create());
        QTRY_VERIFY_WITH_TIMEOUT(run.err.count(openMessage) == 2, 10000);
        QVERIFY(writeChunked(peer, asSerial(m_seed), 2));
        QTRY_COMPARE_WITH_TIMEOUT(run.reports().size(), 2, 20000);
        QCOMPARE(run.reports().back().value(QStringLiteral("guilty_function")).toString(),
                 QStringLiteral("pru0_comm_receive_msg"));
        QTRY_COMPARE_WITH_TIMEOUT(logged(), 2, 10000);

        ::kill(pid_t(run.process.processId()), SIGTERM);
        QVERIFY(run.process.waitForFinished(20000));
        QCOMPARE(run.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(run.process.exitCode(), 0);
        QCOMPARE(run.reports().size(), 2);
    }

    void sshUnknownHostKeyRefusedUnlessAcceptNew()
    {
        QVERIFY(startSshd());
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_watch"));
        const QString config = m_sshd.writeClientConfig(QStringLiteral("watch_config"),
                                                        m_sshd.path(QStringLiteral("id_client")), knownHosts);
        const QString stream
            = QStringLiteral("cat %1; exec sleep 1000").arg(QString::fromUtf8(kms_shellQuote(seedPath)));
        {
            CliRun run;
            run.start({QStringLiteral("--ssh"), QStringLiteral("node"), QStringLiteral("--ssh-config"), config,
                       QStringLiteral("--ssh-stream"), stream, QStringLiteral("--json")});
            QVERIFY(run.process.waitForFinished(30000));
            QCOMPARE(run.process.exitCode(), 3);
            QVERIFY2(run.err.contains("REFUSED"), run.err.constData());
            QVERIFY(run.err.contains(m_sshd.fingerprint(QStringLiteral("hostkey")).toUtf8()));
            QVERIFY(run.reports().isEmpty());
            QVERIFY(!SshdFixture::readFile(knownHosts).contains("ssh-ed25519"));
        }
        CliRun run;
        run.start({QStringLiteral("--ssh"), QStringLiteral("node"), QStringLiteral("--ssh-config"), config,
                   QStringLiteral("--ssh-stream"), stream, QStringLiteral("--json"), QStringLiteral("--accept-new")});
        QTRY_COMPARE_WITH_TIMEOUT(run.reports().size(), 1, 30000);
        QCOMPARE(run.reports().front().value(QStringLiteral("guilty_function")).toString(),
                 QStringLiteral("pru0_comm_receive_msg"));
        QVERIFY(SshdFixture::readFile(knownHosts).contains("ssh-ed25519"));

        // The node's sshd goes away and comes back: the stream restarts and replays the same
        // kernel log (as `dmesg -w` does), which must not print the same report again.
        QCOMPARE(run.err.count(": up ("), 1);
        m_sshd.stop();
        QTRY_VERIFY2_WITH_TIMEOUT(run.err.contains("lost, reconnecting"), run.err.constData(), 10000);
        QVERIFY(m_sshd.start());
        QTRY_VERIFY2_WITH_TIMEOUT(run.err.count(": up (") == 2, run.err.constData(), 30000);
        QTest::qWait(2500); // replay read and idle flush done
        QCOMPARE(run.reports().size(), 1);

        ::kill(pid_t(run.process.processId()), SIGINT);
        QVERIFY(run.process.waitForFinished(20000));
        QCOMPARE(run.process.exitCode(), 0);
    }

    void reportOnSerialAndSshIsPrintedOnce()
    {
        // The usual bench: the node's UART and `dmesg -w` over SSH both carry the same oops.
        QVERIFY(startSshd());
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_both"));
        const QString config = m_sshd.writeClientConfig(QStringLiteral("both_config"),
                                                        m_sshd.path(QStringLiteral("id_client")), knownHosts);
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyBoth")));
        QVERIFY(peer.create());
        CliRun run;
        run.start({QStringLiteral("--serial"), peer.linkPath(), QStringLiteral("--ssh"), QStringLiteral("node"),
                   QStringLiteral("--ssh-config"), config, QStringLiteral("--accept-new"),
                   QStringLiteral("--ssh-stream"),
                   QStringLiteral("cat %1; exec sleep 1000").arg(QString::fromUtf8(kms_shellQuote(seedPath))),
                   QStringLiteral("--json")});
        QTRY_VERIFY_WITH_TIMEOUT(run.err.contains(": open"), 20000);
        QVERIFY(writeChunked(peer, asSerial(m_seed), 1));
        QTRY_COMPARE_WITH_TIMEOUT(run.reports().size(), 1, 30000);
        QTRY_VERIFY2_WITH_TIMEOUT(run.err.contains(": up ("), run.err.constData(), 30000);
        QTest::qWait(2500); // the SSH copy read and flushed
        QCOMPARE(run.reports().size(), 1);
        // The same oops printed again on the UART (a second crash) is a report of its own.
        QVERIFY(writeChunked(peer, asSerial(m_seed), 2));
        QTRY_COMPARE_WITH_TIMEOUT(run.reports().size(), 2, 20000);
        ::kill(pid_t(run.process.processId()), SIGINT);
        QVERIFY(run.process.waitForFinished(20000));
        QCOMPARE(run.process.exitCode(), 0);
    }

    void sshChangedHostKeyAlwaysRefused()
    {
        QVERIFY(startSshd());
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_changed"));
        {
            QFile f(knownHosts);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QList<QByteArray> pub = SshdFixture::readFile(m_sshd.path(QStringLiteral("hostkey2.pub"))).split(' ');
            f.write("[127.0.0.1]:" + QByteArray::number(m_sshd.port()) + ' ' + pub[0] + ' ' + pub[1] + '\n');
        }
        const QString config = m_sshd.writeClientConfig(QStringLiteral("watch_config2"),
                                                        m_sshd.path(QStringLiteral("id_client")), knownHosts);
        CliRun run;
        run.start({QStringLiteral("--ssh"), QStringLiteral("node"), QStringLiteral("--ssh-config"), config,
                   QStringLiteral("--accept-new")});
        QVERIFY(run.process.waitForFinished(30000));
        QCOMPARE(run.process.exitCode(), 3);
        QVERIFY2(run.err.contains("host key changed"), run.err.constData());
    }

    void sshUnreachableNodeExits3()
    {
        // Nothing listens on the port: the node cannot be reached, which is not "keep trying"
        // when SSH is all there is to watch.
        QVERIFY(startSshd());
        const QString config = m_dir.filePath(QStringLiteral("unreachable_config"));
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Host node\n  HostName 127.0.0.1\n  Port " + QByteArray::number(SshdFixture::freePort())
                + "\n  User root\n  IdentityFile " + m_sshd.path(QStringLiteral("id_client")).toUtf8() + "\n");
        f.close();
        CliRun run;
        run.start({QStringLiteral("--ssh"), QStringLiteral("node"), QStringLiteral("--ssh-config"), config,
                   QStringLiteral("--accept-new")});
        QVERIFY(run.process.waitForFinished(30000));
        QCOMPARE(run.process.exitCode(), 3);
        QVERIFY2(run.err.contains("lost, reconnecting"), run.err.constData());
    }

    void usageErrors()
    {
        CliRun run;
        run.start({});
        QVERIFY(run.process.waitForFinished(10000));
        QCOMPARE(run.process.exitCode(), 2);
        CliRun bad;
        bad.start({QStringLiteral("--serial"), QStringLiteral("/dev/null"), QStringLiteral("--baud"),
                   QStringLiteral("fast")});
        QVERIFY(bad.process.waitForFinished(10000));
        QCOMPARE(bad.process.exitCode(), 2);
    }

    void cleanupTestCase() { m_sshd.stop(); }

private:
    static QByteArray kms_shellQuote(const QString &s)
    {
        QByteArray out = "'";
        for (const char c : s.toUtf8())
            out += c == '\'' ? QByteArray("'\\''") : QByteArray(1, c);
        return out + "'";
    }
    bool startSshd()
    {
        if (m_sshdUp)
            return true;
        m_sshdUp = m_sshd.setUp() && m_sshd.start();
        return m_sshdUp;
    }

    QTemporaryDir m_dir;
    QByteArray m_seed;
    SshdFixture m_sshd;
    bool m_sshdUp = false;
};

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
