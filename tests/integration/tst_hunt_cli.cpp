// `kmodscope-cli hunt --compare-cmd` against a real sshd and the real cycle script on the fake
// node (tests/integration/fakenode): the two install commands reach the node's shell exactly as
// typed, before their side's cycles; the JSON names them; bad usage is refused before anything
// runs on the node.
#include "fakenodetest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace {

const QString cli = QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli");

} // namespace

class TestHuntCli : public FakeNodeTest
{
    Q_OBJECT

private:
    QProcess m_kmsg; // drains the fake node's kmsg FIFO into its log

    int run(const QStringList &args, QByteArray *out, const QString &config = {})
    {
        QStringList argv{QStringLiteral("hunt"),
                         QStringLiteral("--ssh"),
                         QStringLiteral("node"),
                         QStringLiteral("--ssh-config"),
                         config.isEmpty() ? m_settings.configFile : config,
                         QStringLiteral("--module"),
                         QStringLiteral("fakemod"),
                         QStringLiteral("--return-timeout"),
                         QStringLiteral("10")};
        QProcess p;
        p.start(cli, argv + args);
        if (!p.waitForFinished(120000))
            return -1;
        *out = p.readAllStandardOutput() + p.readAllStandardError();
        return p.exitCode();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(startNodeSshd());
        // Streamed by the fake dmesg.
        QVERIFY(startKernelLog(m_kmsg));
    }

    void cleanupTestCase()
    {
        m_kmsg.kill();
        m_kmsg.waitForFinished();
    }

    void init()
    {
        QVERIFY(writeBootFiles());
        QVERIFY(clearRunFiles());
        // Each run is a new session whose `dmesg -w` starts from the log's first line: a clean
        // log, as after a boot (the last test's oopses are not this one's).
        QVERIFY(writeFile(root(QStringLiteral("dev/kmsg.log")), ""));
    }

    void compareTwoInstallCommands()
    {
        // A's command "installs" a build that oopses on every load (it sets the fake node's
        // oops condition), B's a fixed one; quotes, $, ; and > reach the node's shell as typed.
        const QString a = QStringLiteral("printf '%s\\n' \"build A's\" >>\"$KMS_SYSROOT/installs\"; "
                                         "echo w=1 >\"$KMS_SYSROOT/control/oops_when\"");
        const QString b = QStringLiteral("printf '%s\\n' \"build B's\" >>\"$KMS_SYSROOT/installs\"; "
                                         "rm -f \"$KMS_SYSROOT/control/oops_when\"");
        const QString json = m_sshd.path(QStringLiteral("hunt.json"));
        QByteArray out;
        const int rc
            = run({QStringLiteral("--params"), QStringLiteral("w=1"), QStringLiteral("--cycles"), QStringLiteral("5"),
                   QStringLiteral("--crashes"), QStringLiteral("0"), QStringLiteral("--compare-cmd"), a, b,
                   QStringLiteral("--json"), json, QStringLiteral("--accept-new")},
                  &out);
        QVERIFY2(rc == 1, out.constData()); // crashes found
        const QJsonObject r = QJsonDocument::fromJson(readFile(json)).object();
        const QJsonObject c = r.value(QStringLiteral("compare")).toObject();
        QCOMPARE(c.value(QStringLiteral("a")).toObject().value(QStringLiteral("install_command")).toString(), a);
        QCOMPARE(c.value(QStringLiteral("b")).toObject().value(QStringLiteral("install_command")).toString(), b);
        QCOMPARE(c.value(QStringLiteral("a")).toObject().value(QStringLiteral("crashes")).toInt(), 5);
        QCOMPARE(c.value(QStringLiteral("b")).toObject().value(QStringLiteral("crashes")).toInt(), 0);
        QCOMPARE(c.value(QStringLiteral("b")).toObject().value(QStringLiteral("cycles")).toInt(), 5);
        // Fisher, two-sided, [[5, 0], [0, 5]]: 2 / C(10, 5) = 2/252.
        QVERIFY(std::abs(c.value(QStringLiteral("p_value")).toDouble() - 2.0 / 252.0) < 1e-12);
        QVERIFY2(out.contains("after: 0 crashes in 5 cycles"), out.constData());
        // Each side's command before its cycles: A's again after each crash (the node may have
        // rebooted), B's once a turn.
        const QByteArray installs = readFile(root(QStringLiteral("installs")));
        QVERIFY2(installs.startsWith("build A's\n"), installs.constData());
        QCOMPARE(installs.count("build A's\n"), 5);
        QVERIFY2(installs.count("build B's\n") >= 1, installs.constData());
        // The best reproducer installs A first, the command quoted whole.
        const QString node
            = r.value(QStringLiteral("best")).toObject().value(QStringLiteral("node_command")).toString();
        QVERIFY2(node.startsWith(QStringLiteral("sh -c 'printf '\\''%s\\n'\\'' \"build A'\\''s\"")), qPrintable(node));
    }

