// TelemetryHub against a real OpenSSH sshd on 127.0.0.1 (sshdfixture.h): a stream source on a
// FIFO (garbage counted, a dropped link and an ended stream are gaps), a poll source stamped
// with CLOCK_MONOTONIC read on the "node" (this host: the test's own clock_gettime brackets it),
// and a regex source over the node's real kernel log whose printk stamps must land on
// CLOCK_MONOTONIC (markers written to /dev/kmsg between two clock_gettime calls of the test).
#include "sshdfixture.h"

#include "link/sshlink.h"
#include "node/nodesession.h"
#include "telemetry/telemetryhub.h"

#include <QSignalSpy>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

using namespace kms;
using namespace kms::telemetry;

namespace {

qint64 monotonicNs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Collector {
    QList<TelemetrySet> sets;
    QList<TelemetryGap> gaps;
    QList<TelemetryAlarm> alarms;
    int batches = 0;
    explicit Collector(TelemetryHub &hub)
    {
        QObject::connect(&hub, &TelemetryHub::samples, &hub, [this](const QList<TelemetrySet> &s) {
            sets.append(s);
            ++batches;
        });
        QObject::connect(&hub, &TelemetryHub::gap, &hub, [this](const TelemetryGap &g) { gaps.append(g); });
        QObject::connect(&hub, &TelemetryHub::alarm, &hub, [this](const TelemetryAlarm &a) { alarms.append(a); });
    }
};

bool writeAll(int fd, const QByteArray &data)
{
    return ::write(fd, data.constData(), size_t(data.size())) == data.size();
}

} // namespace

class TestTelemetrySsh : public QObject
{
    Q_OBJECT

    SshSettings settings()
    {
        SshSettings s;
        s.host = QStringLiteral("node");
        const QString knownHosts = m_sshd.path(QStringLiteral("known_hosts"));
        s.configFile = m_sshd.writeClientConfig(QStringLiteral("client_config"),
                                                m_sshd.path(QStringLiteral("id_client")), knownHosts);
        s.unknownHostKey = SshSettings::UnknownHostKey::Accept;
        s.reconnectMaxDelayMs = 500;
        s.streamRestartDelayMs = 300;
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("SSH_AUTH_SOCK");
        QVERIFY(m_sshd.setUp());
        QVERIFY(m_sshd.start());
    }

