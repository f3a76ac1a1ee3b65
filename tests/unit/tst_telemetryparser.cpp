// Parser robustness: what the prudaq stream prints, and everything a broken or hostile source
// can send instead. Nothing may crash; everything dropped is counted in its own counter.
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetrypoll.h"
#include "telemetry/telemetrysource.h"

#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSettings>
#include <QTest>

using namespace kms::telemetry;

class TstTelemetryParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void prudaqLine()
    {
        // A line as kmod/prudaq_tlm.c formats it (prudaq_format_stats), negative corr included.
        const QByteArray line = "t_ns=123456789012 msg_to_pru0_fill_n=3 msg_to_pru0_cap_n=64 buf0_fill_n=100 "
                                "buf0_cap_n=4096 samples_total_n=4294967295 sync_err_ns=-1234 corr_ppm=-49.875 "
                                "trig_lat_us=12 tlm_lost_total_n=0\n";
        TelemetryParser p(QStringLiteral("stream:/x"));
        TelemetrySet set;
        QCOMPARE(p.parseLine(line, &set), TelemetryParser::Result::Set);
        QCOMPARE(set.tNs, 123456789012LL);
        QCOMPARE(set.source, QStringLiteral("stream:/x"));
        QCOMPARE(set.values.size(), 9);
        QCOMPARE(set.values[0].key, QStringLiteral("msg_to_pru0_fill_n"));
        QCOMPARE(set.values[4].value, 4294967295.0);
        QCOMPARE(set.values[5].value, -1234.0);
        QCOMPARE(set.values[6].value, -49.875);
        QCOMPARE(p.stats().errors(), 0);
        QCOMPARE(p.stats().sets, 1);
    }

    void unknownKeysKept()
    {
        TelemetryParser p;
        TelemetrySet set;
        QCOMPARE(p.parseLine("t_ns=5 my.weird-key_x=1e3 other=+7", &set), TelemetryParser::Result::Set);
        QCOMPARE(set.values.size(), 2);
        QCOMPARE(set.values[0].key, QStringLiteral("my.weird-key_x"));
        QCOMPARE(set.values[0].value, 1000.0);
        QCOMPARE(set.values[1].value, 7.0);
    }

    void badInputCounted_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<bool>("accepted");
        QTest::addColumn<QString>("counter");
        QTest::newRow("empty") << QByteArray("") << false << "garbage";
        QTest::newRow("spaces") << QByteArray("   \t ") << false << "garbage";
        QTest::newRow("binary") << QByteArray("\x01\x02\xff\xfe", 4) << false << "badTokens";
        QTest::newRow("no t_ns") << QByteArray("a_n=1 b_n=2") << false << "missingTime";
        QTest::newRow("t_ns not first") << QByteArray("a_n=1 t_ns=5") << false << "missingTime";
        QTest::newRow("t_ns negative") << QByteArray("t_ns=-5 a_n=1") << false << "missingTime";
        QTest::newRow("t_ns float") << QByteArray("t_ns=1.5 a_n=1") << false << "missingTime";
        QTest::newRow("t_ns huge") << QByteArray("t_ns=99999999999999999999999 a_n=1") << false << "missingTime";
        QTest::newRow("non-numeric") << QByteArray("t_ns=5 a_n=abc b_n=2") << true << "badValues";
        QTest::newRow("nan") << QByteArray("t_ns=5 a_n=nan b_n=2") << true << "badValues";
        QTest::newRow("inf") << QByteArray("t_ns=5 a_n=-inf b_n=2") << true << "badValues";
        QTest::newRow("hex") << QByteArray("t_ns=5 a_n=0x10 b_n=2") << true << "badValues";
        QTest::newRow("huge") << QByteArray("t_ns=5 a_n=1e300 b_n=2") << true << "badValues";
        QTest::newRow("empty value") << QByteArray("t_ns=5 a_n= b_n=2") << true << "badValues";
        QTest::newRow("no equals") << QByteArray("t_ns=5 hello b_n=2") << true << "badTokens";
        QTest::newRow("bad key") << QByteArray("t_ns=5 9x=1 b_n=2") << true << "badTokens";
        QTest::newRow("empty key") << QByteArray("t_ns=5 =1 b_n=2") << true << "badTokens";
        QTest::newRow("duplicate") << QByteArray("t_ns=5 b_n=2 b_n=3") << true << "duplicateKeys";
        QTest::newRow("t_ns twice") << QByteArray("t_ns=5 t_ns=6 b_n=2") << true << "duplicateKeys";
        QTest::newRow("only t_ns") << QByteArray("t_ns=5") << false << "garbage";
        QTest::newRow("overlong") << QByteArray("t_ns=5 a_n=") + QByteArray(maxTelemetryLine, '1') << false
                                  << "garbage";
    }

    void badInputCounted()
    {
        QFETCH(QByteArray, line);
        QFETCH(bool, accepted);
        QFETCH(QString, counter);
        TelemetryParser p;
        TelemetrySet set;
        const auto r = p.parseLine(line, &set);
        QCOMPARE(r != TelemetryParser::Result::Dropped, accepted);
        const TelemetryParseStats &s = p.stats();
        const QHash<QString, qint64> counters{{"garbage", s.garbage},
                                              {"badTokens", s.badTokens},
                                              {"missingTime", s.missingTime},
                                              {"badValues", s.badValues},
                                              {"duplicateKeys", s.duplicateKeys}};
        QVERIFY2(counters.value(counter) >= 1, qPrintable(s.summary()));
        if (accepted) {
            QCOMPARE(set.values.size(), 1);
            QCOMPARE(set.values[0].key, QStringLiteral("b_n"));
            QCOMPARE(set.values[0].value, 2.0);
        }
    }

    void timeBackwardsDroppedThenNewEpoch()
    {
        TelemetryParser p;
        TelemetrySet set;
        QCOMPARE(p.parseLine("t_ns=1000 a_n=1", &set), TelemetryParser::Result::Set);
        QCOMPARE(p.parseLine("t_ns=1000 a_n=1", &set), TelemetryParser::Result::Set); // equal is fine
        QCOMPARE(p.parseLine("t_ns=999 a_n=1", &set), TelemetryParser::Result::Dropped);
        QCOMPARE(p.stats().backwards, 1);
        QCOMPARE(p.parseLine("t_ns=2000 a_n=1", &set), TelemetryParser::Result::Set);
        // A rebooted node: its clock restarts and stays low; after a run it is a new epoch.
        for (int i = 0; i < backwardsBeforeNewEpoch - 1; ++i)
            QCOMPARE(p.parseLine(QByteArray("t_ns=") + QByteArray::number(10 + i) + " a_n=1", &set),
                     TelemetryParser::Result::Dropped);
        QCOMPARE(p.parseLine("t_ns=100 a_n=1", &set), TelemetryParser::Result::NewEpoch);
        QCOMPARE(p.stats().epochs, 1);
        QCOMPARE(p.parseLine("t_ns=101 a_n=1", &set), TelemetryParser::Result::Set);
        // After a gap the clock may restart at once.
        p.resetClock();
        QCOMPARE(p.parseLine("t_ns=5 a_n=1", &set), TelemetryParser::Result::Set);
    }

    void keysChangeBetweenLines()
    {
        // The parser reuses the previous line's keys by position: changes of order, length and
        // duplicates must still come out right.
        TelemetryParser p;
        TelemetrySet set;
        const auto keys = [&] {
            QStringList k;
            for (const TelemetryValue &v : std::as_const(set.values))
                k.append(v.key + u'=' + QString::number(v.value));
            return k.join(u' ');
        };
        QVERIFY(p.parseLine("t_ns=1 a_n=1 b_n=2", &set) == TelemetryParser::Result::Set);
        QCOMPARE(keys(), QStringLiteral("a_n=1 b_n=2"));
        QVERIFY(p.parseLine("t_ns=2 b_n=3 a_n=4", &set) == TelemetryParser::Result::Set);
        QCOMPARE(keys(), QStringLiteral("b_n=3 a_n=4"));
        QVERIFY(p.parseLine("t_ns=3 b_n=1 b_n=2", &set) == TelemetryParser::Result::Set);
        QCOMPARE(keys(), QStringLiteral("b_n=1"));
        QCOMPARE(p.stats().duplicateKeys, 1);
        QVERIFY(p.parseLine("t_ns=4 b_n=1 a_n=2 c_n=3", &set) == TelemetryParser::Result::Set);
        QCOMPARE(keys(), QStringLiteral("b_n=1 a_n=2 c_n=3"));
        QVERIFY(p.parseLine("t_ns=5 b_n=7 a_n=8", &set) == TelemetryParser::Result::Set); // a prefix
        QCOMPARE(keys(), QStringLiteral("b_n=7 a_n=8"));
        QVERIFY(p.parseLine("t_ns=6 b_n=1 x_n=oops a_n=2 a_n=3", &set) == TelemetryParser::Result::Set);
        QCOMPARE(keys(), QStringLiteral("b_n=1 a_n=2"));
        QCOMPARE(p.stats().duplicateKeys, 2);
        QCOMPARE(p.stats().badValues, 1);
    }

    void fallbackTime()
    {
        TelemetryParser p;
        TelemetrySet set;
        QCOMPARE(p.parseLine("a_n=1 b_ns=2", &set, 777), TelemetryParser::Result::Set);
        QCOMPARE(set.tNs, 777);
        QCOMPARE(set.values.size(), 2);
    }

    void tooManyValues()
    {
        QByteArray line = "t_ns=1";
        for (int i = 0; i < maxValuesPerSet + 50; ++i)
            line += " k" + QByteArray::number(i) + "=1";
        TelemetryParser p;
        TelemetrySet set;
        QCOMPARE(p.parseLine(line, &set), TelemetryParser::Result::Set);
        QCOMPARE(set.values.size(), maxValuesPerSet);
        QCOMPARE(p.stats().badTokens, 50);
    }

    void randomBytesNeverCrash()
    {
        // A fixed seed: failures reproduce. The fuzz target does this at length.
        QRandomGenerator rng(1234);
        TelemetryParser p;
        TelemetrySet set;
        const QByteArray alphabet = "t_ns=0123456789 -+.eE\t\nabc_x\xff";
        for (int i = 0; i < 20000; ++i) {
            QByteArray line;
            const int n = int(rng.bounded(80));
            for (int j = 0; j < n; ++j)
                line += alphabet[int(rng.bounded(int(alphabet.size())))];
            if (p.parseLine(line, &set) != TelemetryParser::Result::Dropped) {
                QVERIFY(!set.values.isEmpty());
                for (const TelemetryValue &v : std::as_const(set.values))
                    QVERIFY(std::isfinite(v.value) && std::fabs(v.value) <= maxTelemetryMagnitude);
            }
        }
        QCOMPARE(p.stats().lines, 20000);
        QCOMPARE(p.stats().sets + p.stats().garbage + p.stats().missingTime + p.stats().backwards - p.stats().epochs,
                 p.stats().lines);
    }

    void numbers()
    {
        QCOMPARE(parseTelemetryNumber("42"), std::optional<double>(42));
        QCOMPARE(parseTelemetryNumber("-0.5"), std::optional<double>(-0.5));
        QCOMPARE(parseTelemetryNumber(".5"), std::optional<double>(0.5));
        QCOMPARE(parseTelemetryNumber("1e18"), std::optional<double>(1e18));
        QVERIFY(!parseTelemetryNumber("1.1e18"));
        QVERIFY(!parseTelemetryNumber("-"));
        QVERIFY(!parseTelemetryNumber("12abc"));
        QVERIFY(!parseTelemetryNumber("NaN"));
        QVERIFY(!parseTelemetryNumber(""));
    }

    void sourceSpecs()
    {
        QString error;
        auto s = TelemetrySourceSpec::parse(QStringLiteral("stream:/sys/kernel/debug/prudaq/telemetry"), &error);
        QVERIFY(s && s->kind == TelemetrySourceSpec::Kind::Stream);
        QCOMPARE(s->toString(), QStringLiteral("stream:/sys/kernel/debug/prudaq/telemetry"));
        s = TelemetrySourceSpec::parse(QStringLiteral("/sys/kernel/debug/foo"));
        QVERIFY(s && s->kind == TelemetrySourceSpec::Kind::Stream); // what older profiles store
        QCOMPARE(s->path, QStringLiteral("/sys/kernel/debug/foo"));
        s = TelemetrySourceSpec::parse(QStringLiteral("stream:"));
        QCOMPARE(s->path, QString::fromLatin1(defaultStreamPath));
        s = TelemetrySourceSpec::parse(QStringLiteral("poll:/sys/a/x,/sys/b/x@250"));
        QVERIFY(s && s->kind == TelemetrySourceSpec::Kind::Poll);
        QCOMPARE(s->paths, QStringList({QStringLiteral("/sys/a/x"), QStringLiteral("/sys/b/x")}));
        QCOMPARE(s->intervalMs, 250);
        QCOMPARE(s->toString(), QStringLiteral("poll:/sys/a/x,/sys/b/x@250"));
        QCOMPARE(pollKeyForPath(QStringLiteral("/sys/a/x"), s->paths), QStringLiteral("a_x"));
        QCOMPARE(pollKeyForPath(QStringLiteral("/sys/a/fill-level"), {QStringLiteral("/sys/a/fill-level")}),
                 QStringLiteral("fill_level"));
        s = TelemetrySourceSpec::parse(QStringLiteral("regex:sync err (?<sync_err_ns>-?\\d+) ns"));
        QVERIFY(s && s->kind == TelemetrySourceSpec::Kind::Regex);
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("poll:/a@0"), &error));
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("poll:/a"), &error));
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("poll:@100"), &error));
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("regex:(unclosed"), &error));
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("regex:no (named) group"), &error));
        QVERIFY(error.contains(QLatin1String("named")));
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("stream:-rf"), &error));
        QVERIFY(!TelemetrySourceSpec::parse(QStringLiteral("ftp:/x"), &error));
        QStringList errors;
        const auto list = TelemetrySourceSpec::parseList(
            QStringLiteral("# prudaq\nstream:/a\n\n poll:/b@100 \nregex:(\n"), &errors);
        QCOMPARE(list.size(), 2);
        QCOMPARE(errors.size(), 1);
    }

    void pollOutput()
    {
        const QStringList paths{QStringLiteral("/sys/m/fill"), QStringLiteral("/sys/m/stats"),
                                QStringLiteral("/sys/m/gone"), QStringLiteral("/sys/m/triple"),
                                QStringLiteral("/sys/m/text")};
        const QByteArray out = "kms-now 5000000\n"
                               "kms-file 0\n17\n\n"
                               "kms-file 1\nt_ns=1 a_n=1\nb_ns=-2\n\n"
                               "kms-file 2\nkms-unreadable\n"
                               "kms-file 3\n1 2.5 3\n\n"
                               "kms-file 4\nhello world\n\n";
        const PollOutput p = parsePollOutput(out, paths);
        QCOMPARE(p.nowNs, std::optional<qint64>(5000000));
        QCOMPARE(p.line, QByteArray("fill=17 a_n=1 b_ns=-2 triple_0=1 triple_1=2.5 triple_2=3"));
        QCOMPARE(p.unreadable, QStringList{QStringLiteral("/sys/m/gone")});
        QCOMPARE(p.badFiles, 1);
        // The command quotes every path.
        const QByteArray cmd = pollCommand({QStringLiteral("/sys/it's here")});
        QVERIFY(cmd.contains("cat '/sys/it'\\''s here'"));
        QVERIFY(cmd.contains("/proc/timer_list"));
        QVERIFY(!parsePollOutput("garbage\n", paths).nowNs);
    }

    void exampleProfile()
    {
        // The shipped example (resources/profiles) as the desktop app's QSettings reads it.
        QSettings ini(QStringLiteral(KMS_SOURCE_DIR "/resources/profiles/printk-sync-loop.conf"), QSettings::IniFormat);
        const QString text = ini.value(QStringLiteral("profiles/pll-board/telemetrySource")).toString();
        QStringList errors;
        const QList<TelemetrySourceSpec> specs = TelemetrySourceSpec::parseList(text, &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));
        QCOMPARE(specs.size(), 2);
        QCOMPARE(specs[0].kind, TelemetrySourceSpec::Kind::Regex);
        QCOMPARE(specs[1].kind, TelemetrySourceSpec::Kind::Poll);
        QCOMPARE(specs[1].intervalMs, 1000);
        // Its regex over the module's printk line (message part, as the hub matches it).
        const QRegularExpressionMatch m
            = QRegularExpression(specs[0].pattern).match(QStringLiteral("pll: sync err -1834 ns corr -12.5 ppm"));
        QVERIFY(m.hasMatch());
        TelemetryParser p(specs[0].toString());
        TelemetrySet set;
        const QByteArray err = m.captured(QStringLiteral("sync_err_ns")).toLatin1();
        const QByteArray corr = m.captured(QStringLiteral("corr_ppm")).toLatin1();
        QCOMPARE(p.parseValues({{QStringLiteral("sync_err_ns"), err}, {QStringLiteral("corr_ppm"), corr}}, 812, &set),
                 TelemetryParser::Result::Set);
        QCOMPARE(set.values[0].value, -1834.0);
        QCOMPARE(set.values[1].value, -12.5);
    }
};

QTEST_GUILESS_MAIN(TstTelemetryParser)
#include "tst_telemetryparser.moc"
