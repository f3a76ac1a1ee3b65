// The recording beside the session log: exact round trip (integers, doubles, negative time
// steps, gaps, alarms), rotation by size, a torn last record, reopening, and the CSV export.
#include "telemetry/telemetryrecorder.h"

#include <QBuffer>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace kms::telemetry;

namespace {

QList<TelemetrySet> randomSets(int n, quint32 seed)
{
    QRandomGenerator rng(seed);
    QList<TelemetrySet> sets;
    qint64 t = 1'000'000'000;
    const QStringList keys{"buf0_fill_n", "buf0_cap_n", "sync_err_ns", "corr_ppm", "samples_total_n", "x.y-z"};
    for (int i = 0; i < n; ++i) {
        TelemetrySet s;
        t += qint64(rng.bounded(20'000'000)) - (i % 50 == 0 ? 30'000'000 : 0); // sometimes back
        s.tNs = t;
        s.source = i % 3 ? QStringLiteral("stream:/a") : QStringLiteral("poll:/b@100");
        for (const QString &k : keys) {
            if (rng.bounded(4) == 0)
                continue;
            double v;
            switch (rng.bounded(4)) {
            case 0:
                v = double(rng.bounded(5000));
                break;
            case 1:
                v = -double(rng.generate64() >> 12);
                break; // large negative integer
            case 2:
                v = rng.generateDouble() * 1e6 - 5e5;
                break;
            default:
                v = 1e17 * rng.generateDouble();
                break;
            }
            s.values.append({k, v});
        }
        sets.append(s);
    }
    return sets;
}

void compareSets(const QList<TelemetrySet> &a, const QList<TelemetrySet> &b)
{
    QCOMPARE(a.size(), b.size());
    for (qsizetype i = 0; i < a.size(); ++i) {
        QCOMPARE(a[i].tNs, b[i].tNs);
        QCOMPARE(a[i].source, b[i].source);
        QCOMPARE(a[i].values.size(), b[i].values.size());
        for (qsizetype j = 0; j < a[i].values.size(); ++j) {
            QCOMPARE(a[i].values[j].key, b[i].values[j].key);
            QCOMPARE(a[i].values[j].value, b[i].values[j].value); // bit-exact
        }
    }
}

QList<TelemetrySet> readAll(const QString &path, TelemetryReadResult *result = nullptr)
{
    QList<TelemetrySet> got;
    TelemetryReadCallbacks cb;
    cb.set = [&](const TelemetrySet &s) {
        got.append(s);
    };
    const TelemetryReadResult r = readTelemetryRecording(path, cb);
    if (result)
        *result = r;
    return got;
}

} // namespace

