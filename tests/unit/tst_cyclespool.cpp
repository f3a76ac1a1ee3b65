// The run's cycles on disk (CycleSpool) and what CycleHistory keeps of them in memory: real files
// in a temporary directory; a crash cycle whose report is the detector's parse of a real capture
// from the virtual node (tests/data/captures) round-trips through the spool unchanged; a spool
// directory that cannot be created and a file that cannot grow (RLIMIT_FSIZE, as a full disk
// does) give a clear error and lose nothing already written.
#include "cycle/cycleconsole.h"
#include "cycle/cyclehistory.h"
#include "cycle/cyclespool.h"
#include "report/reportdetector.h"
#include "report/reportformatter.h"
#include "report/reportjson.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/resource.h>

using namespace kms;

namespace {

KernelReport capturedOops()
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/captures/x86_64-prudaq-unload_race.log"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no capture");
    QList<KernelReport> out;
    ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
    for (const QByteArray &line : f.readAll().split('\n'))
        d.feedLine(line);
    d.finish();
    if (out.isEmpty())
        qFatal("capture: no report");
    return out.first();
}

CycleResult passCycle(int n, qint64 slabKb = 15000)
{
    CycleResult c;
    c.n = n;
    c.stepMs = {{QStringLiteral("load"), 20.5}, {QStringLiteral("unload"), 10.25}, {QStringLiteral("total"), 40.0}};
    c.load.sections = {{QStringLiteral(".text"), 0xffffffffc0a00000ULL + quint64(n % 3) * 0x10000},
                       {QStringLiteral(".data"), 0xffffffffc0a08000ULL}};
    c.load.buildId = QStringLiteral("000102030405060708090a0b0c0d0e0f10111213");
    c.unloaded.slabKb = slabKb;
    c.startedNs = 1000000000LL * n;
    c.finishedNs = c.startedNs + 123456789;
    c.complete = true;
    return c;
}

// Section names on the heap, each its own, as parsed from the node's output.
CycleResult parsedNames(CycleResult c)
{
    for (auto &section : c.load.sections)
        section.first = QString::fromUtf8(section.first.toUtf8());
    return c;
}

CycleResult crashCycle(int n, const KernelReport &oops)
{
    CycleResult c = passCycle(n);
    c.reports = {oops};
    c.addFinding({Verdict::Crash, QStringLiteral("oops"), oops.title, QStringLiteral("unload"), oops.lines.mid(0, 3)});
    return c;
}

