// `kmodscope-cli cycle` against a real sshd on 127.0.0.1 and the real cycle script, on a fake node
// (tests/integration/fakenode/README.md): the exit status contract, the JSON run report, and a
// non-root login that runs the cycles through sudo. The runner's verdicts: tst_cyclerunner.
#include "fakenodetest.h"

#include "cycle/cyclerunner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTest>

using namespace kms;

class TestCycleRunnerCli : public FakeNodeTest
{
    Q_OBJECT

private:
    std::unique_ptr<SshdFixture> m_sudoSshd; // sudo(): a non-root login, started on first use

private Q_SLOTS:
    void initTestCase() { QVERIFY(setUpNode()); }

    void init() { QVERIFY(resetNode()); }

    // --- kmodscope-cli cycle: the exit status contract (0, 1, 2, 3) and the JSON run report.
    void cli_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("control");
        QTest::addColumn<bool>("trustHostKey");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("says");
        const QStringList base{QStringLiteral("--count"), QStringLiteral("2")};
        QTest::newRow("pass") << base << QString() << true << 0 << QStringLiteral("2 cycles: 2 pass");
        QTest::newRow("load fails") << base << QStringLiteral("load_rc") << true << 1 << QStringLiteral("2 fail");
        QTest::newRow("not a module name") << (base + QStringList{QStringLiteral("--module"), QStringLiteral("a;b")})
                                           << QString() << true << 2 << QStringLiteral("not a module name");
        QTest::newRow("no such module") << (base + QStringList{QStringLiteral("--module"), QStringLiteral("nosuchmod")})
                                        << QString() << true << 2 << QStringLiteral("no module nosuchmod");
        QTest::newRow("not root") << base << QStringLiteral("uid") << true << 2 << QStringLiteral("not root");
        QTest::newRow("unknown host key") << base << QString() << false << 3 << QStringLiteral("SSH refused");
    }

    void cli()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, control);
        QFETCH(bool, trustHostKey);
        QFETCH(int, exitCode);
        QFETCH(QString, says);
        if (control == QLatin1String("load_rc"))
            this->control(control, "1");
        else if (control == QLatin1String("uid"))
            this->control(control, "1000");
        const QString knownHosts
            = m_sshd.path(trustHostKey ? QStringLiteral("known_hosts") : QStringLiteral("empty_known_hosts"));
        const QString config = m_sshd.writeClientConfig(QStringLiteral("cli_config"),
                                                        m_sshd.path(QStringLiteral("id_client")), knownHosts);
        const QString json = m_sshd.path(QStringLiteral("run.json"));
        QFile::remove(json);
        QStringList argv{QStringLiteral("cycle"),
                         QStringLiteral("--ssh"),
                         QStringLiteral("node"),
                         QStringLiteral("--ssh-config"),
                         config,
                         QStringLiteral("--json"),
                         json};
        if (!args.contains(QStringLiteral("--module")))
            argv << QStringLiteral("--module") << QStringLiteral("fakemod");
        argv += args;
        QProcess p;
        p.start(QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli"), argv);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == exitCode, out.constData());
        QVERIFY2(out.contains(says.toUtf8()), out.constData());
        if (exitCode <= 1) {
            const QJsonObject report = QJsonDocument::fromJson(readFile(json)).object();
            QCOMPARE(report.value(QStringLiteral("cycles")).toArray().size(), 2);
            QCOMPARE(report.value(QStringLiteral("totals")).toObject().value(QStringLiteral("cycles")).toInt(), 2);
            // The node's side of a run may still be finishing after the CLI exits (sshd does not
            // kill a channel's processes on close): let it, so the next row starts on a quiet node.
            waitQuiet(root(QStringLiteral("calls")));
        }
        if (exitCode >= 2) {
            const QByteArray calls = readFile(root(QStringLiteral("calls")));
            QVERIFY2(calls.isEmpty(), calls.constData()); // nothing done on the node
        }
    }

    // --sudo for real: a non-root login (a test user in sshd's own mount namespace: our
    // /etc/passwd, /etc/group, /etc/shadow and /etc/sudoers bound over the machine's) and the
    // real sudo(8). Without root and without a sudo -n that works the run stops before the
    // module is touched (exit 2); with it every node-side script runs through sudo, as sudo's
    // own log says.
    void sudo_data()
    {
        QTest::addColumn<bool>("useSudo");
        QTest::addColumn<bool>("allowed"); // the sudoers rule lets the test user run sh
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("says");
        QTest::newRow("not root, no --sudo") << false << true << 2 << QStringLiteral("not root on the node (uid 4242)");
        QTest::newRow("--sudo, sudo -n refuses") << true << false << 2 << QStringLiteral("sudo -n refused");
        QTest::newRow("--sudo, sudo -n works") << true << true << 0 << QStringLiteral("2 cycles: 2 pass");
    }

    void sudo()
    {
        QFETCH(bool, useSudo);
        QFETCH(bool, allowed);
        QFETCH(int, exitCode);
        QFETCH(QString, says);
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("sudo")).isEmpty(),
                 "sudo is not installed (scripts/install-deps)");
        const QString log = m_sshd.path(QStringLiteral("sudo.log"));
        const auto sudoers = [&](bool allow) {
            QByteArray text = "Defaults env_keep += \"KMS_SYSROOT\"\n"
                              "Defaults secure_path=\""
                + fakeBin.toUtf8()
                + ":/usr/sbin:/usr/bin:/sbin:/bin\"\n"
                  "Defaults !pam_session, !lecture, loglinelen=0, logfile=\""
                + log.toUtf8() + "\"\n";
            if (allow)
                text += "kmstest ALL=(root) NOPASSWD: /bin/sh, /usr/bin/sh\n";
            // In place: sshd's namespace sees this file's inode.
            QFile f(m_sshd.path(QStringLiteral("sudoers")));
            return f.open(QIODevice::WriteOnly) && f.write(text) == text.size()
                && f.setPermissions(QFile::ReadOwner | QFile::ReadGroup);
        };
        QVERIFY(sudoers(allowed));
        if (!m_sudoSshd) {
            m_sudoSshd = std::make_unique<SshdFixture>();
            QVERIFY(m_sudoSshd->setUp());
            // The test user's account: uid 4242, a shell, not locked.
            const auto account = [this](const char *name, const QByteArray &line) {
                const QString copy = m_sshd.path(QLatin1String(name));
                QByteArray text = SshdFixture::readFile(QStringLiteral("/etc/") + QLatin1String(name));
                if (!text.endsWith('\n'))
                    text += '\n';
                m_sudoSshd->bindFile(copy, QStringLiteral("/etc/") + QLatin1String(name));
                return writeFile(copy, text + line + '\n');
            };
            QVERIFY(account("passwd", "kmstest:x:4242:4242:kmodscope test:/tmp:/bin/sh"));
            QVERIFY(account("group", "kmstest:x:4242:"));
            QVERIFY(account("shadow", "kmstest:*:19000:0:99999:7:::"));
            m_sudoSshd->bindFile(m_sshd.path(QStringLiteral("sudoers")), QStringLiteral("/etc/sudoers"));
            // sshd reads authorized_keys as the user: let it reach the file.
            QVERIFY(QFile::setPermissions(m_sudoSshd->path(QString()),
                                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeGroup
                                              | QFile::ExeOther));
            QVERIFY(QFile::setPermissions(m_sudoSshd->path(QStringLiteral("authorized_keys")),
                                          QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
            m_sudoSshd->setSessionEnv("KMS_SYSROOT=" + m_root.toUtf8() + " PATH=" + fakeBin.toUtf8()
                                      + ":/usr/sbin:/usr/bin:/sbin:/bin");
            QVERIFY(m_sudoSshd->start(false));
        }
        control(QStringLiteral("uid"), "real"); // `id -u` is the login's own
        // The fake node's tree lies in the main fixture's directory: the test user (before sudo)
        // must reach its control files as a node's user reaches /sys and /proc.
        QVERIFY(QFile::setPermissions(m_sshd.path(QString()),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeGroup
                                          | QFile::ExeOther));
        QFile::remove(log);
        const QString config
            = m_sudoSshd->writeClientConfig(QStringLiteral("cli_config"), m_sudoSshd->path(QStringLiteral("id_client")),
                                            m_sudoSshd->path(QStringLiteral("known_hosts")), "kmstest");
        QStringList argv{QStringLiteral("cycle"),
                         QStringLiteral("--ssh"),
                         QStringLiteral("node"),
                         QStringLiteral("--ssh-config"),
                         config,
                         QStringLiteral("--accept-new"),
                         QStringLiteral("--module"),
                         QStringLiteral("fakemod"),
                         QStringLiteral("--count"),
                         QStringLiteral("2"),
                         QStringLiteral("--params"),
                         QStringLiteral("fault=none")};
        if (useSudo)
            argv << QStringLiteral("--sudo");
        QProcess p;
        p.start(QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli"), argv);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == exitCode, out.constData());
        QVERIFY2(out.contains(says.toUtf8()), out.constData());
        if (exitCode == 2) {
            const QByteArray calls = readFile(root(QStringLiteral("calls")));
            QVERIFY2(calls.isEmpty(), calls.constData()); // the module was not touched
            QVERIFY(!loaded());
            return;
        }
        waitQuiet(root(QStringLiteral("calls")));
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe fakemod fault=none\n"), 2);
        QVERIFY(!loaded());
        // Every script the run sent went through sudo, as root: sudo's log has the one-off
        // modes and the run's kept shell, which ran both cycles.
        const QByteArray sudoLog = readFile(log);
        for (const char *mode : {"probe", "ensure"})
            QVERIFY2(sudoLog.contains(QByteArray("kmstest : PWD=/tmp ; USER=root ; COMMAND=/usr/bin/sh -s -- ") + mode
                                      + ' '),
                     sudoLog.constData());
        QCOMPARE(sudoLog.count("kmstest : PWD=/tmp ; USER=root ; COMMAND=/usr/bin/sh -s\n"), 1);
        QCOMPARE(sudoLog.count("COMMAND="), 3); // probe, the kept shell, the final state: nothing else
    }
};

QTEST_GUILESS_MAIN(TestCycleRunnerCli)
#include "tst_cyclerunner_cli.moc"
