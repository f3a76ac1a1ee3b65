// Reload cycles on the telemetry's time axis (CycleTimeline): the cycle script's marker lines
// (written as cyclescript.sh writes them into /dev/kmsg, read back as the serial console and
// `dmesg -w` print them) become one boundary each at the line's printk time put on the node's
// CLOCK_MONOTONIC; the other console's copy, another run's markers and lines of ours are not
// boundaries; verdicts follow the runner.
#include "cycle/cyclescript.h"
#include "telemetry/cycletimeline.h"

#include <QSignalSpy>
#include <QTest>

using namespace kms;
using namespace kms::telemetry;

namespace {

LogLine line(const QByteArray &text, const QString &source = QStringLiteral("serial"), quint8 flags = 0)
{
    return LogLine{hostTimeNowNs(), source, text, flags};
}

// Cycle n's four marker lines as the console prints them, 10 ms apart, 40 ms a cycle.
QList<LogLine> cycleLines(int n, const QString &source = QStringLiteral("serial"))
{
    QList<LogLine> lines;
    const char *kinds[] = {"begin", "loaded", "unloaded", "end"};
    for (int k = 0; k < 4; ++k) {
        const double s = 100.0 + n * 0.04 + k * 0.01;
        QByteArray text = QByteArray::number(s, 'f', 6).rightJustified(12, ' ');
        text = "[" + text + "] kmodscope: cycle " + QByteArray::number(n) + ' ' + kinds[k] + " run=ab12";
        if (k == 1)
            text += " .text=0xffffffffc0a00000";
        lines.append(line(text, source));
    }
    return lines;
}

} // namespace

class TestTelemetryCycles : public QObject
{
    Q_OBJECT
private slots:
    void scriptWritesTheMarkersTheTimelineReads()
    {
        // The node side: the script's own kmsg lines, so a renamed marker breaks this test.
        const QByteArray script = cycleScriptText();
        QVERIFY(script.contains("kmsg() { [ \"$mark\" != 1 ] || echo \"<5>kmodscope: $1\" >\"$R/dev/kmsg\""));
        for (const char *kind : {"begin", "unloaded", "end"})
            QVERIFY2(script.contains(QByteArray("kmsg \"cycle $n ") + kind + " run=$token\""), kind);
        // The loaded marker goes out through the kept awk helper's queue with the sections.
        QVERIFY(script.contains("Mkmodscope: cycle $n loaded run=$token$NL"));
    }

