// SshLink against a real OpenSSH sshd started by the test (sshdfixture.h): host keys, key and
// agent auth, commands, quoting, streams, files, open channels (a conversation with one process
// on its stdin), and losing/regaining the server.
#include "sshdfixture.h"

#include "link/shellquote.h"
#include "link/sshlink.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace kms;

namespace {

struct Watcher {
    QList<SshLink::State> states;
    QString lastDetail;
    QStringList fingerprints;
    QHash<quint64, SshCommandResult> results;
    QHash<quint64, SshFileResult> files;
    QList<LogLine> streamed;
    QHash<quint64, QByteArray> channelOut;
    QHash<quint64, QByteArray> channelErr;
    QHash<quint64, SshCommandResult> channelDone;
    QElapsedTimer clock;
    qint64 lastStateMs = 0;

    explicit Watcher(SshLink &link)
    {
        clock.start();
        QObject::connect(&link, &SshLink::stateChanged, &link, [this](SshLink::State s, const QString &detail) {
            states.append(s);
            lastDetail = detail;
            if (qEnvironmentVariableIsSet("KMS_TEST_TRACE"))
                qInfo("%lld ms: state %d %s", clock.elapsed(), int(s), qPrintable(detail));
            lastStateMs = clock.elapsed();
        });
        QObject::connect(&link, &SshLink::hostKeyUnknown, &link,
                         [this](const QString &, const QString &fp) { fingerprints.append(fp); });
        QObject::connect(&link, &SshLink::commandFinished, &link, [this](quint64 id, const SshCommandResult &r) {
            results.insert(id, r);
            if (qEnvironmentVariableIsSet("KMS_TEST_TRACE"))
                qInfo("%lld ms: command %llu done", clock.elapsed(), id);
        });
        QObject::connect(&link, &SshLink::fileFinished, &link,
                         [this](quint64 id, const SshFileResult &r) { files.insert(id, r); });
        QObject::connect(&link, &SshLink::streamLines, &link,
                         [this](quint64, const QList<LogLine> &lines) { streamed.append(lines); });
        QObject::connect(&link, &SshLink::channelOutput, &link,
                         [this](quint64 id, const QByteArray &out, const QByteArray &err) {
                             channelOut[id] += out;
                             channelErr[id] += err;
                         });
        QObject::connect(&link, &SshLink::channelFinished, &link,
                         [this](quint64 id, const SshCommandResult &r) { channelDone.insert(id, r); });
    }
    SshLink::State state() const { return states.isEmpty() ? SshLink::State::Disconnected : states.back(); }
    int countText(const QByteArray &prefix) const
    {
        int n = 0;
        for (const LogLine &l : streamed)
            n += l.text.startsWith(prefix) ? 1 : 0;
        return n;
    }
};

constexpr int upTimeout = 20000;

} // namespace

class TestSshLink : public QObject
{
    Q_OBJECT

    SshSettings settingsFor(const QString &identity, const QString &knownHosts)
    {
        SshSettings s;
        s.host = QStringLiteral("node");
        s.configFile = m_sshd.writeClientConfig(QStringLiteral("client_config"), identity, knownHosts);
        s.unknownHostKey = SshSettings::UnknownHostKey::Reject;
        return s;
    }
    // A known_hosts that trusts the test server's real key.
    QString trustedKnownHosts()
    {
        const QString file = m_sshd.path(QStringLiteral("known_hosts_trusted"));
        QFile f(file);
        f.open(QIODevice::WriteOnly);
        const QList<QByteArray> pub = SshdFixture::readFile(m_sshd.path(QStringLiteral("hostkey.pub"))).split(' ');
        f.write("[127.0.0.1]:" + QByteArray::number(m_sshd.port()) + ' ' + pub[0] + ' ' + pub[1] + '\n');
        return file;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("SSH_AUTH_SOCK");
        QVERIFY(m_sshd.setUp());
        QVERIFY(m_sshd.start());
    }