    void streamSourceCountsGarbageAndBreaksAtGaps()
    {
        const QString fifo = m_sshd.path(QStringLiteral("telemetry.fifo"));
        QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
        // Held open read-write: the node's cat never sees EOF while we hold it.
        int fd = ::open(fifo.toLocal8Bit().constData(), O_RDWR | O_CLOEXEC);
        QVERIFY(fd >= 0);
        SshLink link(settings());
        TelemetryHub hub;
        hub.setSources({*TelemetrySourceSpec::parse(QStringLiteral("stream:") + fifo)});
        Collector c(hub);
        hub.start(&link);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(link.state() == SshLink::State::Up, 20000);
        QTest::qWait(300); // the stream's cat has the FIFO open
        QByteArray text;
        for (int i = 1; i <= 200; ++i)
            text += "t_ns=" + QByteArray::number(i * 1000) + " buf0_fill_n=" + QByteArray::number(i % 50)
                + " buf0_cap_n=50 sync_err_ns=-" + QByteArray::number(i) + "\n";
        text += "complete garbage \xff\xfe\n"; // 3 bad tokens, garbage
        text += "t_ns=100 buf0_fill_n=1\n"; // backwards
        text += "buf0_fill_n=1\n"; // no t_ns
        text += "t_ns=300000 buf0_fill_n=abc sync_err_ns=5\n"; // one bad value
        QVERIFY(writeAll(fd, text));
        QTRY_COMPARE_WITH_TIMEOUT(c.sets.size(), 201, 10000);
        QVERIFY2(c.batches < 100, "samples arrive in batches, not one signal per line");
        QCOMPARE(c.sets[0].tNs, 1000);
        QCOMPARE(c.sets[0].values.size(), 3);
        QCOMPARE(c.sets[200].tNs, 300000);
        const TelemetryParseStats st = hub.stats();
        QCOMPARE(st.sets, 201);
        QCOMPARE(st.garbage, 1);
        QCOMPARE(st.badTokens, 3);
        QCOMPARE(st.backwards, 1);
        QCOMPARE(st.missingTime, 1);
        QCOMPARE(st.badValues, 1);
        // Fill reached 49/50 = 98 %: the alarm, at the line's node time.
        QVERIFY(!c.alarms.isEmpty());
        QCOMPARE(c.alarms[0].kind, QStringLiteral("fill"));
        QCOMPARE(c.alarms[0].tNs, 45000);
        QVERIFY(c.gaps.isEmpty());

        // The link drops (sshd and its sessions killed, as a node reboot would): a gap.
        m_sshd.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!c.gaps.isEmpty(), 10000);
        QCOMPARE(c.gaps[0].tNs, 300000);
        QVERIFY2(c.gaps[0].reason.contains(QLatin1String("lost")) || c.gaps[0].reason.contains(QLatin1String("ended")),
                 qPrintable(c.gaps[0].reason));
        QVERIFY(m_sshd.start());
        QTRY_VERIFY_WITH_TIMEOUT(link.state() == SshLink::State::Up, 20000);
        QTest::qWait(1000); // the stream restarts
        // A rebooted node starts its clock over: accepted right after the gap.
        QVERIFY(writeAll(fd, "t_ns=5 buf0_fill_n=1 buf0_cap_n=50\n"));
        QTRY_COMPARE_WITH_TIMEOUT(c.sets.size(), 202, 10000);
        QCOMPARE(c.sets.back().tNs, 5);
        // The stream ends (module unloaded: cat sees EOF): another gap.
        const int gapsBefore = int(c.gaps.size());
        ::close(fd);
        QTRY_VERIFY_WITH_TIMEOUT(c.gaps.size() > gapsBefore, 10000);
        QVERIFY2(c.gaps.back().reason.contains(QLatin1String("ended")), qPrintable(c.gaps.back().reason));
        QCOMPARE(c.gaps.back().tNs, 5);
        hub.stop();
    }

    void pollSourceStampedWithNodeMonotonic()
    {
        const QString fill = m_sshd.path(QStringLiteral("fill_n"));
        const QString stats = m_sshd.path(QStringLiteral("stats"));
        const auto put = [](const QString &path, const QByteArray &data) {
            QFile f(path);
            return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
        };
        QVERIFY(put(fill, "17\n"));
        QVERIFY(put(stats, "t_ns=1 a_total_n=5 b_ns=-3")); // no newline at the end
        SshLink link(settings());
        TelemetryHub hub;
        hub.setSources({*TelemetrySourceSpec::parse(QStringLiteral("poll:%1,%2@50").arg(fill, stats))});
        Collector c(hub);
        const qint64 before = monotonicNs();
        hub.start(&link);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(c.sets.size() >= 5, 20000);
        QVERIFY(put(fill, "18\n"));
        QTRY_VERIFY_WITH_TIMEOUT(c.sets.back().values.value(0).value == 18, 5000);
        const qint64 after = monotonicNs();
        qint64 last = 0;
        for (const TelemetrySet &s : std::as_const(c.sets)) {
            // The node's CLOCK_MONOTONIC from /proc/timer_list, bracketed by ours.
            QVERIFY2(s.tNs > before && s.tNs < after,
                     qPrintable(QStringLiteral("%1 not in %2..%3").arg(s.tNs).arg(before).arg(after)));
            QVERIFY(s.tNs > last);
            last = s.tNs;
            QCOMPARE(s.values.size(), 3);
            QCOMPARE(s.values[0].key, QStringLiteral("fill_n"));
            QCOMPARE(s.values[1].key, QStringLiteral("a_total_n"));
            QCOMPARE(s.values[2].value, -3.0);
        }
        // Polls are one command per batch, at most one in flight: about 20 a second here.
        QVERIFY(c.sets.size() < (after - before) / 40'000'000 + 2);
        // Every file gone (module unloaded): a gap, then data again when they are back.
        QFile::remove(fill);
        QFile::remove(stats);
        QTRY_VERIFY_WITH_TIMEOUT(!c.gaps.isEmpty(), 5000);
        QVERIFY2(c.gaps[0].reason.contains(QLatin1String("unreadable")), qPrintable(c.gaps[0].reason));
        const qsizetype n = c.sets.size();
        QVERIFY(put(fill, "1\n"));
        QTRY_VERIFY_WITH_TIMEOUT(c.sets.size() > n, 5000);
        QCOMPARE(c.sets.back().values.size(), 1);
        hub.stop();
    }

    void regexSourceOnTheKernelLogLandsOnMonotonic()
    {
        const QByteArray nonce = QByteArray::number(monotonicNs(), 36);
        SshLink link(settings());
        TelemetryHub hub;
        hub.setSources({*TelemetrySourceSpec::parse(
            QStringLiteral("regex:kmstest-%1 sync err (?<sync_err_ns>-?\\d+) ns").arg(QString::fromLatin1(nonce)))});
        Collector c(hub);
        QSignalSpy measured(&hub, &TelemetryHub::clockMeasured);
        QSignalSpy failed(&hub, &TelemetryHub::clockFailed);
        hub.start(&link);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(measured.size() + failed.size() > 0, 20000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
        const ClockMeasurement m = measured[0][1].value<ClockMeasurement>();
        QVERIFY2(m.uncertaintyNs < 5'000'000, qPrintable(QString::number(m.uncertaintyNs)));
        // Markers bracketed by our CLOCK_MONOTONIC: printk stamps each inside its bracket.
        QList<std::pair<qint64, qint64>> brackets;
        {
            QFile kmsg(QStringLiteral("/dev/kmsg"));
            QVERIFY(kmsg.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
            for (int i = 0; i < 5; ++i) {
                const QByteArray line = "<7>kmstest-" + nonce + " sync err " + QByteArray::number(-100 * i) + " ns\n";
                const qint64 a = monotonicNs();
                QCOMPARE(kmsg.write(line), line.size());
                brackets.append({a, monotonicNs()});
                QTest::qWait(20);
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(c.sets.size(), 5, 10000);
        const qint64 tol = m.uncertaintyNs + 2000; // the estimate's own bracket, printk's 1 us
        for (int i = 0; i < 5; ++i) {
            const TelemetrySet &s = c.sets[i];
            QCOMPARE(s.values.size(), 1);
            QCOMPARE(s.values[0].key, QStringLiteral("sync_err_ns"));
            QCOMPARE(s.values[0].value, -100.0 * i);
            QVERIFY2(s.tNs >= brackets[i].first - tol && s.tNs <= brackets[i].second + tol,
                     qPrintable(QStringLiteral("set %1 at %2, written in %3..%4 (tol %5)")
                                    .arg(i)
                                    .arg(s.tNs)
                                    .arg(brackets[i].first)
                                    .arg(brackets[i].second)
                                    .arg(tol)));
        }
        // A report's printk time maps the same way.
        QVERIFY(hub.nodeTimeOfPrintk(100.0).has_value());
        hub.stop();
    }

    void fedThroughTheNodeSession()
    {
        // As the desktop app and the CLI run it: sources over the session's SSH link, regex
        // sources on the session's kernel-log lines, alarms back into the session's lines.
        const QByteArray nonce = QByteArray::number(monotonicNs(), 36);
        NodeSession session;
        TelemetryHub hub;
        hub.setSources({*TelemetrySourceSpec::parse(
            QStringLiteral("regex:kmstest2-%1 fill (?<q_fill_pct>\\d+)").arg(QString::fromLatin1(nonce)))});
        hub.attach(&session);
        Collector c(hub);
        QList<LogLine> sessionLines;
        connect(&session, &NodeSession::linesReceived, &session,
                [&](quint64, const QList<LogLine> &lines) { sessionLines.append(lines); });
        QSignalSpy measured(&hub, &TelemetryHub::clockMeasured);
        session.startSsh(settings());
        QTRY_VERIFY_WITH_TIMEOUT(!measured.isEmpty(), 20000);
        QVERIFY(hub.isRunning());
        const auto writeKmsg = [](const QByteArray &line) {
            QFile kmsg(QStringLiteral("/dev/kmsg"));
            return kmsg.open(QIODevice::WriteOnly | QIODevice::Unbuffered) && kmsg.write(line) == line.size();
        };
        QVERIFY(writeKmsg("<7>kmstest2-" + nonce + " fill 95\n"));
        QTRY_COMPARE_WITH_TIMEOUT(c.sets.size(), 1, 10000);
        QCOMPARE(c.sets[0].values[0].value, 95.0);
        QCOMPARE(c.alarms.size(), 1);
        // The alarm is a line of the session (console, session log), an event of ours.
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(sessionLines.cbegin(), sessionLines.cend(),
                                             [](const LogLine &l) {
                                                 return l.source == QLatin1String("telemetry")
                                                     && (l.flags & LogLine::Event) && l.text.contains("q fill 95");
                                             }),
                                 5000);
        // A new link (the user reconnects): the hub follows it.
        session.startSsh(settings());
        QTRY_VERIFY_WITH_TIMEOUT(measured.size() >= 2, 20000);
        QVERIFY(writeKmsg("<7>kmstest2-" + nonce + " fill 10\n"));
        QTRY_VERIFY_WITH_TIMEOUT(!c.sets.isEmpty() && c.sets.back().values[0].value == 10.0, 10000);
        session.stopSsh();
        QVERIFY(!hub.isRunning());
    }

    void cliRecordsCsv()
    {
        // `kmodscope-cli telemetry` (the contract in docs/cli.md) on the same hub.
        const QString cli = QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli");
        const QString fill = m_sshd.path(QStringLiteral("cli_fill_n"));
        QFile f(fill);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("42\n");
        f.close();
        const QString csv = m_sshd.path(QStringLiteral("out.csv"));
        const QString events = m_sshd.path(QStringLiteral("events.jsonl"));
        const SshSettings s = settings();
        QProcess p;
        p.start(cli,
                {QStringLiteral("telemetry"), QStringLiteral("--ssh"), QStringLiteral("node"),
                 QStringLiteral("--ssh-config"), s.configFile, QStringLiteral("--accept-new"),
                 QStringLiteral("--source"), QStringLiteral("poll:%1@50").arg(fill), QStringLiteral("--duration"),
                 QStringLiteral("2"), QStringLiteral("--csv"), csv, QStringLiteral("--events"), events});
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QFile out(csv);
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QList<QByteArray> rows = out.readAll().split('\n');
        QCOMPARE(rows[0], QByteArray("t_ns,cli_fill_n"));
        QVERIFY2(rows.size() > 10, qPrintable(QString::number(rows.size())));
        QVERIFY(rows[1].endsWith(",42"));
        QFile ev(events);
        QVERIFY(ev.open(QIODevice::ReadOnly));
        const QByteArray evText = ev.readAll();
        QVERIFY2(evText.contains("\"type\":\"clock\"") && evText.contains("\"type\":\"stats\""), evText.constData());
        // Bad usage: 2, and nothing recorded.
        p.start(cli,
                {QStringLiteral("telemetry"), QStringLiteral("--ssh"), QStringLiteral("node"),
                 QStringLiteral("--source"), QStringLiteral("poll:/x@1")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("interval"));
    }

private:
    SshdFixture m_sshd;
};

QTEST_GUILESS_MAIN(TestTelemetrySsh)
#include "tst_telemetry_ssh.moc"
