// Foreign lines inside a report: another driver's message, the module's own printk from the
// other CPU, a console without caller ids. Each is inserted at every position of every report
// of the seeds, the node's captures and the format logs; the report must keep its trace (same
// frames, same kind, title and guilty function) and say when its trace was interleaved.
// The foreign lines are real: taken from the seed console of the BeagleBone
// (resources/samples/arm32-reload-cma-alloc-failure.log) and from the virtual node's captures.
#include "report/reportdetector.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace kms;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QList<QByteArray> splitLines(const QByteArray &log)
{
    QList<QByteArray> lines = log.split('\n');
    if (!lines.isEmpty() && lines.back().isEmpty())
        lines.removeLast();
    for (QByteArray &l : lines) {
        if (l.endsWith('\r'))
            l.chop(1);
    }
    return lines;
}

// Foreign message texts (without their timestamp), as printed on the consoles named above.
const char *const foreignTexts[] = {
    "cma: cma_alloc: alloc failed, req-size: 3811 pages, ret: -16",
    "pru-rproc 4a334000.pru: failed to allocate dma memory: len 0xee2800",
    "shprd.k: forwards timestamp-jump detected (sync-loop, 300 ms)",
    "remoteproc remoteproc1: Failed to process resources: -12",
    "prudaq: exit: shared memory unmapped (fault=unload_race), stopping the coordinator next",
};

// "[  58.199806] " of the line it goes after, so that no silence is invented.
QByteArray prefixOf(const QByteArray &line)
{
    if (line.startsWith('[')) {
        const qsizetype close = line.indexOf("] ");
        if (close > 0 && close < 20)
            return line.first(close + 2);
    }
    return {};
}

QStringList frameKeys(const KernelReport &r)
{
    QStringList keys;
    for (const Frame &f : r.frames)
        keys << QStringLiteral("%1+%2 [%3]%4")
                    .arg(f.function, QString::number(f.offset.value_or(0), 16), f.module,
                         f.reliable ? QString() : QStringLiteral("?"));
    return keys;
}

bool endsAtRuleKind(ReportKind k)
{
    return k == ReportKind::Kasan || k == ReportKind::Ubsan || k == ReportKind::Kcsan || k == ReportKind::Lockdep;
}

QStringList inputs()
{
    QStringList files;
    for (const char *name : {"arm32-hrtimer-uaf-unload-panic.log", "x86_64-null-deref-in-exit.log"})
        files << QStringLiteral(KMS_SAMPLES_DIR "/") + QLatin1String(name);
    for (const char *dir : {"/captures", "/formats"}) {
        const QDir d(QStringLiteral(KMS_TEST_DATA_DIR) + QLatin1String(dir));
        for (const QString &f : d.entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name))
            files << d.filePath(f);
    }
    return files;
}

} // namespace

class TestInterleaving : public QObject
{
    Q_OBJECT
private slots:
    void foreignLineAtEveryPosition_data()
    {
        QTest::addColumn<QString>("path");
        for (const QString &path : inputs())
            QTest::newRow(qPrintable(QFileInfo(path).fileName())) << path;
    }