QList<QByteArray> fileLines(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = f.readAll().split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

// The process may not write files past `bytes` until the guard goes (SIGXFSZ ignored: the
// write fails with EFBIG, as on a full disk it fails with ENOSPC).
struct FileSizeLimit {
    rlimit saved{};
    explicit FileSizeLimit(rlim_t bytes)
    {
        ::signal(SIGXFSZ, SIG_IGN);
        ::getrlimit(RLIMIT_FSIZE, &saved);
        rlimit limit = saved;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit()
    {
        ::setrlimit(RLIMIT_FSIZE, &saved);
        ::signal(SIGXFSZ, SIG_DFL);
    }
};

} // namespace

class TestCycleSpool : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void linesOnDiskAndTheLastVersionWins()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("deep/er/run.jsonl")); // directories made
        CycleSpool spool;
        QString error;
        QVERIFY2(spool.open(path, true, &error), qPrintable(error));
        for (int n = 1; n <= 3; ++n)
            QVERIFY(spool.append(n, toJson(passCycle(n)), &error));
        // Cycle 2 changes after it finished (a late report): appended, and it is what is read.
        CycleResult late = passCycle(2);
        late.addFinding({Verdict::Warning, QStringLiteral("warning"), QStringLiteral("late"), {}, {}});
        QVERIFY(spool.append(2, toJson(late), &error));

        const QList<QByteArray> lines = fileLines(path);
        QCOMPARE(lines.size(), 4); // one line per version, flushed as written
        for (const QByteArray &line : lines)
            QVERIFY(QJsonDocument::fromJson(line).isObject());
        QCOMPARE(spool.count(), 3);
        QCOMPARE(spool.read(2)->value(QStringLiteral("verdict")).toString(), QStringLiteral("warning"));
        QCOMPARE(*spool.read(3), toJson(passCycle(3)));
        QVERIFY(!spool.read(4));
        QList<int> order;
        QVERIFY(spool.forEach([&](int n, const QJsonObject &c) {
            order.append(n);
            QCOMPARE(c.value(QStringLiteral("n")).toInt(), n);
        }));
        QCOMPARE(order, (QList<int>{1, 2, 3}));

        spool.close(); // told to remove it
        QVERIFY(!QFile::exists(path));
        CycleSpool kept;
        QVERIFY(kept.open(path, false, &error));
        QVERIFY(kept.append(1, toJson(passCycle(1)), &error));
        kept.close();
        QCOMPARE(fileLines(path).size(), 1);
    }

    void crashReportSurvivesTheRoundTrip()
    {
        const KernelReport oops = capturedOops();
        QVERIFY(!oops.frames.isEmpty());
        QTemporaryDir dir;
        CycleHistory history;
        QVERIFY(history.begin(dir.filePath(QStringLiteral("run.jsonl")), false));
        for (int n = 1; n <= 300; ++n)
            QVERIFY(history.add(n == 7 ? crashCycle(n, oops) : passCycle(n)));
        // Cycle 7 left memory's recent window long ago, yet is kept (it did not pass) and the
        // spool has it as it was.
        QVERIFY(history.find(7));
        std::optional<QJsonObject> seven;
        QVERIFY(history.forEachJson([&](const QJsonObject &c) {
            if (c.value(QStringLiteral("n")).toInt() == 7)
                seven = c;
        }));
        QVERIFY(seven);
        QCOMPARE(*seven, toJson(crashCycle(7, oops)));
        const QJsonArray reports = seven->value(QStringLiteral("reports")).toArray();
        QCOMPARE(reports.size(), 1);
        const KernelReport back = reportFromJson(reports.first().toObject());
        // What a reader of the report gets is what `--json` gave before the spool (toJson of the
        // report in memory), down to the decoded text.
        QCOMPARE(toJson(back), toJson(reportFromJson(toJson(oops))));
        QCOMPARE(formatReport(back), formatReport(reportFromJson(toJson(oops))));
        QCOMPARE(back.title, oops.title);
        QCOMPARE(back.guiltyFunction, oops.guiltyFunction);
        QCOMPARE(back.frames.size(), oops.frames.size());
        for (qsizetype i = 0; i < oops.frames.size(); ++i)
            QCOMPARE(back.frames[i].function, oops.frames[i].function);
    }

    void memoryKeepsTheRecentAndTheFailing()
    {
        QTemporaryDir dir;
        CycleHistory history;
        QVERIFY(history.begin(dir.filePath(QStringLiteral("run.jsonl")), false));
        const int total = 2000;
        for (int n = 1; n <= total; ++n) {
            CycleResult c = passCycle(n, 15000 + 8 * n); // Slab grows 8 kB a cycle
            if (n % 10 == 0)
                c.addFinding({Verdict::Warning, QStringLiteral("taint"), QStringLiteral("tainted"), {}, {}});
            QVERIFY(history.add(c));
        }
        QCOMPARE(history.count(), total);
        QCOMPARE(history.totals().byVerdict.value(Verdict::Warning), total / 10);
        QCOMPARE(history.totals().byVerdict.value(Verdict::Pass), total - total / 10);
        // The last recentKept whatever they were, and the newest failingKept older failures.
        qsizetype recent = 0, failing = 0;
        for (const CycleResult &c : history.kept()) {
            if (c.n > total - CycleHistory::recentKept) {
                ++recent;
            } else {
                QCOMPARE(toString(c.verdict), toString(Verdict::Warning));
                ++failing;
            }
        }
        QCOMPARE(recent, CycleHistory::recentKept);
        QCOMPARE(failing, qsizetype((total - CycleHistory::recentKept) / 10));
        QVERIFY(!history.find(1));
        QVERIFY(history.find(10));
        // The spool has all of them, in order.
        int seen = 0;
        QVERIFY(
            history.forEachJson([&](const QJsonObject &c) { QCOMPARE(c.value(QStringLiteral("n")).toInt(), ++seen); }));
        QCOMPARE(seen, total);
        // A late report turns a kept pass into a crash: the totals follow.
        CycleResult *last = history.find(total);
        last->addFinding({Verdict::Crash, QStringLiteral("oops"), QStringLiteral("late oops"), {}, {}});
        QVERIFY(history.update(*last));
        QCOMPARE(history.totals().byVerdict.value(Verdict::Crash), 1);
        QCOMPARE(history.totals().cycles, total);
        // The trend over the whole run, from running sums.
        const auto trend = history.slabTrend(4.0);
        QVERIFY(trend);
        QVERIFY2(trend->message.contains(QLatin1String("8.0 kB per cycle over 2000 cycles")),
                 qPrintable(trend->message));
        // Three distinct section sets, each with the newest cycle that had it (before 100: 99, 98, 97).
        const auto loads = history.loads(100);
        QCOMPARE(loads.size(), 3);
        QCOMPARE(loads.at(0).first, 97);
        QCOMPARE(loads.at(2).first, 99);
        QCOMPARE(loads.at(2).second.sections, passCycle(99).load.sections);
        QCOMPARE(history.loads().last().first, total);
    }

    void loadsShareTheirData()
    {
        QTemporaryDir dir;
        CycleHistory history;
        QVERIFY(history.begin(dir.filePath(QStringLiteral("run.jsonl")), false));
        QVERIFY(history.add(parsedNames(passCycle(3))));
        // The same sections again (parsed anew from the node's output): the kept ones' data.
        CycleResult same = passCycle(6);
        history.share(same.load);
        QVERIFY(same.load.sections.isSharedWith(history.find(3)->load.sections));
        QCOMPARE(same.load.sections, passCycle(6).load.sections);
        // Elsewhere: the values are its own, the section names are stored once.
        CycleResult moved = parsedNames(passCycle(4));
        const CycleResult *kept = history.find(3);
        QVERIFY(!std::as_const(moved.load.sections)[0].first.isSharedWith(std::as_const(kept->load.sections)[0].first));
        history.share(moved.load);
        QCOMPARE(moved.load.sections, passCycle(4).load.sections);
        QVERIFY(std::as_const(moved.load.sections)[0].first.isSharedWith(std::as_const(kept->load.sections)[0].first));
    }

    void consoleKeepsTheNewestCycles()
    {
        // Two consoles print every cycle's begin and end markers, as the virtual node's do.
        CycleConsole console;
        console.reset(QStringLiteral("ab12"));
        const int total = 3 * CycleConsole::keptCycles;
        for (int n = 1; n <= total; ++n) {
            for (const char *source : {"serial", "ssh-dmesg"}) {
                const QByteArray t = QByteArray::number(100.0 + n * 0.1, 'f', 6);
                console.feed(QLatin1String(source),
                             {LogLine{0, QLatin1String(source),
                                      "[" + t + "] kmodscope: cycle " + QByteArray::number(n) + " begin run=ab12", 0},
                              LogLine{0, QLatin1String(source),
                                      "[" + t + "] kmodscope: cycle " + QByteArray::number(n) + " end run=ab12", 0}});
            }
        }
        QCOMPARE(console.sourcesThatBegan(total).size(), 2);
        QVERIFY(console.ended(total - CycleConsole::keptCycles + 1, QStringLiteral("serial")));
        QVERIFY(console.sourcesThatBegan(1).isEmpty()); // forgotten
        QVERIFY(!console.ended(total - CycleConsole::keptCycles - 1, QStringLiteral("serial")));
        // A report is still tied to a recent cycle by its kernel time.
        KernelReport report;
        report.source = QStringLiteral("serial");
        report.timestamp = 100.0 + (total - 5) * 0.1 + 0.05;
        QCOMPARE(console.cycleOf(report), total - 5);
    }

    void unwritableSpoolDirectory()
    {
        QTemporaryDir dir;
        // A directory that cannot be made (a file is in the way; permissions do not stop root).
        QFile blocker(dir.filePath(QStringLiteral("file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        CycleSpool spool;
        QString error;
        QVERIFY(!spool.open(dir.filePath(QStringLiteral("file/spool/run.jsonl")), true, &error));
        QVERIFY2(error.contains(dir.filePath(QStringLiteral("file/spool"))), qPrintable(error));
        QVERIFY(!spool.append(1, toJson(passCycle(1)), &error));
        CycleHistory history;
        QVERIFY(!history.begin(dir.filePath(QStringLiteral("file/spool/run.jsonl")), false, &error));
        QVERIFY2(error.contains(QLatin1String("spool")), qPrintable(error));
    }

    void fullDiskLosesNothing()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.jsonl"));
        CycleHistory history;
        QVERIFY(history.begin(path, true));
        QVERIFY(history.add(passCycle(1)));
        const qint64 sizeAfterOne = QFileInfo(path).size();
        QVERIFY(sizeAfterOne > 0);
        QString error;
        {
            FileSizeLimit full(rlim_t(sizeAfterOne + 100)); // part of the next line fits, not all of it
            QVERIFY(!history.add(passCycle(2), &error));
            QVERIFY(!history.add(passCycle(3), &error));
        }
        QVERIFY2(error.contains(QLatin1String("cannot write cycle 3")) && error.contains(path), qPrintable(error));
        // No half line was left behind, and the cycles the disk did not take are still there.
        QCOMPARE(QFileInfo(path).size(), sizeAfterOne);
        QCOMPARE(history.count(), 3);
        QList<int> seen;
        QVERIFY(history.forEachJson([&](const QJsonObject &c) { seen.append(c.value(QStringLiteral("n")).toInt()); }));
        QCOMPARE(seen, (QList<int>{1, 2, 3}));
        // Once the disk has room again, an update of a cycle goes to the spool.
        QVERIFY(history.update(*history.find(2), &error));
        QCOMPARE(fileLines(path).size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestCycleSpool)
#include "tst_cyclespool.moc"
