// NodeSession, the core of every front end, against real peers: a pty as the node's serial
// console and an OpenSSH sshd on 127.0.0.1 whose "kernel log" command prints the seed ARM panic
// (as `dmesg -w` prints the ring buffer). Lines of both sources are numbered in one sequence and
// logged; the panic printed on both is one report plus a copy; a reconnect's replay is dropped;
// link states, host-key refusal and an unreachable node come as signals.
#include "ptypeer.h"
#include "sshdfixture.h"

#include "log/sessionlogreader.h"
#include "node/nodesession.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

using namespace kms;

namespace {

constexpr int upTimeout = 20000;
const QString seedPath = QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log");

QByteArray asSerial(const QByteArray &log)
{
    QByteArray out = log;
    out.replace("\r\n", "\n");
    out.replace("\n", "\r\n");
    return out;
}

// Everything the session said, in order.
struct Recorder {
    explicit Recorder(NodeSession &s)
    {
        QObject::connect(&s, &NodeSession::linesReceived, &s, [this](quint64 first, const QList<LogLine> &batch) {
            if (first != quint64(lines.size()))
                gaps++;
            lines += batch;
        });
        QObject::connect(&s, &NodeSession::reportDetected, &s,
                         [this](int id, const KernelReport &r, const QList<quint64> &l) {
                             detected.append({id, r, l});
                         });
        QObject::connect(&s, &NodeSession::duplicateDetected, &s,
                         [this](int id, const KernelReport &r, const QList<quint64> &l) {
                             copies.append({id, r, l});
                         });
        QObject::connect(&s, &NodeSession::reportResolved, &s, [this](int id, const KernelReport &r) {
            resolved.append({id, r, {}});
        });
        QObject::connect(&s, &NodeSession::serialStateChanged, &s,
                         [this](SerialLink::State st, const QString &) { serialStates.append(st); });
        QObject::connect(&s, &NodeSession::sshStateChanged, &s,
                         [this](SshLink::State st, const QString &) { sshStates.append(st); });
    }
    struct Report {
        int id;
        KernelReport report;
        QList<quint64> lines;
    };
    // Kernel lines (not the links' own events) of one source that contain text.
    int count(const QString &source, const QByteArray &text) const
    {
        int n = 0;
        for (const LogLine &l : lines)
            n += !(l.flags & LogLine::Event) && l.source == source && l.text.contains(text) ? 1 : 0;
        return n;
    }
    QList<LogLine> lines;
    int gaps = 0;
    QList<Report> detected;
    QList<Report> copies;
    QList<Report> resolved;
    QList<SerialLink::State> serialStates;
    QList<SshLink::State> sshStates;
};

} // namespace

