// Throughput of LineSplitter + ReportDetector (+ parsing of every report found) on one core.
// The input interleaves every corpus log with ordinary console noise, about 200 noise lines per
// corpus file, repeated to at least 100 MB: far more reports than a real log has, so parsing
// cost is not hidden by the prefilter.
#include "log/linesplitter.h"
#include "report/reportdetector.h"

#include <benchmark/benchmark.h>

#include <QDir>
#include <QDirIterator>
#include <QFile>

using namespace kms;

namespace {

constexpr qsizetype targetBytes = 100 * 1024 * 1024;

QList<QByteArray> corpusLogs()
{
    QList<QByteArray> logs;
    const QStringList dirs{QStringLiteral(KMS_TEST_DATA_DIR "/corpus/satyr"),
                           QStringLiteral(KMS_TEST_DATA_DIR "/corpus/abrt"), QStringLiteral(KMS_SAMPLES_DIR)};
    for (const QString &dir : dirs) {
        QDirIterator it(dir, QDir::Files);
        while (it.hasNext()) {
            const QString path = it.next();
            if (path.endsWith(QLatin1String(".md")) || path.endsWith(QLatin1String(".tsv"))
                || path.endsWith(QLatin1String(".right")))
                continue;
            QFile f(path);
            if (f.open(QIODevice::ReadOnly)) {
                QByteArray data = f.readAll();
                if (!data.endsWith('\n'))
                    data += '\n';
                logs.append(data);
            }
        }
    }
    return logs;
}

QByteArray noise(int count, double &clock)
{
    static const char *const messages[] = {
        "usb 1-1: new high-speed USB device number 2 using ehci-pci",
        "EXT4-fs (mmcblk0p1): mounted filesystem with ordered data mode. Opts: (null)",
        "shprd.k: sync-loop: 100 ms boundary, correction 12 ppm, error -340 ns",
        "remoteproc remoteproc1: powering up 4a334000.pru",
        "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
        "audit: type=1400 audit(1700000000.123:42): apparmor=\"STATUS\" operation=\"profile_load\" "
        "profile=\"unconfined\"",
        "cma: cma_alloc: alloc failed, req-size: 3811 pages, ret: -16",
        "prudaq: telemetry t_ns=123456789 sync_err_ns=-120 corr_ppm=3 loop_us=42",
        "systemd[1]: Started Session 3 of user debian.",
        "random: crng init done",
        "NET: Registered PF_INET6 protocol family",
        "pru-rproc 4a334000.pru: PRU rproc node pru@4a334000 probed successfully",
    };
    QByteArray out;
    out.reserve(count * 100);
    char stamp[32];
    for (int i = 0; i < count; ++i) {
        clock += 0.000731;
        std::snprintf(stamp, sizeof stamp, "[%5d.%06d] ", int(clock), int((clock - int(clock)) * 1e6));
        out += stamp;
        out += messages[(i * 7 + int(clock)) % (sizeof messages / sizeof *messages)];
        out += '\n';
    }
    return out;
}

const QByteArray &bigLog()
{
    static const QByteArray log = [] {
        const QList<QByteArray> logs = corpusLogs();
        QByteArray out;
        out.reserve(targetBytes + 4 * 1024 * 1024);
        double clock = 0;
        while (out.size() < targetBytes) {
            for (const QByteArray &l : logs) {
                out += noise(200, clock);
                out += l;
            }
        }
        return out;
    }();
    return log;
}

void BM_DetectReports(benchmark::State &state)
{
    const QByteArray &log = bigLog();
    qint64 reports = 0;
    qint64 frames = 0;
    for (auto _ : state) {
        reports = 0;
        frames = 0;
        detectReports(log, [&](KernelReport &&r) {
            ++reports;
            frames += r.frames.size();
        });
        benchmark::DoNotOptimize(reports);
    }
    state.SetBytesProcessed(state.iterations() * log.size());
    state.counters["MB"] = double(log.size()) / (1024 * 1024);
    state.counters["reports"] = double(reports);
    state.counters["frames"] = double(frames);
}
BENCHMARK(BM_DetectReports)->Unit(benchmark::kMillisecond)->Iterations(3);

// Line splitting alone, for comparison: the floor under the detector's cost.
void BM_SplitOnly(benchmark::State &state)
{
    const QByteArray &log = bigLog();
    for (auto _ : state) {
        LineSplitter splitter;
        qint64 lines = 0;
        const auto sink = [&](QByteArrayView, bool) {
            ++lines;
        };
        splitter.feed(log, sink);
        splitter.finish(sink);
        benchmark::DoNotOptimize(lines);
    }
    state.SetBytesProcessed(state.iterations() * log.size());
}
BENCHMARK(BM_SplitOnly)->Unit(benchmark::kMillisecond)->Iterations(3);

} // namespace

BENCHMARK_MAIN();
