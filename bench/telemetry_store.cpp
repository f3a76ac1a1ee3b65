// bench_telemetry_store [--channels 8] [--rate 10000] [--seconds 3600]
//
// The TelemetryStore's memory on a long session: feeds `seconds` of `channels` x `rate` samples
// (synthetic, as fast as it can, in batches of 1000 sample sets) and prints the process RSS
// before (idle: the store built, nothing in it) and after, with the store's own byte counts and
// how long the feed and a full-range trace took.
#include "telemetry/telemetrystore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <sys/resource.h>

#include <cmath>
#include <cstdio>

using namespace kms::telemetry;

static qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions(
        {{QStringLiteral("channels"), QStringLiteral("channels"), QStringLiteral("N"), QStringLiteral("8")},
         {QStringLiteral("rate"), QStringLiteral("samples/s per channel"), QStringLiteral("HZ"),
          QStringLiteral("10000")},
         {QStringLiteral("seconds"), QStringLiteral("node seconds fed"), QStringLiteral("S"), QStringLiteral("3600")}});
    p.process(app);
    const int channels = p.value(QStringLiteral("channels")).toInt();
    const qint64 rate = p.value(QStringLiteral("rate")).toLongLong();
    const qint64 seconds = p.value(QStringLiteral("seconds")).toLongLong();

    TelemetryStore store;
    QList<TelemetrySet> batch(1000);
    for (TelemetrySet &s : batch) {
        s.source = QStringLiteral("stream:bench");
        for (int c = 0; c < channels; ++c)
            s.values.append({QStringLiteral("ch%1_ns").arg(c), 0});
    }
    const qint64 idle = rssKb();
    auto cpuSeconds = [] {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
            + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    };
    const double cpu0 = cpuSeconds();
    QElapsedTimer timer;
    timer.start();
    const qint64 total = seconds * rate, stepNs = 1'000'000'000 / rate;
    for (qint64 n = 0; n < total; n += batch.size()) {
        for (qsizetype i = 0; i < batch.size(); ++i) {
            batch[i].tNs = (n + i) * stepNs;
            for (int c = 0; c < channels; ++c)
                batch[i].values[c].value = std::sin(double(n + i) / 5000.0 * (c + 1)) * 1000;
        }
        store.append(batch);
        if (n % (600 * rate) == 0)
            fprintf(stderr, "  %lld s fed, RSS %lld kB\n", n / rate, rssKb());
    }
    const qint64 feedMs = timer.elapsed();
    const double feedCpu = cpuSeconds() - cpu0;
    const qint64 after = rssKb();
    timer.restart();
    const auto e = store.extent();
    const PlotTrace t = store.trace(QStringLiteral("ch0_ns"), e.firstNs, e.lastNs, 1500);
    const qint64 traceUs = timer.nsecsElapsed() / 1000;
    printf("channels=%d rate=%lld node_seconds=%lld samples=%lld feed_s=%.1f (%.1f M samples/s)\n", channels, rate,
           seconds, store.counters().samples, double(feedMs) / 1000,
           double(store.counters().samples) / double(feedMs) / 1000);
    printf("feed_cpu_s=%.1f (%.0f ns of CPU per sample, batch making included)\n", feedCpu,
           feedCpu * 1e9 / double(store.counters().samples));
    printf("rss_idle_mb=%.1f rss_after_mb=%.1f above_idle_mb=%.1f (goal < 150)\n", double(idle) / 1024,
           double(after) / 1024, double(after - idle) / 1024);
    printf("store full_rate_mb=%.1f pyramid_mb=%.1f full_rate_window_s=%.1f\n",
           double(store.fullRateBytes()) / (1 << 20), double(store.pyramidBytes()) / (1 << 20),
           double(e.lastNs - store.fullRateFirstNs(QStringLiteral("ch0_ns"))) / 1e9);
    printf("trace of the whole %lld s over 1500 columns: %lld points, level %d, %lld us\n", seconds,
           qint64(t.points.size()), t.level, traceUs);
    return 0;
}
