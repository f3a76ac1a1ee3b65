// DuplicateReports on reports the real detector finds in a real capture (the x86_64 unload_race
// panic from the virtual node): the copy of a report on a second source is one report; the
// same report again on the same source is a repeat; each report pairs once per other source.
#include "report/duplicatereports.h"
#include "report/reportdetector.h"
#include "reportcapture.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

using namespace kms;

using reportcapture::detect;

class TestDuplicateReports : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void detectorKeepsTheFirstLinesTimestamp()
    {
        const QByteArray log = reportcapture::unloadRace();
        QVERIFY(!log.isEmpty());
        const QList<KernelReport> reports = detect(log, QStringLiteral("serial"));
        QVERIFY(!reports.isEmpty());
        const QList<QByteArray> lines = log.split('\n');
        static const QRegularExpression stamp(QStringLiteral("^\\[\\s*(\\d+\\.\\d+)\\]"));
        for (const KernelReport &r : reports) {
            const auto m = stamp.match(QString::fromUtf8(lines[r.firstLine - 1]));
            QVERIFY(m.hasMatch());
            QVERIFY(r.timestamp.has_value());
            QCOMPARE(QString::number(*r.timestamp, 'f', 6), m.captured(1));
        }
    }

    void copyOnAnotherSourceIsTheSameReport()
    {
        const QByteArray log = reportcapture::unloadRace();
        const QList<KernelReport> serial = detect(log, QStringLiteral("serial"));
        const QList<KernelReport> ssh = detect(log, QStringLiteral("ssh-dmesg"));
        QCOMPARE(serial.size(), ssh.size());
        DuplicateReports dup;
        int id = 0;
        QList<int> ids;
        for (const KernelReport &r : serial) {
            ids.append(++id);
            QCOMPARE(dup.match(id, r, 1000), -1);
        }
        for (qsizetype i = 0; i < ssh.size(); ++i)
            QCOMPARE(dup.match(++id, ssh[i], 1500), ids[i]);
    }

    void repeatOnTheSameSourceIsNewAndPairsOnce()
    {
        const KernelReport r = detect(reportcapture::unloadRace(), QStringLiteral("serial")).first();
        KernelReport copy = r;
        copy.source = QStringLiteral("ssh-dmesg");
        DuplicateReports dup;
        QCOMPARE(dup.match(1, r, 0), -1);
        QCOMPARE(dup.match(2, r, 10), -1); // the same printout again on serial: a repeat
        QCOMPARE(dup.match(3, copy, 20), 1); // ssh's copies pair with each in turn
        QCOMPARE(dup.match(4, copy, 30), 2);
        QCOMPARE(dup.match(5, copy, 40), -1); // a third on ssh has no serial partner left
    }

    void withoutTimestampsTheTextDecides()
    {
        QByteArray bare;
        for (const QByteArray &line : reportcapture::unloadRace().split('\n')) {
            const qsizetype close = line.indexOf("] ");
            bare += (line.startsWith('[') && close > 0 ? line.mid(close + 2) : line) + '\n';
        }
        const QList<KernelReport> serial = detect(bare, QStringLiteral("serial"));
        QVERIFY(!serial.isEmpty());
        QVERIFY(!serial.first().timestamp.has_value());
        KernelReport copy = serial.first();
        copy.source = QStringLiteral("ssh-dmesg");
        KernelReport other = copy;
        other.lines.last() += QStringLiteral(" (a different printout)");
        DuplicateReports dup;
        QCOMPARE(dup.match(1, serial.first(), 0), -1);
        QCOMPARE(dup.match(2, other, 0), -1);
        QCOMPARE(dup.match(3, copy, 0), 1);
    }

    void onlyWithinTheWindow()
    {
        const KernelReport r = detect(reportcapture::unloadRace(), QStringLiteral("serial")).first();
        KernelReport copy = r;
        copy.source = QStringLiteral("ssh-dmesg");
        DuplicateReports dup(5000);
        QCOMPARE(dup.match(1, r, 0), -1);
        QCOMPARE(dup.match(2, copy, 6000), -1);
    }
};

QTEST_GUILESS_MAIN(TestDuplicateReports)
#include "tst_duplicatereports.moc"
