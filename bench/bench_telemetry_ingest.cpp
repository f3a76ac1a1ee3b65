// The telemetry hub's per-line work at the source end: parsing a prudaq line (as
// kmod/prudaq_tlm.c prints it, 30 values) plus the alarm rules, against a named baseline, the
// plain Qt way (QString::split on spaces and '=', toDouble); and the recorder's bytes per set
// against the text line it came from.
#include "telemetry/telemetryalarms.h"
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetryrecorder.h"

#include <QStringList>
#include <QTemporaryDir>

#include <benchmark/benchmark.h>

using namespace kms::telemetry;

namespace {

QList<QByteArray> prudaqLines(int n)
{
    QList<QByteArray> lines;
    qint64 t = 186'006'624'334;
    for (int i = 0; i < n; ++i) {
        t += 10'000'000;
        lines.append("t_ns=" + QByteArray::number(t) + " msg_to_pru0_fill_n=" + QByteArray::number(i % 16)
                     + " msg_to_pru0_cap_n=16 msg_from_pru0_fill_n=0 msg_from_pru0_cap_n=16 buf0_fill_n="
                     + QByteArray::number(i % 512) + " buf0_cap_n=512 buf1_fill_n=" + QByteArray::number((i * 7) % 512)
                     + " buf1_cap_n=512 samples_total_n=" + QByteArray::number(1242 + i)
                     + " overflow_total_n=1460 backpressure_total_n=2 read_total_n=0 drained_total_n=0 "
                       "dropped_total_n=0 msg_to_pru0_dropped_total_n=0 msg_from_pru0_dropped_total_n=0 "
                       "msg_to_pru0_total_n=1 msg_from_pru0_total_n=3 pru0_err_total_n=0 sync_err_ns="
                     + QByteArray::number((i * 37) % 4001 - 2000)
                     + " sync_int_ns=46564 corr_ppm=-46.669 trig_lat_us=" + QByteArray::number(6340 + i % 50)
                     + " loop_us=181 sync_total_n=12 sync_jumps_total_n=0 pru1_corr_total_n=12 "
                       "pru1_missed_total_n=0 tlm_lost_total_n=0");
    }
    return lines;
}

void BM_Hub_ParseAndAlarms(benchmark::State &state)
{
    const QList<QByteArray> lines = prudaqLines(1000);
    TelemetryParser parser(QStringLiteral("stream:/x"));
    TelemetryAlarms alarms;
    QList<TelemetryAlarm> raised;
    TelemetrySet set;
    qsizetype i = 0;
    for (auto _ : state) {
        if (i == lines.size()) {
            i = 0;
            parser.resetClock();
        }
        parser.parseLine(lines[i++], &set);
        alarms.check(set, &raised);
        raised.clear();
        benchmark::DoNotOptimize(set);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hub_ParseAndAlarms);

// Baseline: what the parsing would be with Qt's string helpers.
void BM_Baseline_QStringSplit(benchmark::State &state)
{
    const QList<QByteArray> lines = prudaqLines(1000);
    qsizetype i = 0;
    for (auto _ : state) {
        if (i == lines.size())
            i = 0;
        TelemetrySet set;
        const QStringList tokens = QString::fromUtf8(lines[i++]).split(u' ', Qt::SkipEmptyParts);
        for (const QString &tok : tokens) {
            const QStringList kv = tok.split(u'=');
            if (kv.size() != 2)
                continue;
            bool ok = false;
            const double v = kv[1].toDouble(&ok);
            if (kv[0] == QLatin1String("t_ns"))
                set.tNs = qint64(v);
            else if (ok)
                set.values.append({kv[0], v});
        }
        benchmark::DoNotOptimize(set);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_QStringSplit);

void BM_Recorder_BytesPerSet(benchmark::State &state)
{
    const QList<QByteArray> lines = prudaqLines(10000);
    QList<TelemetrySet> sets;
    TelemetryParser parser;
    qint64 textBytes = 0;
    for (const QByteArray &l : lines) {
        TelemetrySet s;
        parser.parseLine(l, &s);
        sets.append(s);
        textBytes += l.size() + 1;
    }
    QTemporaryDir dir;
    qint64 written = 0;
    for (auto _ : state) {
        TelemetryRecorder rec;
        rec.open(dir.filePath(QStringLiteral("t.telemetry")));
        rec.write(sets);
        rec.close();
        written = rec.bytesWritten();
        QFile::remove(dir.filePath(QStringLiteral("t.telemetry")));
    }
    state.SetItemsProcessed(state.iterations() * sets.size());
    state.counters["bytes_per_set"] = double(written) / double(sets.size());
    state.counters["text_bytes_per_line"] = double(textBytes) / double(sets.size());
}
BENCHMARK(BM_Recorder_BytesPerSet)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