    void unknownHostKeyIsAskedThenRemembered()
    {
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_ask"));
        SshSettings s = settingsFor(m_sshd.path(QStringLiteral("id_client")), knownHosts);
        s.unknownHostKey = SshSettings::UnknownHostKey::Ask;
        {
            SshLink link(s);
            Watcher w(link);
            link.start();
            QTRY_COMPARE_WITH_TIMEOUT(w.fingerprints.size(), 1, upTimeout);
            QCOMPARE(w.fingerprints[0], m_sshd.fingerprint(QStringLiteral("hostkey")));
            QCOMPARE(w.state(), SshLink::State::HostKeyUnknown);
            QVERIFY(w.lastDetail.contains(w.fingerprints[0]));
            link.answerHostKey(true);
            QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::Up, upTimeout);
        }
        QVERIFY(SshdFixture::readFile(knownHosts).contains("ssh-ed25519"));
        // Next time it matches: no question.
        SshLink link(s);
        Watcher w(link);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::Up, upTimeout);
        QVERIFY(w.fingerprints.isEmpty());
    }

    void unknownHostKeyRefusedByPolicy()
    {
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_reject"));
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), knownHosts));
        Watcher w(link);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::HostKeyUnknown, upTimeout);
        QTest::qWait(1000);
        QVERIFY(!w.states.contains(SshLink::State::Up));
        QVERIFY(w.lastDetail.contains(QStringLiteral("REFUSED")));
        QVERIFY(!QFile::exists(knownHosts) || !SshdFixture::readFile(knownHosts).contains("ssh-ed25519"));
    }

    void changedHostKeyAlwaysRefused()
    {
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_changed"));
        {
            QFile f(knownHosts);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QList<QByteArray> pub = SshdFixture::readFile(m_sshd.path(QStringLiteral("hostkey2.pub"))).split(' ');
            f.write("[127.0.0.1]:" + QByteArray::number(m_sshd.port()) + ' ' + pub[0] + ' ' + pub[1] + '\n');
        }
        const QByteArray before = SshdFixture::readFile(knownHosts);
        SshSettings s = settingsFor(m_sshd.path(QStringLiteral("id_client")), knownHosts);
        s.unknownHostKey = SshSettings::UnknownHostKey::Accept; // even with accept-new
        SshLink link(s);
        Watcher w(link);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::HostKeyChanged, upTimeout);
        QVERIFY(w.lastDetail.contains(m_sshd.fingerprint(QStringLiteral("hostkey"))));
        QTest::qWait(1500); // not retried
        QCOMPARE(w.states.count(SshLink::State::Connecting), 1);
        QVERIFY(!w.states.contains(SshLink::State::Up));
        QCOMPARE(SshdFixture::readFile(knownHosts), before);
    }

    void wrongKeyGivesClearAuthError()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_wrong")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::AuthFailed, upTimeout);
        QVERIFY2(
            w.lastDetail.contains(QStringLiteral("authentication failed for root@127.0.0.1:%1").arg(m_sshd.port())),
            qPrintable(w.lastDetail));
        QVERIFY(w.lastDetail.contains(QStringLiteral("publickey")));
        const quint64 id = link.run({QStringLiteral("true")});
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(id), 5000);
        QVERIFY(!w.results[id].error.isEmpty());
        // Not retried by itself; start() tries again.
        QTest::qWait(500);
        QCOMPARE(w.states.count(SshLink::State::Connecting), 1);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.states.count(SshLink::State::AuthFailed), 2, upTimeout);
    }

    void agentAuth()
    {
        const QString socket = m_sshd.path(QStringLiteral("agent.sock"));
        QProcess agent;
        agent.setChildProcessModifier([] { ::setsid(); });
        agent.start(QStringLiteral("ssh-agent"), {QStringLiteral("-D"), QStringLiteral("-a"), socket});
        QVERIFY(agent.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(socket), 10000);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SSH_AUTH_SOCK"), socket);
        QVERIFY(
            SshdFixture::runTool(QStringLiteral("ssh-add"), {m_sshd.path(QStringLiteral("id_agent"))}, nullptr, env));
        qputenv("SSH_AUTH_SOCK", socket.toLocal8Bit());
        {
            // No usable key file: only the agent holds an authorized key.
            SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_wrong")), trustedKnownHosts()));
            Watcher w(link);
            link.start();
            QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::Up, upTimeout);
            const quint64 id = link.run({QStringLiteral("echo"), QStringLiteral("via agent")});
            QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(id), 10000);
            QCOMPARE(w.results[id].standardOutput, QByteArray("via agent\n"));
        }
        qunsetenv("SSH_AUTH_SOCK");
        agent.kill();
        agent.waitForFinished(5000);
    }

    void commandsExitCodesAndStdin()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        // Queued before the session is up: run once it is.
        const quint64 a
            = link.run({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("echo out; echo err >&2; exit 3")});
        const quint64 b = link.run({QStringLiteral("true")});
        const quint64 c = link.run({QStringLiteral("cat")}, QByteArrayLiteral("from stdin\n"));
        const quint64 d = link.run({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("kill -9 $$")});
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(a) && w.results.contains(b) && w.results.contains(c)
                                     && w.results.contains(d),
                                 upTimeout);
        QCOMPARE(w.results[a].exitStatus, 3);
        QCOMPARE(w.results[a].standardOutput, QByteArray("out\n"));
        QCOMPARE(w.results[a].standardError, QByteArray("err\n"));
        QVERIFY(w.results[a].error.isEmpty());
        QVERIFY(w.results[b].ok());
        QCOMPARE(w.results[c].standardOutput, QByteArray("from stdin\n"));
        QVERIFY(!w.results[d].ok());
    }

    void openChannelIsOneProcessFedInTurns()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        // Asked for before the session is up, with its first input: it starts once it is.
        const quint64 id = link.openChannel(
            "sh -c " + shellQuote(QStringLiteral("while read -r l; do echo \"$$ $l\"; echo \"e$l\" >&2; done; exit 4")),
            "one\n");
        QTRY_VERIFY_WITH_TIMEOUT(w.channelOut.value(id).endsWith(" one\n"), upTimeout);
        const QByteArray pid = w.channelOut.value(id).split(' ').first();
        // Each write is answered before the next is sent: the same process, its input still open.
        for (const char *word : {"two", "three", "it's $HOME"}) {
            const QByteArray line = pid + ' ' + word + '\n';
            link.writeChannel(id, QByteArray(word) + '\n');
            QTRY_VERIFY_WITH_TIMEOUT(w.channelOut.value(id).endsWith(line), upTimeout);
            QVERIFY(!w.channelDone.contains(id));
        }
        QCOMPARE(w.channelOut.value(id), pid + " one\n" + pid + " two\n" + pid + " three\n" + pid + " it's $HOME\n");
        QTRY_COMPARE_WITH_TIMEOUT(w.channelErr.value(id), QByteArray("eone\netwo\nethree\neit's $HOME\n"), upTimeout);
        // EOF: the loop ends and the exit status comes back.
        link.closeChannelInput(id);
        QTRY_VERIFY_WITH_TIMEOUT(w.channelDone.contains(id), upTimeout);
        QCOMPARE(w.channelDone[id].exitStatus, 4);
        QVERIFY(w.channelDone[id].error.isEmpty());
        QCOMPARE(w.channelDone[id].standardError, QByteArray("eone\netwo\nethree\neit's $HOME\n"));
        // Written after the end: dropped, nothing breaks.
        link.writeChannel(id, "late\n");
        const quint64 after = link.run({QStringLiteral("echo"), QStringLiteral("still up")});
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(after), upTimeout);
        QCOMPARE(w.results[after].standardOutput, QByteArray("still up\n"));
    }

    void openChannelEndsWithItsProcessOrWhenDropped()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::Up, upTimeout);
        // The process ends by itself (its input still open).
        const quint64 quits = link.openChannel("sh -c " + shellQuote(QStringLiteral("read -r l; echo bye $l; exit 7")));
        link.writeChannel(quits, "now\n");
        QTRY_VERIFY_WITH_TIMEOUT(w.channelDone.contains(quits), upTimeout);
        QCOMPARE(w.channelDone[quits].exitStatus, 7);
        QCOMPARE(w.channelOut.value(quits), QByteArray("bye now\n"));
        // Dropped: no signal, and the process sees its input end.
        const QString mark = m_sshd.path(QStringLiteral("dropped"));
        const quint64 dropped
            = link.openChannel("sh -c " + shellQuote(QStringLiteral("echo ready; cat >/dev/null; touch %1").arg(mark)));
        QTRY_VERIFY_WITH_TIMEOUT(w.channelOut.value(dropped) == "ready\n", upTimeout);
        link.closeChannel(dropped);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(mark), upTimeout);
        QTest::qWait(200);
        QVERIFY(!w.channelDone.contains(dropped));
    }

    void openChannelEndsWhenTheServerDies()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        const quint64 id = link.openChannel("cat", "ping\n");
        QTRY_COMPARE_WITH_TIMEOUT(w.channelOut.value(id), QByteArray("ping\n"), upTimeout);
        QElapsedTimer clock;
        clock.start();
        m_sshd.stop(); // the node dies: the process and the connection with it
        QTRY_VERIFY_WITH_TIMEOUT(w.channelDone.contains(id), 10000);
        const qint64 seenMs = clock.elapsed();
        QVERIFY(m_sshd.start());
        QVERIFY2(!w.channelDone[id].error.isEmpty(), "no error for a channel whose connection died");
        QCOMPARE(w.channelDone[id].exitStatus, -1);
        QVERIFY2(seenMs < 6000, qPrintable(QString::number(seenMs)));
        // Never restarted: the link comes back, the channel stays ended.
        QTRY_VERIFY_WITH_TIMEOUT(w.states.count(SshLink::State::Up) >= 2, 30000);
        QTest::qWait(300);
        QCOMPARE(w.channelOut.value(id), QByteArray("ping\n"));
    }

    void hostileArgumentsArriveLiterally()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        const QString marker = m_sshd.path(QStringLiteral("pwned"));
        const QStringList hostile = {
            QStringLiteral("$(touch %1-subst)").arg(marker),
            QStringLiteral("`touch %1-backtick`").arg(marker),
            QStringLiteral("; touch %1-semicolon").arg(marker),
            QStringLiteral("' ; touch %1-quote ; '").arg(marker),
            QStringLiteral("\" && touch %1-dquote && \"").arg(marker),
            QStringLiteral("a\ntouch %1-newline").arg(marker),
            QStringLiteral("$HOME * ${IFS}|&>"),
        };
        QStringList argv = {QStringLiteral("printf"), QStringLiteral("[%s]\\n")};
        argv += hostile;
        const quint64 id = link.run(argv);
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(id), upTimeout);
        QByteArray expected;
        for (const QString &h : hostile)
            expected += '[' + h.toUtf8() + "]\n";
        QCOMPARE(w.results[id].standardOutput, expected);
        QCOMPARE(w.results[id].exitStatus, 0);
        const QDir dir(m_sshd.path(QString()));
        QVERIFY(dir.entryList({QStringLiteral("pwned*")}).isEmpty());
        // Module names with shell syntax never get that far.
        for (const QString &h : hostile)
            QVERIFY(!isValidModuleName(h));
    }

    void filesWithSftp()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        const QString remote = m_sshd.path(QStringLiteral("remote file.txt"));
        QByteArray data;
        for (int i = 0; i < 5000; ++i)
            data += "payload " + QByteArray::number(i) + '\n';
        const quint64 put = link.writeFile(remote, data);
        QTRY_VERIFY_WITH_TIMEOUT(w.files.contains(put), upTimeout);
        QVERIFY2(w.files[put].error.isEmpty(), qPrintable(w.files[put].error));
        QVERIFY(w.files[put].viaSftp);
        const quint64 get = link.readFile(remote);
        const QString local = m_sshd.path(QStringLiteral("fetched.txt"));
        const quint64 fetch = link.fetchFile(remote, local);
        const quint64 missing = link.readFile(m_sshd.path(QStringLiteral("does-not-exist")));
        QTRY_VERIFY_WITH_TIMEOUT(w.files.contains(get) && w.files.contains(fetch) && w.files.contains(missing),
                                 upTimeout);
        QCOMPARE(w.files[get].data, data);
        QVERIFY(w.files[fetch].error.isEmpty());
        QCOMPARE(SshdFixture::readFile(local), data);
        QVERIFY(w.files[missing].error.contains(QStringLiteral("no such file")));
    }

    void streamResumesAfterServerKilledAndRestarted()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        link.startStream({QStringLiteral("sh"), QStringLiteral("-c"),
                          QStringLiteral("i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done")},
                         QStringLiteral("ssh-test"));
        QTRY_VERIFY_WITH_TIMEOUT(w.countText("tick ") >= 5, upTimeout);
        QCOMPARE(w.streamed.front().source, QStringLiteral("ssh-test"));
        QCOMPARE(w.countText("tick 0"), 1);

        QElapsedTimer clock;
        clock.start();
        m_sshd.stop();
        QTRY_COMPARE_WITH_TIMEOUT(w.state() == SshLink::State::Lost || w.state() == SshLink::State::Connecting, true,
                                  10000);
        const qint64 detectMs = clock.elapsed();
        QVERIFY2(detectMs < 6000, qPrintable(QStringLiteral("loss seen after %1 ms").arg(detectMs)));
        QVERIFY(m_sshd.start());
        QTRY_COMPARE_WITH_TIMEOUT(w.countText("tick 0"), 2, 30000); // the stream started again
        QTRY_VERIFY_WITH_TIMEOUT(w.countText("tick 3") >= 2, 10000);
        QVERIFY(w.countText("ssh: connection lost") >= 1);
        qInfo("server killed: loss detected in %lld ms", detectMs);
    }

    void frozenServerDetectedByHeartbeat()
    {
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        QTRY_COMPARE_WITH_TIMEOUT(w.state(), SshLink::State::Up, upTimeout);
        QTest::qWait(300);
        QElapsedTimer clock;
        clock.start();
        // Frozen, not closed: the TCP connection stays up, only silence tells.
        m_sshd.signalGroup(SIGSTOP);
        QTRY_VERIFY_WITH_TIMEOUT(w.states.contains(SshLink::State::Lost), 15000);
        const qint64 detectMs = clock.elapsed();
        m_sshd.stop();
        QVERIFY(m_sshd.start());
        QVERIFY2(detectMs <= 6000, qPrintable(QStringLiteral("loss seen after %1 ms").arg(detectMs)));
        const qsizetype ups = w.states.count(SshLink::State::Up);
        QTRY_COMPARE_WITH_TIMEOUT(w.states.count(SshLink::State::Up), ups + 1, 30000);
        const quint64 id = link.run({QStringLiteral("echo"), QStringLiteral("back")});
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(id), upTimeout);
        QCOMPARE(w.results[id].standardOutput, QByteArray("back\n"));
        qInfo("frozen server: loss detected in %lld ms", detectMs);
    }

    void filesWithoutSftpUseCat()
    {
        m_sshd.stop();
        QVERIFY(m_sshd.start(false));
        SshLink link(settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts()));
        Watcher w(link);
        link.start();
        const QString remote = m_sshd.path(QStringLiteral("it's a file"));
        const quint64 put = link.writeFile(remote, QByteArrayLiteral("no sftp here\n"));
        QTRY_VERIFY_WITH_TIMEOUT(w.files.contains(put), upTimeout);
        QVERIFY2(w.files[put].error.isEmpty(), qPrintable(w.files[put].error));
        QVERIFY(!w.files[put].viaSftp);
        const quint64 get = link.readFile(remote);
        const quint64 missing = link.readFile(m_sshd.path(QStringLiteral("nope")));
        QTRY_VERIFY_WITH_TIMEOUT(w.files.contains(get) && w.files.contains(missing), upTimeout);
        QCOMPARE(w.files[get].data, QByteArray("no sftp here\n"));
        QVERIFY(!w.files[missing].error.isEmpty());
        m_sshd.stop();
        QVERIFY(m_sshd.start());
    }

    // OpenSSH refuses a channel beyond MaxSessions on a live connection, as a loaded node's
    // dropbear refused one: the command is tried again, and fails with the step only when
    // every attempt was refused.
    void refusedChannelIsRetriedThenFails()
    {
        m_sshd.stop();
        m_sshd.setMaxSessions(1);
        QVERIFY(m_sshd.start());
        SshSettings settings = settingsFor(m_sshd.path(QStringLiteral("id_client")), trustedKnownHosts());
        settings.channelRetryDelayMs = 1000;
        SshLink link(settings);
        Watcher w(link);
        link.start();
        const quint64 holder = link.openChannel("sh -c " + shellQuote(QStringLiteral("echo held; cat >/dev/null")));
        QTRY_COMPARE_WITH_TIMEOUT(w.channelOut.value(holder), QByteArray("held\n"), upTimeout);

        // The holder goes away after the first refusal: a later attempt runs the command.
        const quint64 later = link.run({QStringLiteral("echo"), QStringLiteral("ran")});
        QTest::qWait(300);
        QVERIFY(!w.results.contains(later));
        link.closeChannel(holder);
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(later), upTimeout);
        QVERIFY2(w.results[later].ok(), qPrintable(w.results[later].error));
        QCOMPARE(w.results[later].standardOutput, QByteArray("ran\n"));

        // Held throughout: every attempt refused, then a clear error naming the step.
        const quint64 held = link.openChannel("sh -c " + shellQuote(QStringLiteral("echo held; cat >/dev/null")));
        QTRY_COMPARE_WITH_TIMEOUT(w.channelOut.value(held), QByteArray("held\n"), upTimeout);
        QElapsedTimer clock;
        clock.start();
        const quint64 refused = link.run({QStringLiteral("true")});
        QTRY_VERIFY_WITH_TIMEOUT(w.results.contains(refused), upTimeout);
        const QString error = w.results[refused].error;
        QVERIFY2(error.contains(QLatin1String("cannot start command")) && error.contains(QLatin1String("channel open")),
                 qPrintable(error));
        QVERIFY2(clock.elapsed() >= 2 * settings.channelRetryDelayMs, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(w.state(), SshLink::State::Up); // one refused channel is not a lost node
        link.closeChannel(held);

        m_sshd.stop();
        m_sshd.setMaxSessions(20);
        QVERIFY(m_sshd.start());
    }

    void cleanupTestCase() { m_sshd.stop(); }

private:
    SshdFixture m_sshd;
};

QTEST_GUILESS_MAIN(TestSshLink)
#include "tst_sshlink.moc"