    void readerIsOpenOnlyInItsCellsAndClosedBeforeTheUnload()
    {
        // The fake stream reports a ring 98% full: a cycle whose reader read it gets the
        // telemetry_fill warning; a reader still open at the unload would make it fail as busy.
        QVERIFY(writeFile(root(QStringLiteral("control/tlm")), "buf0_fill_n=500 buf0_cap_n=512\n"));
        const QString json = m_sshd.path(QStringLiteral("reader.json"));
        QByteArray out;
        const int rc = run({QStringLiteral("--vary"), QStringLiteral("settle=300"), QStringLiteral("--reader"),
                            QStringLiteral("off,on"), QStringLiteral("--cycles"), QStringLiteral("3"),
                            QStringLiteral("--json"), json, QStringLiteral("--accept-new")},
                           &out);
        QVERIFY2(rc == 1, out.constData()); // warnings: not every cycle passed
        const QJsonArray cells
            = QJsonDocument::fromJson(readFile(json)).object().value(QStringLiteral("cells")).toArray();
        QCOMPARE(cells.size(), 2);
        QHash<QString, QJsonObject> byReader;
        for (const QJsonValue &c : cells)
            byReader.insert(
                c.toObject().value(QStringLiteral("params")).toObject().value(QStringLiteral("telemetry")).toString(),
                c.toObject());
        QCOMPARE(byReader.value(QStringLiteral("off")).value(QStringLiteral("verdicts")).toObject(),
                 QJsonObject({{QStringLiteral("pass"), 3}}));
        QCOMPARE(byReader.value(QStringLiteral("on")).value(QStringLiteral("verdicts")).toObject(),
                 QJsonObject({{QStringLiteral("warning"), 3}}));
        QVERIFY2(out.contains("reader on"), out.constData());
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe -r fakemod\n"), 6);
        QVERIFY2(!calls.contains("in use"), calls.constData());
        QVERIFY(!QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))));
    }

    void unknownHostKeyIsUnreachable()
    {
        // Without --accept-new the key is refused before the first install command: exit 3.
        const QString config
            = m_sshd.writeClientConfig(QStringLiteral("strict_config"), m_sshd.path(QStringLiteral("id_client")),
                                       m_sshd.path(QStringLiteral("empty")));
        QByteArray out;
        const int rc
            = run({QStringLiteral("--compare-cmd"), QStringLiteral("true"), QStringLiteral("true")}, &out, config);
        QVERIFY2(rc == 3, out.constData());
        QVERIFY2(out.contains("unknown host key"), out.constData());
        QVERIFY(readFile(root(QStringLiteral("installs"))).isEmpty());
    }

    void usage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("says");
        QTest::newRow("one command") << QStringList{QStringLiteral("--compare-cmd"), QStringLiteral("make install")}
                                     << QStringLiteral("--compare-cmd takes two install commands");
        QTest::newRow("both compares") << QStringList{QStringLiteral("--compare"), QStringLiteral("a.ko"),
                                                      QStringLiteral("b.ko"),      QStringLiteral("--compare-cmd"),
                                                      QStringLiteral("true"),      QStringLiteral("true")}
                                       << QStringLiteral("give one --compare or --compare-cmd");
        QTest::newRow("two lines") << QStringList{QStringLiteral("--compare-cmd"), QStringLiteral("true\nreboot"),
                                                  QStringLiteral("true")}
                                   << QStringLiteral("install command has more than one line");
        QTest::newRow("empty") << QStringList{QStringLiteral("--compare-cmd"), QStringLiteral(" "),
                                              QStringLiteral("true")}
                               << QStringLiteral("install command is empty");
    }

    void usage()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, says);
        QByteArray out;
        QCOMPARE(run(args, &out), 2);
        QVERIFY2(out.contains(says.toUtf8()), out.constData());
        QVERIFY(readFile(root(QStringLiteral("calls"))).isEmpty()); // nothing done on the node
        QVERIFY(readFile(root(QStringLiteral("installs"))).isEmpty());
    }
};

QTEST_MAIN(TestHuntCli)
#include "tst_hunt_cli.moc"