class TstTelemetryRecorder : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("session.telemetry"));
        const QList<TelemetrySet> sets = randomSets(3000, 1);
        TelemetryRecorder rec;
        QVERIFY(rec.open(path));
        rec.write(sets.mid(0, 1000));
        rec.write(TelemetryGap{123, QStringLiteral("stream:/a"), QStringLiteral("link lost")});
        rec.write(TelemetryAlarm{456, QStringLiteral("buf0_fill_n"), QStringLiteral("fill"), 99.5,
                                 QStringLiteral("telemetry alarm: buf0 fill 100 %")});
        rec.write(sets.mid(1000));
        rec.close();
        QList<TelemetryGap> gaps;
        QList<TelemetryAlarm> alarms;
        QList<TelemetrySet> got;
        TelemetryReadCallbacks cb;
        cb.set = [&](const TelemetrySet &s) {
            got.append(s);
        };
        cb.gap = [&](const TelemetryGap &g) {
            gaps.append(g);
        };
        cb.alarm = [&](const TelemetryAlarm &a) {
            alarms.append(a);
        };
        const TelemetryReadResult r = readTelemetryRecording(path, cb);
        QVERIFY(r.error.isEmpty());
        QCOMPARE(r.tornFiles, 0);
        compareSets(got, sets);
        QCOMPARE(gaps.size(), 1);
        QCOMPARE(gaps[0].tNs, 123);
        QCOMPARE(gaps[0].reason, QStringLiteral("link lost"));
        QCOMPARE(alarms.size(), 1);
        QCOMPARE(alarms[0].value, 99.5);
        QCOMPARE(alarms[0].text, QStringLiteral("telemetry alarm: buf0 fill 100 %"));
        // Compact: the equivalent text lines are several times larger.
        qint64 text = 0;
        for (const TelemetrySet &s : sets) {
            text += 20;
            for (const TelemetryValue &v : s.values)
                text += v.key.size() + 1 + formatTelemetryNumber(v.value).size() + 1;
        }
        QVERIFY2(QFileInfo(path).size() * 2 < text,
                 qPrintable(QStringLiteral("%1 bytes vs %2 as text").arg(QFileInfo(path).size()).arg(text)));
    }

    void rotationKeepsNewest()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t.telemetry"));
        const QList<TelemetrySet> sets = randomSets(4000, 2);
        {
            TelemetryRecorder rec;
            rec.setMaxBytes(16 * 1024);
            rec.setKeepFiles(1000);
            QVERIFY(rec.open(path));
            for (qsizetype i = 0; i < sets.size(); i += 100) {
                rec.write(sets.mid(i, 100));
                rec.flush();
            }
        }
        QVERIFY(QFileInfo::exists(path + QStringLiteral(".1")));
        TelemetryReadResult r;
        // Every rotated file has its own dictionary: the set reads back whole and in order.
        // (Only 64 rotated files are looked for; keep fewer to test dropping.)
        QTemporaryDir dir2;
        const QString path2 = dir2.filePath(QStringLiteral("t.telemetry"));
        {
            TelemetryRecorder rec;
            rec.setMaxBytes(16 * 1024);
            rec.setKeepFiles(3);
            QVERIFY(rec.open(path2));
            for (qsizetype i = 0; i < sets.size(); i += 100) {
                rec.write(sets.mid(i, 100));
                rec.flush();
            }
        }
        QVERIFY(QFileInfo::exists(path2 + QStringLiteral(".3")));
        QVERIFY(!QFileInfo::exists(path2 + QStringLiteral(".4")));
        const QList<TelemetrySet> kept = readAll(path2, &r);
        QCOMPARE(r.files, 4);
        QCOMPARE(r.tornFiles, 0);
        QVERIFY(kept.size() < sets.size() && kept.size() > 1000);
        // The newest are kept, in order, exactly.
        compareSets(kept, sets.mid(sets.size() - kept.size()));
    }

    void tornTailAndReopen()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t.telemetry"));
        const QList<TelemetrySet> sets = randomSets(200, 3);
        {
            TelemetryRecorder rec;
            QVERIFY(rec.open(path));
            rec.write(sets.mid(0, 100));
        }
        const qint64 good = QFileInfo(path).size();
        {
            TelemetryRecorder rec;
            QVERIFY(rec.open(path)); // appends, with a dictionary restart
            rec.write(sets.mid(100));
        }
        compareSets(readAll(path), sets);
        // A crash mid-record: cut the file inside the second half.
        QVERIFY(QFile::resize(path, (good + QFileInfo(path).size()) / 2));
        TelemetryReadResult r;
        const QList<TelemetrySet> got = readAll(path, &r);
        QCOMPARE(r.tornFiles, 1);
        QVERIFY(got.size() >= 100 && got.size() < 200);
        compareSets(got, sets.mid(0, got.size()));
        // Not a recording at all.
        QFile junk(dir.filePath(QStringLiteral("junk")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("hello world, not telemetry");
        junk.close();
        QVERIFY(!readTelemetryRecording(junk.fileName(), {}).error.isEmpty());
        QVERIFY(!readTelemetryRecording(dir.filePath(QStringLiteral("missing")), {}).error.isEmpty());
    }

    void corruptBytesNeverCrash()
    {
        const QList<TelemetrySet> sets = randomSets(50, 4);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t"));
        {
            TelemetryRecorder rec;
            QVERIFY(rec.open(path));
            rec.write(sets);
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray good = f.readAll();
        QRandomGenerator rng(5);
        for (int i = 0; i < 2000; ++i) {
            QByteArray bad = good;
            for (int j = 0; j < 3; ++j)
                bad[8 + int(rng.bounded(int(bad.size() - 8)))] = char(rng.bounded(256));
            readTelemetryBytes(bad, {});
        }
    }

    void csv()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t.telemetry"));
        {
            TelemetryRecorder rec;
            QVERIFY(rec.open(path));
            rec.write(QList<TelemetrySet>{{100, QStringLiteral("a"), {{"x_n", 1}, {"y_ns", -2.5}}},
                                          {200, QStringLiteral("b"), {{"z_pct", 0.1}}},
                                          {300, QStringLiteral("a"), {{"y_ns", 3}, {"x_n", 4}}}});
        }
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        QString error;
        QVERIFY2(exportTelemetryCsv(path, &out, &error), qPrintable(error));
        QCOMPARE(out.data(),
                 QByteArray("t_ns,x_n,y_ns,z_pct\n"
                            "100,1,-2.5,\n"
                            "200,,,0.1\n"
                            "300,4,3,\n"));
        QVERIFY(!exportTelemetryCsv(dir.filePath(QStringLiteral("none")), &out, &error));
        QCOMPARE(telemetryPathForSessionLog(QStringLiteral("/d/session.log")), QStringLiteral("/d/session.telemetry"));
        QCOMPARE(telemetryPathForSessionLog(QStringLiteral("/d/s")), QStringLiteral("/d/s.telemetry"));
        QCOMPARE(formatTelemetryNumber(1e17), QByteArray("1e+17"));
        QCOMPARE(formatTelemetryNumber(-42), QByteArray("-42"));
        QCOMPARE(formatTelemetryNumber(0.1).toDouble(), 0.1);
    }
};

QTEST_GUILESS_MAIN(TstTelemetryRecorder)
#include "tst_telemetryrecorder.moc"
