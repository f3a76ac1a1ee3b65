// printk clock -> CLOCK_MONOTONIC: parsing the node command's output, and the fit that follows
// the drift between measurements. The synthetic node has a known offset and drift, so the
// expected values come from the model, not from the code under test.
#include "telemetry/printkclock.h"

#include <QRandomGenerator>
#include <QTest>

using namespace kms::telemetry;

namespace {

// A node whose CLOCK_MONOTONIC = printk + offset0 + drift * printk.
struct Node {
    qint64 offset0;
    double drift; // e.g. 20e-6 for 20 ppm
    qint64 mono(qint64 printk) const { return printk + offset0 + qint64(drift * double(printk)); }
};

ClockMeasurement measure(const Node &n, qint64 printk, qint64 bracketNs, qint64 skewNs = 0)
{
    // The printk stamp lies somewhere in the bracket; skew moves it off the middle.
    const qint64 m = n.mono(printk);
    const qint64 a = m - bracketNs / 2 - skewNs;
    const qint64 b = a + bracketNs;
    return {printk, a + (b - a) / 2 - printk, (b - a + 1) / 2 + 1000};
}

} // namespace

class TstTelemetryClock : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseOutput()
    {
        // As the x86_64 host printed it for this command (kmod/ e2e nodes print the same).
        const QByteArray out = "kms-clock 1 809301305703 809301359478\n"
                               "kms-clock 2 809301400322 809301422461\n"
                               "kms-clock 3 809301442183 809301469131\n"
                               "kms-boot bded0c7f-238c-429a-9926-4ea29d5e234c\n"
                               "[  809.302995] kmodscope-clock test1-1\n"
                               "[  809.303064] kmodscope-clock test1-2\n"
                               "[  809.303108] kmodscope-clock test1-3\n"
                               "[  809.303108] kmodscope-clock other-3\n";
        QString boot, error;
        const auto m = PrintkClock::parseMeasureOutput(out, "test1", &boot, &error);
        QVERIFY2(m, qPrintable(error));
        QCOMPARE(boot, QStringLiteral("bded0c7f-238c-429a-9926-4ea29d5e234c"));
        // Bracket 2 is the narrowest (22139 ns): offset = (400322 + 422461) / 2 - 303064000.
        QCOMPARE(m->printkNs, 809303064000LL);
        QCOMPARE(m->offsetNs, 809301400322LL + (809301422461LL - 809301400322LL) / 2 - 809303064000LL);
        QCOMPARE(m->uncertaintyNs, (809301422461LL - 809301400322LL + 1) / 2 + 1000);
    }

    void parseFailures()
    {
        QString boot, error;
        QVERIFY(!PrintkClock::parseMeasureOutput("", "n", &boot, &error));
        QVERIFY(error.contains(QLatin1String("timer_list")));
        // No timestamp in dmesg (printk.time=0): the marker has no time.
        QVERIFY(!PrintkClock::parseMeasureOutput("kms-clock 1 10 20\nkmodscope-clock n-1\n", "n", &boot, &error));
        QVERIFY(error.contains(QLatin1String("dmesg")));
        // A bracket that runs backwards is not a bracket.
        QVERIFY(!PrintkClock::parseMeasureOutput("kms-clock 1 20 10\n[    1.000000] kmodscope-clock n-1\n", "n", &boot,
                                                 &error));
        // Garbage never crashes.
        QVERIFY(!PrintkClock::parseMeasureOutput("kms-clock x y z\nkms-clock 1\n\xff\xfe", "n", &boot, &error));
        // Readings no clock gives (found by fuzz_telemetry: the printk time overflowed in ns, UBSan):
        // a mangled printk time, a negative or a near-INT64_MAX bracket are not measurements.
        QVERIFY(!PrintkClock::parseMeasureOutput("kms-clock 1 10 20\n[80903173430.64] kmodscope-clock n-1\n", "n",
                                                 &boot, &error));
        QVERIFY(!PrintkClock::parseMeasureOutput("kms-clock 1 -9223372036854775807 9223372036854775807\n"
                                                 "[    1.000000] kmodscope-clock n-1\n",
                                                 "n", &boot, &error));
        QVERIFY(!PrintkClock::parseMeasureOutput("kms-clock 1 9223372036854775806 9223372036854775807\n"
                                                 "[    1.000000] kmodscope-clock n-1\n",
                                                 "n", &boot, &error));
        // ... while a real one still is: uptime 1 s, bracket 1.000 s to 1.000 002 s.
        const auto real = PrintkClock::parseMeasureOutput("kms-clock 1 1000000000 1000002000\n"
                                                          "[    1.000000] kmodscope-clock n-1\n",
                                                          "n", &boot, &error);
        QVERIFY(real);
        QCOMPARE(real->offsetNs, qint64(1000));
        const QByteArray cmd = PrintkClock::measureCommand("abc");
        QVERIFY(cmd.contains("/dev/kmsg") && cmd.contains("/proc/timer_list") && cmd.contains("kmodscope-clock abc-"));
    }

    void singleMeasurementIsTheOffset()
    {
        PrintkClock c;
        QVERIFY(!c.toMonotonic(5));
        const Node n{-1'660'000, 0};
        c.add(QStringLiteral("boot1"), measure(n, 10'000'000'000, 40'000));
        QCOMPARE(*c.toMonotonic(12'000'000'000), 12'000'000'000 - 1'660'000);
        QCOMPARE(c.currentBoot(), QStringLiteral("boot1"));
    }

    void fitFollowsDrift()
    {
        // 30 ppm apart, measured every 30 s with 20-60 us brackets and the stamp anywhere inside.
        const Node n{2'500'000, 30e-6};
        PrintkClock c;
        QRandomGenerator rng(7);
        for (int i = 0; i < 12; ++i) {
            const qint64 p = 100'000'000'000 + qint64(i) * 30'000'000'000;
            const qint64 bracket = 20'000 + qint64(rng.bounded(40'000));
            const qint64 skew = qint64(rng.bounded(int(bracket))) - bracket / 2;
            c.add(QStringLiteral("b"), measure(n, p, bracket, skew / 2));
        }
        // Between measurements and a little beyond the last one, within the brackets' size.
        for (qint64 p : {110'000'000'000LL, 250'000'000'000LL, 431'000'000'000LL, 460'000'000'000LL}) {
            const qint64 err = *c.toMonotonic(p) - n.mono(p);
            QVERIFY2(std::llabs(err) < 30'000, qPrintable(QStringLiteral("p=%1 err=%2").arg(p).arg(err)));
        }
        // Without the fit (the last offset alone) the error 5 min later would be 30 ppm * 300 s = 9 ms.
        // 30 s beyond the last measurement: what the fit cannot know is allowed for (50 ppm).
        const auto e = c.estimate(460'000'000'000);
        QVERIFY(e && e->uncertaintyNs >= 1'500'000 && e->uncertaintyNs < 1'600'000);
        QVERIFY(std::llabs(*c.toMonotonic(460'000'000'000) - n.mono(460'000'000'000)) < e->uncertaintyNs);
        // A single measurement knows no drift: 500 ppm of the distance.
        PrintkClock one;
        one.add(QString(), {100'000'000'000, 5, 1000});
        QCOMPARE(one.estimate(110'000'000'000)->uncertaintyNs, 1000 + 5'000'000);
    }

    void keepsABoundedWindow()
    {
        PrintkClock c;
        const Node n{0, 10e-6};
        for (int i = 0; i < 100; ++i)
            c.add(QString(), measure(n, qint64(i + 1) * 1'000'000'000, 10'000));
        QCOMPARE(c.measurements().size(), PrintkClock::keepMeasurements);
    }

    void bootsKeptApart()
    {
        PrintkClock c;
        const Node before{5'000'000, 0}, after{-3'000'000, 0};
        c.add(QStringLiteral("old"), measure(before, 50'000'000'000, 10'000));
        c.add(QStringLiteral("new"), measure(after, 2'000'000'000, 10'000));
        // A report printed before the reboot is placed with the old boot's clock.
        QCOMPARE(*c.toMonotonic(51'000'000'000, QStringLiteral("old")), before.mono(51'000'000'000));
        QCOMPARE(*c.toMonotonic(3'000'000'000), after.mono(3'000'000'000));
        QVERIFY(!c.toMonotonic(1, QStringLiteral("never")));
        // No boot id (unreadable): a printk time going back starts the list over.
        PrintkClock d;
        d.add(QString(), measure(before, 50'000'000'000, 10'000));
        d.add(QString(), measure(after, 2'000'000'000, 10'000));
        QCOMPARE(d.measurements().size(), 1);
        QCOMPARE(*d.toMonotonic(3'000'000'000), after.mono(3'000'000'000));
    }

    void absurdSlopeClamped()
    {
        // Two bad measurements close together must not extrapolate into nonsense.
        PrintkClock c;
        c.add(QString(), {10'000'000'000, 0, 1000});
        c.add(QString(), {16'000'000'000, 60'000'000, 1000}); // 10000 ppm: not a clock
        const qint64 p = 1'016'000'000'000;
        const qint64 offset = *c.toMonotonic(p) - p;
        // Clamped to 1000 ppm: at most 1 ms per second beyond the last measurement (not 10 ms).
        QVERIFY(offset <= 60'000'000 + (p - 16'000'000'000) / 1000 + 1'000'000);
        QVERIFY(offset > 0);
    }
};

QTEST_GUILESS_MAIN(TstTelemetryClock)
#include "tst_telemetryclock.moc"
