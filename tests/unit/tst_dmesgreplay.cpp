// DmesgReplayFilter: a restarted `dmesg -w` replays the ring buffer; the replay is dropped, what
// is new after it is kept, and a rebooted node's log is new as a whole.
#include "log/dmesgreplay.h"

#include <QTest>

using namespace kms;

namespace {

LogLine kernel(const QByteArray &text)
{
    return LogLine{0, QStringLiteral("ssh-dmesg"), text, 0};
}

LogLine linkEvent(const QByteArray &text)
{
    return LogLine{0, QStringLiteral("ssh-dmesg"), text, LogLine::Event};
}

QList<QByteArray> texts(const QList<LogLine> &lines)
{
    QList<QByteArray> out;
    for (const LogLine &l : lines)
        out.append(l.text);
    return out;
}

const QList<LogLine> firstBoot = {
    kernel("[    0.000000] Booting Linux on physical CPU 0x0"),
    kernel("[    5.120000] prudaq: loading out-of-tree module taints kernel."),
    kernel("[   42.500000] BUG: kernel NULL pointer dereference, address: 00000000000001c1"),
};

} // namespace

class TestDmesgReplay : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void firstRunPassesEverything()
    {
        DmesgReplayFilter f;
        QCOMPARE(texts(f.filter(firstBoot)), texts(firstBoot));
    }

    void replayAfterStreamEndIsDropped()
    {
        DmesgReplayFilter f;
        f.filter(firstBoot);
        QList<LogLine> again{linkEvent("ssh: stream command ended (exit 0)")};
        again += firstBoot;
        again.append(kernel("[   43.000000] prudaq: new after the restart"));
        const QList<QByteArray> kept = texts(f.filter(again));
        QCOMPARE(
            kept,
            (QList<QByteArray>{"ssh: stream command ended (exit 0)", "[   43.000000] prudaq: new after the restart"}));
    }

    void replayAfterConnectionLossIsDropped()
    {
        DmesgReplayFilter f;
        f.filter(firstBoot);
        f.filter({linkEvent("ssh: connection lost (timeout); the stream restarts when the node is back")});
        // The replay may come in several batches.
        QVERIFY(f.filter({firstBoot[0], firstBoot[1]}).isEmpty());
        QVERIFY(f.filter({firstBoot[2]}).isEmpty());
        QCOMPARE(f.filter({kernel("[   50.000000] later")}).size(), 1);
    }

    void rebootedNodeIsAllNew()
    {
        DmesgReplayFilter f;
        f.filter(firstBoot);
        f.restart();
        const QList<LogLine> secondBoot = {
            kernel("[    0.000000] Linux version 6.1.0 (second boot)"),
            kernel("[    3.000000] prudaq: loaded"),
        };
        QCOMPARE(texts(f.filter(secondBoot)), texts(secondBoot));
    }

    void linesWithoutTimestampAndOurOwnLinesPass()
    {
        DmesgReplayFilter f;
        f.filter(firstBoot);
        f.restart();
        const QList<LogLine> in = {
            firstBoot[0],
            kernel("no timestamp here"),
            LogLine{0, QStringLiteral("ssh-dmesg"), "echo typed", LogLine::Sent},
            firstBoot[1],
        };
        QCOMPARE(texts(f.filter(in)), (QList<QByteArray>{"no timestamp here", "echo typed"}));
    }

    void noRestartNoFilter()
    {
        // Without a restart, an older timestamp (a second log merged in) is not the filter's business.
        DmesgReplayFilter f;
        f.filter(firstBoot);
        QCOMPARE(f.filter({firstBoot[1]}).size(), 1);
    }

    void bootIdTellsARebootWithTheSameFirstLine()
    {
        // The same kernel prints the same first line on every boot: only the boot id differs.
        DmesgReplayFilter f;
        QList<LogLine> boot1{kernel("kmodscope-boot-id 1111-aaaa")};
        boot1 += firstBoot;
        QCOMPARE(texts(f.filter(boot1)), texts(firstBoot)); // the id line is consumed
        // Reconnect, same boot: a replay.
        QList<LogLine> again{linkEvent("ssh: connection lost (eof); the stream restarts when the node is back"),
                             kernel("kmodscope-boot-id 1111-aaaa")};
        again += firstBoot;
        QCOMPARE(f.filter(again).size(), 1); // the event only
        // Reconnect after a panic and reboot: the same first line, all new.
        QList<LogLine> boot2{linkEvent("ssh: connection lost (eof); the stream restarts when the node is back"),
                             kernel("kmodscope-boot-id 2222-bbbb"), firstBoot[0],
                             kernel("[    4.000000] prudaq: loaded again")};
        QCOMPARE(texts(f.filter(boot2)),
                 (QList<QByteArray>{boot2[0].text, firstBoot[0].text, "[    4.000000] prudaq: loaded again"}));
    }

    void defaultCommandFollowsTheLog()
    {
        const QByteArray command = defaultDmesgStreamCommand();
        QVERIFY(command.startsWith(QByteArray("echo \"") + bootIdMarker));
        QVERIFY(command.contains("/proc/sys/kernel/random/boot_id"));
        QVERIFY(command.contains("dmesg -w"));
        QVERIFY(command.contains("/dev/kmsg"));
    }
};

QTEST_GUILESS_MAIN(TestDmesgReplay)
#include "tst_dmesgreplay.moc"