class TestNodeSession : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CACHE_HOME", m_dir.filePath(QStringLiteral("cache")).toUtf8());
        m_seed = SshdFixture::readFile(seedPath);
        QVERIFY(!m_seed.isEmpty());
        QVERIFY(m_sshd.setUp());
        QVERIFY(m_sshd.start());
    }

    void cleanupTestCase() { m_sshd.stop(); }

    void bothSourcesOneReportReplayDropped()
    {
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyNode")));
        QVERIFY(peer.create());
        NodeSession session;
        Recorder rec(session);
        const QString logPath = m_dir.filePath(QStringLiteral("logs/session.log"));
        QVERIFY(session.openSessionLog(logPath));
        QCOMPARE(session.sessionLogPath(), logPath);

        SerialSettings serial;
        serial.path = peer.linkPath();
        session.startSerial(serial);
        QTRY_VERIFY_WITH_TIMEOUT(session.serialState() == SerialLink::State::Open, upTimeout);
        QVERIFY(rec.serialStates.contains(SerialLink::State::Open));

        session.startSsh(sshSettings(QStringLiteral("known_hosts_both"), SshSettings::UnknownHostKey::Accept),
                         "cat " + shellQuote(seedPath) + "; exec sleep 1000");
        QVERIFY(session.ssh());
        QTRY_VERIFY_WITH_TIMEOUT(session.sshUp(), upTimeout);
        QVERIFY(session.sshWasUp());
        QVERIFY(rec.sshStates.contains(SshLink::State::Connecting));
        QCOMPARE(rec.sshStates.back(), SshLink::State::Up);

        // The UART prints the same panic, in the pieces a tty makes.
        const QByteArray bytes = asSerial(m_seed);
        QRandomGenerator rng(7);
        for (qsizetype pos = 0; pos < bytes.size();) {
            const qsizetype n = qMin<qsizetype>(bytes.size() - pos, 1 + rng.bounded(200));
            QVERIFY(peer.writeAll(bytes.constData() + pos, n));
            pos += n;
        }
        const QByteArray last = m_seed.trimmed().split('\n').back().trimmed();
        const QString ssh = QString::fromLatin1(NodeSession::kernelLogSource);
        QTRY_COMPARE_WITH_TIMEOUT(rec.count(QStringLiteral("serial"), last), 1, upTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(rec.count(ssh, last), 1, upTimeout);
        QCOMPARE(rec.gaps, 0); // one numbering, every line once
        QCOMPARE(session.nextLineSeq(), quint64(rec.lines.size()));

        // One report, its copy paired with it (and not resolved a second time).
        QTRY_VERIFY_WITH_TIMEOUT(rec.detected.size() == 1 && rec.copies.size() == 1, upTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(rec.resolved.size(), 1, upTimeout);
        QTest::qWait(1500); // past the idle flush: nothing more comes
        QCOMPARE(rec.detected.size(), 1);
        QCOMPARE(rec.copies.size(), 1);
        QCOMPARE(rec.resolved.size(), 1);
        const Recorder::Report &report = rec.detected.front();
        QCOMPARE(report.report.guiltyFunction, QStringLiteral("pru0_comm_receive_msg"));
        QCOMPARE(rec.copies.front().id, report.id);
        QCOMPARE(rec.resolved.front().id, report.id);
        QVERIFY(report.report.timestamp.has_value());
        QCOMPARE(rec.copies.front().report.timestamp, report.report.timestamp);
        QCOMPARE(QSet<QString>({report.report.source, rec.copies.front().report.source}),
                 QSet<QString>({QStringLiteral("serial"), ssh}));
        // Its line numbers name its own lines: consecutive lines of its source, from its first.
        for (const Recorder::Report *r : {&report, &std::as_const(rec.copies).front()}) {
            QCOMPARE(r->lines.size(), r->report.lastLine - r->report.firstLine + 1);
            for (const quint64 seq : r->lines) {
                QVERIFY(seq < quint64(rec.lines.size()));
                QCOMPARE(rec.lines[qsizetype(seq)].source, r->report.source);
            }
            QVERIFY(rec.lines[qsizetype(r->lines.front())].text.contains(r->report.lines.front().toUtf8()));
            QVERIFY(rec.lines[qsizetype(r->lines.back())].text.contains(r->report.lines.back().toUtf8()));
        }
        QVERIFY(session.report(report.id));

        // Extra streams on the same link: a private one is not session text, a console one is.
        const int priv = session.addStream("echo private-marker; exec sleep 1000", QStringLiteral("telemetry"),
                                           NodeSession::StreamUse::Private);
        const int cons = session.addStream("echo console-marker; exec sleep 1000", QStringLiteral("ssh-extra"),
                                           NodeSession::StreamUse::Console);
        QSignalSpy streamSpy(&session, &NodeSession::streamLines);
        QTRY_COMPARE_WITH_TIMEOUT(rec.count(QStringLiteral("ssh-extra"), "console-marker"), 1, upTimeout);
        const auto privateSeen = [&] {
            for (const QList<QVariant> &args : streamSpy) {
                if (args[0].toInt() != priv)
                    continue;
                for (const LogLine &l : args[1].value<QList<LogLine>>())
                    if (l.text == "private-marker")
                        return true;
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(privateSeen(), upTimeout);
        QCOMPARE(rec.count(QStringLiteral("telemetry"), "private-marker"), 0);
        session.removeStream(priv);
        session.removeStream(cons);

        // The node's sshd goes away and comes back: the stream runs again and replays the same
        // log, which is dropped (no line twice, no second report).
        const int sshLines = rec.count(ssh, "");
        m_sshd.stop();
        QTRY_VERIFY_WITH_TIMEOUT(session.sshState() == SshLink::State::Lost, upTimeout);
        QVERIFY(m_sshd.start());
        QTRY_VERIFY_WITH_TIMEOUT(session.sshUp(), 30000);
        QTest::qWait(2500); // replay read, idle flush done
        QCOMPARE(rec.count(ssh, ""), sshLines);
        QCOMPARE(rec.count(ssh, last), 1);
        QCOMPARE(rec.detected.size(), 1);
        QCOMPARE(rec.copies.size(), 1);

        // Stopping is a state too.
        session.stopSsh();
        QCOMPARE(rec.sshStates.back(), SshLink::State::Disconnected);
        QVERIFY(!session.ssh());
        session.stopSerial();
        QCOMPARE(rec.serialStates.back(), SerialLink::State::Closed);
        QVERIFY(!session.serial());

        // Everything that joined the session is in its log, in order, with its source.
        const quint64 total = session.nextLineSeq();
        QTRY_COMPARE_WITH_TIMEOUT(quint64(SessionLogReader().readAll(logPath).size()), total, 5000);
        const QList<LogLine> logged = SessionLogReader().readAll(logPath);
        for (qsizetype i = 0; i < logged.size(); ++i) {
            QCOMPARE(logged[i].source, rec.lines[i].source);
            QCOMPARE(logged[i].text, rec.lines[i].text);
        }
    }

    void changedHostKeyRefused()
    {
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts_changed"));
        {
            QFile f(knownHosts);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QList<QByteArray> pub = SshdFixture::readFile(m_sshd.path(QStringLiteral("hostkey2.pub"))).split(' ');
            f.write("[127.0.0.1]:" + QByteArray::number(m_sshd.port()) + ' ' + pub[0] + ' ' + pub[1] + '\n');
        }
        NodeSession session;
        Recorder rec(session);
        QSignalSpy asked(&session, &NodeSession::hostKeyUnknown);
        session.startSsh(sshSettings(QStringLiteral("known_hosts_changed"), SshSettings::UnknownHostKey::Accept));
        QTRY_VERIFY_WITH_TIMEOUT(session.sshState() == SshLink::State::HostKeyChanged, upTimeout);
        QTest::qWait(1000);
        QCOMPARE(session.sshState(), SshLink::State::HostKeyChanged); // not retried
        QVERIFY(!session.sshWasUp());
        QCOMPARE(asked.size(), 0); // a changed key is never a question
        QVERIFY(rec.lines.isEmpty() || rec.count(QString::fromLatin1(NodeSession::kernelLogSource), "[") == 0);
    }

    void unknownHostKeyAskedAndRefused()
    {
        NodeSession session;
        QSignalSpy asked(&session, &NodeSession::hostKeyUnknown);
        session.startSsh(sshSettings(QStringLiteral("known_hosts_ask"), SshSettings::UnknownHostKey::Ask));
        QTRY_COMPARE_WITH_TIMEOUT(asked.size(), 1, upTimeout);
        QCOMPARE(asked.front()[1].toString(), m_sshd.fingerprint(QStringLiteral("hostkey")));
        QCOMPARE(session.sshState(), SshLink::State::HostKeyUnknown);
        session.answerHostKey(false);
        QTest::qWait(1500);
        QVERIFY(!session.sshWasUp());
        QVERIFY(session.sshState() != SshLink::State::Up);
        QVERIFY(!SshdFixture::readFile(m_sshd.path(QStringLiteral("known_hosts_ask"))).contains("ssh-ed25519"));
    }

    void unreachableNodeIsLostNeverUp()
    {
        SshSettings s = sshSettings(QStringLiteral("known_hosts_none"), SshSettings::UnknownHostKey::Reject);
        s.port = SshdFixture::freePort(); // nothing listens there
        NodeSession session;
        Recorder rec(session);
        session.startSsh(s);
        QTRY_VERIFY_WITH_TIMEOUT(session.sshState() == SshLink::State::Lost, upTimeout);
        QVERIFY(!session.sshWasUp());
        QVERIFY(!rec.sshStates.contains(SshLink::State::Up));
    }

private:
    static QByteArray shellQuote(const QString &s)
    {
        QByteArray out = "'";
        for (const char c : s.toUtf8())
            out += c == '\'' ? QByteArray("'\\''") : QByteArray(1, c);
        return out + "'";
    }
    SshSettings sshSettings(const QString &knownHosts, SshSettings::UnknownHostKey policy)
    {
        SshSettings s;
        s.host = QStringLiteral("127.0.0.1");
        s.port = m_sshd.port();
        s.user = QStringLiteral("root");
        s.identityFiles = {m_sshd.path(QStringLiteral("id_client"))};
        s.knownHostsFile = knownHosts.startsWith(QLatin1Char('/')) ? knownHosts : m_sshd.path(knownHosts);
        s.unknownHostKey = policy;
        return s;
    }

    QTemporaryDir m_dir;
    QByteArray m_seed;
    SshdFixture m_sshd;
};

QTEST_GUILESS_MAIN(TestNodeSession)
#include "tst_nodesession.moc"
