// SessionReports: a cycle's copy of a report leads to the session's report of the same printing.
// The session is a real NodeSession fed a captured unload_race panic of prudaq (as a link would
// deliver it); the cycle's copy is decoded here from the same text by a ReportDetector of its
// own, as the cycle runner keeps its copies apart from the session's.
#include "node/nodesession.h"
#include "node/sessionreports.h"
#include "reportcapture.h"

#include <QSignalSpy>
#include <QTest>

using namespace kms;
using reportcapture::detect;

namespace {

QList<LogLine> asLines(const QByteArray &text, const QString &source)
{
    QList<LogLine> lines;
    for (const QByteArray &l : text.split('\n'))
        lines.append({hostTimeNowNs(), source, l, 0});
    return lines;
}

// The same text as the node prints it after a reboot: the kernel's clock started again, so the
// report's printing carries other times.
QByteArray afterReboot(const QByteArray &text)
{
    QByteArray out = text;
    return out.replace("[   58.", "[   12.");
}

} // namespace

class TestSessionReports : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cycleCopyLeadsToTheSessionsReport()
    {
        const QByteArray text = reportcapture::unloadRace();
        QVERIFY(!text.isEmpty());
        NodeSession session;
        SessionReports index(&session);
        QSignalSpy detected(&session, &NodeSession::reportDetected);
        session.feedLines(asLines(text, QStringLiteral("serial")));
        session.finishReports();
        QCOMPARE(detected.size(), 1);
        const int id = detected.first().at(0).toInt();

        const QList<KernelReport> copy = detect(text, QStringLiteral("serial"));
        QCOMPARE(copy.size(), 1);
        QCOMPARE(index.idOf(copy), id);
        // Resolving the copy (frames, explanation) does not change which printing it is.
        KernelReport resolved = copy.first();
        resolved.frames.clear();
        resolved.guiltyFunction = QStringLiteral("prudaq_comm_receive_msg");
        QCOMPARE(index.idOf(QList<KernelReport>{resolved}), id);
    }

    void eachBootsPrintingIsItsOwn()
    {
        const QByteArray text = reportcapture::unloadRace();
        NodeSession session;
        SessionReports index(&session);
        QSignalSpy detected(&session, &NodeSession::reportDetected);
        session.feedLines(asLines(text, QStringLiteral("serial")));
        session.finishReports();
        session.feedLines(asLines(afterReboot(text), QStringLiteral("serial")));
        session.finishReports();
        QCOMPARE(detected.size(), 2);
        const int first = detected.at(0).at(0).toInt();
        const int second = detected.at(1).at(0).toInt();
        QVERIFY(first != second);
        QCOMPARE(index.idOf(detect(text, QStringLiteral("serial"))), first);
        QCOMPARE(index.idOf(detect(afterReboot(text), QStringLiteral("serial"))), second);
    }

    void otherSourceOrUnseenIsNone()
    {
        const QByteArray text = reportcapture::unloadRace();
        SessionReports index(nullptr);
        const QList<KernelReport> serial = detect(text, QStringLiteral("serial"));
        QCOMPARE(serial.size(), 1);
        QCOMPARE(index.idOf(serial), -1);
        index.add(7, serial.first());
        QCOMPARE(index.idOf(detect(text, QStringLiteral("ssh-dmesg"))), -1);
        QCOMPARE(index.idOf(QList<KernelReport>{}), -1);
    }

    void firstKnownOfACyclesReports()
    {
        const QList<KernelReport> a = detect(reportcapture::unloadRace(), QStringLiteral("serial"));
        const QList<KernelReport> b = detect(afterReboot(reportcapture::unloadRace()), QStringLiteral("serial"));
        SessionReports index(nullptr);
        index.add(3, b.first());
        QCOMPARE(index.idOf(a + b), 3); // a was never detected by the session
        index.add(2, a.first());
        QCOMPARE(index.idOf(a + b), 2);
    }

    void samePrintingDetectedAgainIsTheNewer()
    {
        const QList<KernelReport> a = detect(reportcapture::unloadRace(), QStringLiteral("serial"));
        SessionReports index(nullptr, nullptr, 2);
        index.add(1, a.first());
        index.add(4, a.first()); // a replayed log: the session counts it again
        QCOMPARE(index.idOf(a), 4);
        // Forgetting the older detection keeps the newer.
        const QList<KernelReport> b = detect(afterReboot(reportcapture::unloadRace()), QStringLiteral("serial"));
        index.add(5, b.first());
        QCOMPARE(index.idOf(a), 4);
        QCOMPARE(index.idOf(b), 5);
    }

    void forgetsBeyondWhatIsKept()
    {
        const QList<KernelReport> a = detect(reportcapture::unloadRace(), QStringLiteral("serial"));
        const QList<KernelReport> b = detect(afterReboot(reportcapture::unloadRace()), QStringLiteral("serial"));
        KernelReport c = b.first();
        c.source = QStringLiteral("ssh-dmesg");
        SessionReports index(nullptr, nullptr, 2);
        index.add(1, a.first());
        index.add(2, b.first());
        index.add(3, c);
        QCOMPARE(index.idOf(a), -1);
        QCOMPARE(index.idOf(b), 2);
        QCOMPARE(index.idOf(QList<KernelReport>{c}), 3);
    }
};

QTEST_MAIN(TestSessionReports)
#include "tst_sessionreports.moc"