    void foreignLineAtEveryPosition()
    {
        QFETCH(QString, path);
        const QList<QByteArray> lines = splitLines(readFile(path));
        const QList<KernelReport> baseline = detectReports(lines.join('\n') + '\n');
        QVERIFY(!baseline.isEmpty());
        static int checked = 0; // over all inputs: a one-line report has no inside
        int flagged = 0;
        for (const KernelReport &orig : baseline) {
            // Insert before line `at` (1-based), strictly inside the report.
            for (int at = orig.firstLine + 1; at <= orig.lastLine; ++at) {
                const QByteArray &before = lines[at - 2];
                const QByteArray text = foreignTexts[at % std::size(foreignTexts)];
                QList<QByteArray> mixed = lines;
                // Every third one is user space echoing on the UART: no kernel timestamp.
                mixed.insert(at - 1,
                             at % 3 == 0 ? QByteArray("root@beaglebone:~# rmmod prudaq") : prefixOf(before) + text);
                const QList<KernelReport> got = detectReports(mixed.join('\n') + '\n');
                // The same report: it starts where it did (one later if the line went between a
                // "cut here" or "=====" rule and the headline, which then opens it alone).
                const KernelReport *same = nullptr;
                for (const KernelReport &r : got) {
                    if (r.firstLine >= orig.firstLine && r.firstLine <= orig.firstLine + 2 && r.kind == orig.kind) {
                        same = &r;
                        break;
                    }
                }
                const QByteArray where = path.toUtf8() + " report@" + QByteArray::number(orig.firstLine)
                    + " foreign line before line " + QByteArray::number(at);
                QVERIFY2(same, where.constData());
                QVERIFY2(got.size() == baseline.size(), where.constData());
                QCOMPARE(same->title, orig.title);
                QCOMPARE(same->guiltyFunction, orig.guiltyFunction);
                QCOMPARE(same->guiltyModule, orig.guiltyModule);
                if (frameKeys(*same) != frameKeys(orig))
                    QFAIL(where + "\n  got:  " + frameKeys(*same).join(QLatin1String(", ")).toUtf8()
                          + "\n  want: " + frameKeys(orig).join(QLatin1String(", ")).toUtf8());
                // Between two lines of the trace: the report says it was interleaved.
                bool insideTrace = false;
                for (qsizetype i = 0; i + 1 < orig.frames.size(); ++i) {
                    const int a = orig.frames[i].inputLine;
                    const int b = orig.frames[i + 1].inputLine;
                    insideTrace = insideTrace || (b == a + 1 && at == b);
                }
                if (insideTrace && !endsAtRuleKind(orig.kind)) {
                    QVERIFY2(same->interleaved && same->corrupted, where.constData());
                    ++flagged;
                }
                ++checked;
            }
        }
        qInfo("%d insertions so far, %d inside a trace here", checked, flagged);
    }

    void noForeignLineNoFlag()
    {
        for (const QString &path : inputs()) {
            for (const KernelReport &r : detectReports(readFile(path)))
                QVERIFY2(!r.interleaved, qPrintable(path));
        }
    }

    // A run of foreign lines longer than the gap ends a report without an end marker; the
    // lines after it are not its trace.
    void longForeignRunEndsTrace()
    {
        QList<QByteArray> lines{
            "[  240.000000] INFO: task kworker/0:1:45 blocked for more than 120 seconds.",
            "[  240.000005] Call Trace:",
            "[  240.000007]  __schedule+0x34d/0x9e0",
            "[  240.000008]  schedule+0x5a/0xd0",
            "[  240.000010]  wait_for_completion+0x86/0x160",
        };
        for (int i = 0; i < 12; ++i)
            lines << "[  240.000011] " + QByteArray(foreignTexts[i % std::size(foreignTexts)]);
        lines << "[  240.000012]  prudaq_stall_work+0x2c/0x60 [prudaq]";
        const QList<KernelReport> out = detectReports(lines.join('\n') + '\n');
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].frames.size(), 3);
        QCOMPARE(out[0].lastLine, 5);
        QVERIFY(!out[0].interleaved);
    }

    // A short burst inside a hung task's trace (no end marker): the trace goes on after it.
    void shortForeignBurstKeepsTrace()
    {
        const QList<QByteArray> lines{
            "[  240.000000] INFO: task kworker/0:1:45 blocked for more than 120 seconds.",
            "[  240.000005] Call Trace:",
            "[  240.000007]  __schedule+0x34d/0x9e0",
            "[  240.000008]  schedule+0x5a/0xd0",
            "[  240.000009] shprd.k: forwards timestamp-jump detected (sync-loop, 300 ms)",
            "[  240.000009] cma: cma_alloc: alloc failed, req-size: 3811 pages, ret: -16",
            "[  240.000010]  wait_for_completion+0x86/0x160",
            "[  240.000011]  prudaq_stall_work+0x2c/0x60 [prudaq]",
            "[  240.000012]  process_one_work+0x1c7/0x380",
            "[  241.000000] usb 1-1: new device",
        };
        const QList<KernelReport> out = detectReports(lines.join('\n') + '\n');
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].frames.size(), 5);
        QCOMPARE(out[0].guiltyFunction, QStringLiteral("prudaq_stall_work"));
        QVERIFY(out[0].interleaved);
        QCOMPARE(out[0].lastLine, 9);
        QCOMPARE(out[0].lines.size(), 7); // the foreign lines are not the report's
    }
};

QTEST_GUILESS_MAIN(TestInterleaving)
#include "tst_interleaving.moc"
