// The Markdown export of a reload-cycle run (runReportMarkdown), from a run report made of real
// values: the report is the detector's parse of a real x86_64 oops sample, the run report is
// assembled with the same toJson() the runner's runReport() uses.
#include "cycle/cycleconfig.h"
#include "cycle/cyclemarkdown.h"
#include "cycle/cycleresult.h"
#include "report/reportdetector.h"
#include "report/reportformatter.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>

using namespace kms;

namespace {

KernelReport sampleOops()
{
    QFile f(QStringLiteral(KMS_SAMPLES_DIR "/x86_64-null-deref-in-exit.log"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no sample");
    QList<KernelReport> out;
    ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
    for (const QByteArray &line : f.readAll().split('\n'))
        d.feedLine(line);
    d.finish();
    if (out.size() != 1)
        qFatal("sample: %d reports", int(out.size()));
    return out.first();
}

CycleResult passCycle(int n)
{
    CycleResult c;
    c.n = n;
    c.stepMs = {{QStringLiteral("load"), 20.0}, {QStringLiteral("unload"), 10.0}, {QStringLiteral("total"), 40.0}};
    c.slabDeltaKb = 0;
    c.complete = true;
    return c;
}

// A run: pass, crash (the sample oops), leak, as runReport() lays it out.
QJsonObject runReport(const KernelReport &oops, const QString &leakFunction)
{
    CycleRunConfig config;
    config.module = QStringLiteral("hello");
    config.params = {QStringLiteral("fault=null_exit")};
    config.count = 3;
    config.stopOnCrash = false;

    QList<CycleResult> cycles{passCycle(1)};
    CycleResult crash = passCycle(2);
    crash.stepMs[QStringLiteral("total")] = 1234.5;
    crash.reports = {oops};
    crash.addFinding(
        {Verdict::Crash, QStringLiteral("oops"), oops.title, QStringLiteral("unload"), oops.lines.mid(0, 3)});
    crash.addFinding({Verdict::Stuck,
                      QStringLiteral("stuck_going"),
                      QStringLiteral("module left in going"),
                      QStringLiteral("verify_gone"),
                      {}});
    cycles.append(crash);
    CycleResult leak = passCycle(3);
    LeakSite site;
    site.function = leakFunction;
    site.file = QStringLiteral("/src/hello.c");
    site.line = 42;
    site.size = 64;
    site.count = 1;
    site.cache = QStringLiteral("kmalloc-64");
    site.section = QStringLiteral(".text");
    site.offset = 0x1c;
    site.source = QStringLiteral("slab");
    leak.leaks = {site};
    leak.slabDeltaKb = 8;
    leak.addFinding({Verdict::Leak, QStringLiteral("leak"), QStringLiteral("1 allocation of 64 bytes"), {}, {}});
    cycles.append(leak);

    QJsonArray list;
    for (const CycleResult &c : cycles)
        list.append(toJson(c));
    return {{QStringLiteral("module"), config.module},
            {QStringLiteral("config"), config.toJson()},
            {QStringLiteral("node"),
             QJsonObject{{QStringLiteral("kernel_release"), QStringLiteral("6.1.0-57-amd64")},
                         {QStringLiteral("arch"), QStringLiteral("x86_64")}}},
            {QStringLiteral("cycles"), list},
            {QStringLiteral("totals"), toJson(RunTotals::of(cycles))},
            {QStringLiteral("findings"),
             QJsonArray{toJson(Finding{Verdict::Warning,
                                       QStringLiteral("memory_growth"),
                                       QStringLiteral("Slab grows 5.0 kB per cycle"),
                                       {},
                                       {}})}},
            {QStringLiteral("kmemleak"),
             QJsonObject{{QStringLiteral("note"), QStringLiteral("kmemleak: not in this kernel")},
                         {QStringLiteral("leaks"), QJsonArray()}}},
            {QStringLiteral("end"),
             QJsonObject{{QStringLiteral("reason"), toString(RunEnd::Completed)},
                         {QStringLiteral("message"), QStringLiteral("3 cycles")}}}};
}

// The text of the section that starts with `heading` (up to the next heading of its level).
QString section(const QString &md, const QString &heading)
{
    const qsizetype at = md.indexOf(QLatin1Char('\n') + heading + QLatin1Char('\n'));
    if (at < 0)
        return {};
    const QString level = heading.section(QLatin1Char(' '), 0, 0);
    const qsizetype end = md.indexOf(QLatin1Char('\n') + level + QLatin1Char(' '), at + heading.size() + 1);
    return md.mid(at + 1, end < 0 ? -1 : end - at - 1);
}

} // namespace

class TestCycleMarkdown : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void summaryAndTotals()
    {
        const QString md = runReportMarkdown(runReport(sampleOops(), QStringLiteral("hello_init")));
        QVERIFY(md.startsWith(QStringLiteral("# Reload cycles of hello\n")));
        QVERIFY(md.contains(QStringLiteral("`modprobe hello fault=null_exit`")));
        QVERIFY(md.contains(QStringLiteral("6.1.0-57-amd64 (x86_64)")));
        QVERIFY(md.contains(QStringLiteral("continue after a crash")));
        const QString totals = section(md, QStringLiteral("## Totals"));
        QVERIFY2(totals.contains(QStringLiteral("\n3 cycle(s).")), qPrintable(totals));
        for (const char *row : {"| crash | 1 |", "| stuck | 0 |", "| leak | 1 |", "| pass | 1 |"})
            QVERIFY2(totals.contains(QLatin1String(row)), row);
        QVERIFY(section(md, QStringLiteral("## Run findings")).contains(QStringLiteral("Slab grows 5.0 kB per cycle")));
    }

    void failingCyclesCarryTheirFindingsAndDecodedReports()
    {
        const KernelReport oops = sampleOops();
        const QString md = runReportMarkdown(runReport(oops, QStringLiteral("hello_init")));
        const QString failing = section(md, QStringLiteral("## Failing cycles"));
        // The table lists the crash and the leak, not the pass.
        QVERIFY2(failing.contains(QStringLiteral("| 2 | crash | 1234.5 |")), qPrintable(failing));
        QVERIFY(failing.contains(QStringLiteral("| 3 | leak | 40.0 | 8 |")));
        QVERIFY(!failing.contains(QStringLiteral("\n| 1 | ")));
        QVERIFY(!failing.contains(QStringLiteral("### Cycle 1")));

        const QString crash = section(failing, QStringLiteral("### Cycle 2: crash"));
        QVERIFY(crash.contains(QStringLiteral("- **crash** (oops, unload): ") + oops.title));
        QVERIFY(crash.contains(QStringLiteral("- **stuck** (stuck_going, verify_gone): module left in going")));
        QVERIFY(crash.contains(QStringLiteral("#### Report 1: ") + oops.title));
        // The report as the formatter prints it, whole, in a fenced block.
        const QString formatted = formatReport(oops);
        QVERIFY(!formatted.isEmpty());
        // (Up to the registers: the run report's JSON keeps them by name, not in print order.)
        const QString head = formatted.left(formatted.indexOf(QStringLiteral("  registers:")));
        QVERIFY(head.contains(QStringLiteral("hello_exit+0xc/0x1000 [hello]")));
        QVERIFY2(crash.contains(QStringLiteral("```text\n") + head), qPrintable(crash));
        QVERIFY(crash.contains(QStringLiteral("RIP")) || crash.contains(QStringLiteral("RSP    ffffbd14406cbed8")));
        QVERIFY(crash.contains(QStringLiteral("hello_exit")));

        const QString leak = section(failing, QStringLiteral("### Cycle 3: leak"));
        QVERIFY2(leak.contains(QStringLiteral("| hello_init | /src/hello.c:42 | 64 | 1 | kmalloc-64 | slab |")),
                 qPrintable(leak));
    }

    void leakSitesAreListedOnceWithTheirCycles()
    {
        QJsonObject run = runReport(sampleOops(), QStringLiteral("hello_init"));
        // The same site in a second cycle.
        QJsonArray cycles = run.value(QStringLiteral("cycles")).toArray();
        QJsonObject again = cycles[2].toObject();
        again[QStringLiteral("n")] = 4;
        cycles.append(again);
        run[QStringLiteral("cycles")] = cycles;
        const QString md = runReportMarkdown(run);
        const QString sites = section(md, QStringLiteral("## Leak sites"));
        QCOMPARE(sites.count(QStringLiteral("| hello_init |")), 1);
        QVERIFY2(sites.contains(QStringLiteral("| 3, 4 |")), qPrintable(sites));
        QVERIFY(sites.contains(QStringLiteral("kmemleak: not in this kernel.")));
    }

    void cellsAndBlocksCannotBeBrokenByTheirText()
    {
        // A finding with a pipe stays in its cell; a report holding ``` gets a longer fence.
        KernelReport oops = sampleOops();
        oops.title += QStringLiteral(" ```");
        QVERIFY(formatReport(oops).contains(QStringLiteral("```")));
        QJsonObject run = runReport(oops, QStringLiteral("a|b"));
        const QString md = runReportMarkdown(run);
        QVERIFY(md.contains(QStringLiteral("| a\\|b |")));
        QVERIFY(md.contains(QStringLiteral("````text\n")));
        static const QRegularExpression tableRow(QStringLiteral("^\\|.*\\|$"), QRegularExpression::MultilineOption);
        for (auto it = tableRow.globalMatch(md); it.hasNext();) {
            const QString row = it.next().captured(0);
            QVERIFY2(!row.contains(QLatin1Char('\n')), qPrintable(row));
        }
    }

    void aCleanRunSaysSo()
    {
        QList<CycleResult> cycles{passCycle(1), passCycle(2)};
        QJsonArray list;
        for (const CycleResult &c : cycles)
            list.append(toJson(c));
        CycleRunConfig config;
        config.module = QStringLiteral("prudaq");
        config.insmodPath = QStringLiteral("/tmp/prudaq.ko");
        const QString md = runReportMarkdown({{QStringLiteral("module"), config.module},
                                              {QStringLiteral("config"), config.toJson()},
                                              {QStringLiteral("cycles"), list},
                                              {QStringLiteral("totals"), toJson(RunTotals::of(cycles))}});
        QVERIFY(md.contains(QStringLiteral("`insmod /tmp/prudaq.ko`")));
        QVERIFY(section(md, QStringLiteral("## Failing cycles")).contains(QStringLiteral("None: every cycle passed.")));
        QVERIFY(section(md, QStringLiteral("## Leak sites")).contains(QStringLiteral("None found.")));
        QVERIFY(md.contains(QStringLiteral("Cycle time: mean 40.0 ms, max 40.0 ms.")));
    }
};

QTEST_GUILESS_MAIN(TestCycleMarkdown)
#include "tst_cyclemarkdown.moc"