    void markersBecomeBoundariesOnNodeTime()
    {
        CycleTimeline t;
        // printk runs 1.5 ms behind CLOCK_MONOTONIC on this "node".
        t.setClock([](double s) { return std::optional<qint64>(qint64(std::llround(s * 1e9)) + 1'500'000); });
        QSignalSpy boundaries(&t, &CycleTimeline::boundary);
        QSignalSpy runs(&t, &CycleTimeline::runChanged);
        t.feed({line("[   10.000000] kmodscope: cycle 1 begin run=ab12")}); // no run yet: not taken
        QCOMPARE(boundaries.size(), 0);
        t.setRunToken(QStringLiteral("ab12"));
        QCOMPARE(runs.size(), 1);
        t.feed({
            line("[   10.000000] kmodscope: cycle 1 begin run=ab12\r"),
            line("[   10.010000] kmodscope: cycle 1 begin run=other"), // another run's
            line("[   10.011000] kmodscope: cycle 1 begin run=ab123"), // a token that starts with ours
            line("vnode:/# \x1b[6n[   10.020000] kmodscope: cycle 1 loaded run=ab12 .text=0xffffffffc0a00000 "
                 ".init.text=0xffffffffc0a05000"),
            line("[   10.030000] kmodscope: cycle 1 unloaded run=ab12"),
            line("kmodscope: cycle 1 end run=ab12"), // no kernel time: nowhere on the axis
            line("[   10.040000] kmodscope: cycle 1 end run=ab12"),
            line("[   10.050000] kmodscope: cycle 2 begin run=ab12", QStringLiteral("cycle"), LogLine::Event),
            line("[   10.060000] kmodscope: cycle x begin run=ab12"),
            line("[   10.070000] kmodscope: cycle 2 reloaded run=ab12"),
        });
        QCOMPARE(boundaries.size(), 4);
        const QList<CycleBoundary> &b = t.boundaries();
        QVERIFY(b[0].kind == CycleBoundary::Kind::Begin);
        QVERIFY(b[1].kind == CycleBoundary::Kind::Loaded);
        QVERIFY(b[2].kind == CycleBoundary::Kind::Unloaded);
        QVERIFY(b[3].kind == CycleBoundary::Kind::End);
        for (const CycleBoundary &x : b)
            QCOMPARE(x.cycle, 1);
        QCOMPARE(b[0].tNs, 10'001'500'000);
        QCOMPARE(b[1].tNs, 10'021'500'000);
        QCOMPARE(b[2].tNs, 10'031'500'000);
        QCOMPARE(b[3].printkS, 10.04);

        // `dmesg -w` brings the same lines later: not twice.
        t.feed({line("[   10.000000] kmodscope: cycle 1 begin run=ab12", QStringLiteral("ssh-dmesg")),
                line("[   10.050000] kmodscope: cycle 2 begin run=ab12", QStringLiteral("ssh-dmesg"))});
        QCOMPARE(boundaries.size(), 5);
        QCOMPARE(t.boundaries().last().cycle, 2);
        QCOMPARE(t.boundaries().last().tNs, 10'051'500'000);

        // A new run forgets this one's boundaries and verdicts.
        t.setVerdict(1, Verdict::Pass);
        QVERIFY(t.verdictOf(1) == Verdict::Pass);
        t.setRunToken(QStringLiteral("cd34"));
        QCOMPARE(runs.size(), 2);
        QVERIFY(t.boundaries().isEmpty());
        QVERIFY(!t.verdictOf(1));
    }

    void withoutAClockPrintkTimeIsTheAxis()
    {
        CycleTimeline t;
        t.setRunToken(QStringLiteral("ab12"));
        t.setClock([](double) { return std::optional<qint64>(); }); // not measured yet
        t.feed({line("[  858.123456] kmodscope: cycle 7 begin run=ab12")});
        QCOMPARE(t.boundaries().size(), 1);
        QCOMPARE(t.boundaries().first().tNs, 858'123'456'000);
    }

    void verdictsAreSignalledOnChangeOnly()
    {
        CycleTimeline t;
        t.setRunToken(QStringLiteral("ab12"));
        QSignalSpy verdicts(&t, &CycleTimeline::verdictChanged);
        t.setVerdict(3, Verdict::Pass);
        t.setVerdict(3, Verdict::Pass); // cycleUpdated without a change
        t.setVerdict(3, Verdict::Crash); // a late report
        QCOMPARE(verdicts.size(), 2);
        QCOMPARE(verdicts.last().at(0).toInt(), 3);
        QVERIFY(verdicts.last().at(1).value<Verdict>() == Verdict::Crash);
    }

    void onlyTheNewestCyclesAreHeld()
    {
        // A long run: memory must not grow with the cycle count. The newest cycles stay.
        CycleTimeline t;
        t.setRunToken(QStringLiteral("ab12"));
        t.setMaxCycles(100);
        QSignalSpy boundaries(&t, &CycleTimeline::boundary);
        QSignalSpy verdicts(&t, &CycleTimeline::verdictChanged);
        for (int n = 1; n <= 1000; ++n) {
            t.feed(cycleLines(n));
            t.setVerdict(n, n % 7 ? Verdict::Pass : Verdict::Crash);
            t.feed(cycleLines(n, QStringLiteral("ssh-dmesg"))); // the other console's copy
        }
        QCOMPARE(boundaries.size(), 4000); // every boundary was signalled once
        QCOMPARE(t.boundaries().size(), 400);
        QCOMPARE(t.boundaries().first().cycle, 901);
        QVERIFY(t.boundaries().first().kind == CycleBoundary::Kind::Begin);
        QCOMPARE(t.boundaries().first().printkS, 100.0 + 901 * 0.04);
        QCOMPARE(t.boundaries().last().cycle, 1000);
        QVERIFY(t.boundaries().last().kind == CycleBoundary::Kind::End);
        QVERIFY(t.verdictOf(903) == Verdict::Crash);
        QVERIFY(t.verdictOf(1000) == Verdict::Pass);
        QVERIFY(!t.verdictOf(900));

        // A forgotten cycle's late copy is not a boundary again; its late verdict is still
        // signalled (a plot may show it) but not held.
        t.feed(cycleLines(5, QStringLiteral("ssh-dmesg")));
        QCOMPARE(boundaries.size(), 4000);
        QCOMPARE(t.boundaries().size(), 400);
        const qsizetype before = verdicts.size();
        t.setVerdict(5, Verdict::Crash);
        QCOMPARE(verdicts.size(), before + 1);
        QVERIFY(!t.verdictOf(5));

        // A smaller bound drops the older cycles at once.
        t.setMaxCycles(10);
        QCOMPARE(t.boundaries().size(), 40);
        QCOMPARE(t.boundaries().first().cycle, 991);
        QVERIFY(!t.verdictOf(990));
        QVERIFY(t.verdictOf(994) == Verdict::Crash);
    }

    void theDefaultBoundHoldsWhatThePlotDraws()
    {
        CycleTimeline t;
        t.setRunToken(QStringLiteral("ab12"));
        QCOMPARE(t.maxCycles(), CycleTimeline::DefaultMaxCycles);
        const int cycles = CycleTimeline::DefaultMaxCycles + 50;
        for (int n = 1; n <= cycles; ++n)
            t.feed(cycleLines(n));
        QCOMPARE(t.boundaries().size(), qsizetype(CycleTimeline::DefaultMaxCycles) * 4);
        QCOMPARE(t.boundaries().first().cycle, 51);
        QCOMPARE(t.boundaries().last().cycle, cycles);
    }
};

QTEST_MAIN(TestTelemetryCycles)
#include "tst_telemetrycycles.moc"
