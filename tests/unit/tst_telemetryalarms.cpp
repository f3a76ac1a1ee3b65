// Alarm rules: fill over a threshold (with the ring's capacity from the same line), sync error
// over a limit in any time unit, timestamp jumps; each with hysteresis.
#include "telemetry/telemetryalarms.h"
#include "telemetry/telemetryparser.h"

#include <QTest>

using namespace kms::telemetry;

namespace {

TelemetrySet line(const QByteArray &text, const QString &source = QStringLiteral("s"))
{
    TelemetryParser p(source);
    TelemetrySet set;
    p.parseLine(text, &set);
    return set;
}

} // namespace

class TstTelemetryAlarms : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fillWithHysteresis()
    {
        TelemetryAlarms a({90, 100'000, true});
        QList<TelemetryAlarm> out;
        a.check(line("t_ns=1 buf0_fill_n=100 buf0_cap_n=4096"), &out);
        QVERIFY(out.isEmpty());
        a.check(line("t_ns=2 buf0_fill_n=3687 buf0_cap_n=4096"), &out); // 90.01 %
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].kind, QStringLiteral("fill"));
        QCOMPARE(out[0].key, QStringLiteral("buf0_fill_n"));
        QCOMPARE(out[0].tNs, 2);
        QVERIFY(std::fabs(out[0].value - 100.0 * 3687 / 4096) < 1e-9);
        QVERIFY(out[0].text.contains(QLatin1String("buf0")) && !out[0].text.contains(u'\n'));
        a.check(line("t_ns=3 buf0_fill_n=4096 buf0_cap_n=4096"), &out); // still raised
        a.check(line("t_ns=4 buf0_fill_n=3400 buf0_cap_n=4096"), &out); // 83 %: not re-armed yet
        a.check(line("t_ns=5 buf0_fill_n=3700 buf0_cap_n=4096"), &out);
        QCOMPARE(out.size(), 1);
        a.check(line("t_ns=6 buf0_fill_n=1000 buf0_cap_n=4096"), &out); // re-armed
        a.check(line("t_ns=7 buf0_fill_n=4096 buf0_cap_n=4096"), &out);
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[1].tNs, 7);
    }

    void capFromEarlierLineAndPct()
    {
        TelemetryAlarms a;
        QList<TelemetryAlarm> out;
        a.check(line("t_ns=1 ring_cap_n=10"), &out);
        a.check(line("t_ns=2 ring_fill_n=10"), &out); // cap remembered per source
        QCOMPARE(out.size(), 1);
        a.check(line("t_ns=3 other_fill_n=10", QStringLiteral("t")), &out); // no cap known: no alarm
        a.check(line("t_ns=4 q_fill_pct=95"), &out);
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[1].key, QStringLiteral("q_fill_pct"));
    }

    void syncErrorUnits()
    {
        TelemetryAlarms a({90, 100'000, true});
        QList<TelemetryAlarm> out;
        a.check(line("t_ns=1 sync_err_ns=-99999"), &out);
        QVERIFY(out.isEmpty());
        a.check(line("t_ns=2 sync_err_ns=-7000000"), &out); // a 7 ms jump
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].kind, QStringLiteral("sync_error"));
        QCOMPARE(out[0].value, -7e6);
        a.check(line("t_ns=3 sync_err_ns=60000"), &out); // above half the limit: stays raised
        a.check(line("t_ns=4 sync_err_ns=200000"), &out);
        QCOMPARE(out.size(), 1);
        a.check(line("t_ns=5 sync_err_ns=100"), &out);
        a.check(line("t_ns=6 sync_err_ns=200000"), &out);
        QCOMPARE(out.size(), 2);
        // Other units scale: 150 us in a _us key is over 100 us.
        TelemetryAlarms b({90, 100'000, true});
        out.clear();
        b.check(line("t_ns=1 pll_sync_err_us=150"), &out);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].value, 150'000.0);
        // A key without a time unit is not a sync error.
        b.check(line("t_ns=2 sync_err_count_n=1000000"), &out);
        QCOMPARE(out.size(), 1);
    }

    void timeJumps()
    {
        TelemetryAlarms a;
        QList<TelemetryAlarm> out;
        a.check(line("t_ns=1 sync_jumps_total_n=0"), &out);
        a.check(line("t_ns=2 sync_jumps_total_n=0"), &out);
        QVERIFY(out.isEmpty());
        a.check(line("t_ns=3 sync_jumps_total_n=1"), &out);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].kind, QStringLiteral("time_jump"));
        QCOMPARE(out[0].tNs, 3);
        a.check(line("t_ns=4 sync_jumps_total_n=1"), &out);
        QCOMPARE(out.size(), 1);
        // After reset (a reloaded module) the counter restarts without an alarm.
        a.reset(QStringLiteral("s"));
        a.check(line("t_ns=5 sync_jumps_total_n=0"), &out);
        QCOMPARE(out.size(), 1);
        const TelemetryAlarm back = a.timeWentBack(QStringLiteral("s"), 5'000'000, 1'000'000);
        QCOMPARE(back.kind, QStringLiteral("time_jump"));
        QCOMPARE(back.tNs, 1'000'000);
        TelemetryAlarms off({90, 100'000, false});
        out.clear();
        off.check(line("t_ns=1 sync_jumps_total_n=0"), &out);
        off.check(line("t_ns=2 sync_jumps_total_n=5"), &out);
        QVERIFY(out.isEmpty());
    }

    void units()
    {
        QCOMPARE(nsPerUnit(QStringLiteral("a_ns")), 1.0);
        QCOMPARE(nsPerUnit(QStringLiteral("a_us")), 1e3);
        QCOMPARE(nsPerUnit(QStringLiteral("a_ms")), 1e6);
        QCOMPARE(nsPerUnit(QStringLiteral("a_s")), 1e9);
        QCOMPARE(nsPerUnit(QStringLiteral("a_n")), 0.0);
    }
};

QTEST_GUILESS_MAIN(TstTelemetryAlarms)
#include "tst_telemetryalarms.moc"
