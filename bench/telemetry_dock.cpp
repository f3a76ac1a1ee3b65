// bench_telemetry_dock [--backend qcustomplot|charts] [--naive] [--queued-paint] [--channels 8]
//                      [--rate 10000] [--seconds 20] [--warmup 3] [--window 10]
//
// Feeds the Telemetry dock with `channels` x `rate` samples a second as a link would: a producer
// thread formats prudaq-style `t_ns=... key=value` lines every 2 ms, parses them back and appends
// the batch to the TelemetryStore (the dock redraws from its 30 Hz timer). Each sample's t_ns is
// the host's CLOCK_MONOTONIC when its line was made (its arrival), so a drawn frame's latency is
// "now" at the end of its paint minus the arrival of the oldest sample it shows for the first
// time (the one right after the previous frame's newest). Prints the process CPU (user+sys over
// wall, % of one core), frames drawn per second, CPU per frame (all threads, ingest included)
// and the latency (median, p95, max; ms and frames of 33.3 ms). --no-draw: the ingest alone
// (lines parsed and stored, the window not shown), the baseline of what drawing adds.
//
// --naive draws the same plots the naive way for comparison: each frame replaces every point of
// the window (rate x window points per channel) in the series, no min/max pyramid.
//
// Run under Xvfb with software rendering: xvfb-run -a -s "-screen 0 1600x1000x24" ...
#include "plotcanvas.h"
#include "telemetry/telemetrystore.h"
#include "telemetryview.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMutex>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QtNumeric>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>

using namespace kms;
using namespace kms::telemetry;
using kms::gui::PlotCanvas;

namespace {

qint64 nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

QByteArray loadAvg()
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = {};
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
    }
    return QByteArray(buf);
}

double cpuSeconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

const QStringList kKeys
    = {QStringLiteral("sync_err_ns"),      QStringLiteral("sync_int_ns"),    QStringLiteral("corr_ppm"),
       QStringLiteral("drift_ppm"),        QStringLiteral("trig_lat_us"),    QStringLiteral("loop_us"),
       QStringLiteral("overflow_total_n"), QStringLiteral("dropped_total_n")};

// The naive way: the window's every point, handed to the series each frame.
class NaiveView : public QWidget
{
public:
    NaiveView(PlotCanvas::Backend backend, int channels, qint64 windowNs)
        : m_windowNs(windowNs)
        , m_points(channels)
    {
        auto *layout = new QVBoxLayout(this);
        const QList<QList<int>> groups = {{0, 1}, {2, 3}, {4, 5}, {6, 7}};
        for (const QList<int> &g : groups) {
            auto c = PlotCanvas::create(backend, this);
            for (int ch : g) {
                if (ch < channels) {
                    m_lineOf.append({int(m_canvases.size()), c->addLine(kKeys[ch % kKeys.size()], Qt::blue)});
                }
            }
            layout->addWidget(c->widget());
            m_canvases.push_back(std::move(c));
        }
    }
    void append(const QList<TelemetrySet> &sets)
    {
        QMutexLocker lock(&m_mutex);
        for (const TelemetrySet &s : sets) {
            for (qsizetype i = 0; i < s.values.size() && i < qsizetype(m_points.size()); ++i)
                m_points[size_t(i)].push_back({double(s.tNs) / 1e9, s.values[i].value});
            m_newest = s.tNs;
        }
        for (auto &d : m_points) {
            while (!d.empty() && d.front().x() < double(m_newest - m_windowNs) / 1e9)
                d.pop_front();
        }
    }
    // ready(newest) before the paint.
    void draw(const std::function<void(qint64)> &ready)
    {
        QMutexLocker lock(&m_mutex);
        double lo = qInf(), hi = -qInf();
        for (size_t ch = 0; ch < m_points.size(); ++ch) {
            QList<QPointF> pts(m_points[ch].begin(), m_points[ch].end());
            for (const QPointF &p : pts) {
                lo = std::min(lo, p.y());
                hi = std::max(hi, p.y());
            }
            m_canvases[size_t(m_lineOf[ch].first)]->setLineData(m_lineOf[ch].second, pts);
        }
        for (auto &c : m_canvases) {
            c->setRanges(double(m_newest - m_windowNs) / 1e9, double(m_newest) / 1e9, lo, hi);
            if (queued)
                c->replot();
            else
                c->renderNow();
        }
        ready(m_newest);
        if (!queued)
            repaint(); // painted as the dock paints its frames
    }
    std::vector<std::unique_ptr<PlotCanvas>> m_canvases;
    bool queued = false;

private:
    QMutex m_mutex;
    qint64 m_windowNs;
    qint64 m_newest = 0;
    std::vector<std::deque<QPointF>> m_points;
    QList<QPair<int, int>> m_lineOf;
};

// Latency of a frame = how long its oldest new sample waited for the frame to start (the redraw
// timer's phase and lateness) + from the frame's start to the end of its paint (store queries,
// rendering, and any event-loop hop before the paint). Both parts are kept to say where a frame
// of delay comes from.
struct Latency {
    std::vector<double> oldestMs, waitMs, drawMs;
    qint64 prevNewest = 0, pendingPrev = 0, frameStart = 0;
    int outstanding = 0;
    bool measuring = false;
    void frame(qint64 newest, int canvases, qint64 startNs)
    {
        if (outstanding > 0) // a frame whose paint never came (coalesced): measure from the older one
            return;
        pendingPrev = prevNewest;
        prevNewest = newest;
        frameStart = startNs;
        outstanding = canvases;
    }
    void painted()
    {
        if (outstanding <= 0 || --outstanding > 0)
            return;
        if (measuring && pendingPrev > 0) {
            const qint64 now = nowNs();
            oldestMs.push_back(double(now - pendingPrev) / 1e6);
            waitMs.push_back(double(frameStart - pendingPrev) / 1e6);
            drawMs.push_back(double(now - frameStart) / 1e6);
        }
    }
};

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return qQNaN();
    std::sort(v.begin(), v.end());
    return v[size_t(q * double(v.size() - 1))];
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions(
        {{QStringLiteral("backend"), QStringLiteral("qcustomplot|charts"), QStringLiteral("B"),
          QStringLiteral("qcustomplot")},
         {QStringLiteral("naive"), QStringLiteral("replace every point of the window each frame")},
         {QStringLiteral("queued-paint"),
          QStringLiteral("the way before: each plot's replot and paint queued (not in the frame's pass)")},
         {QStringLiteral("no-draw"), QStringLiteral("baseline: lines made, parsed and stored, no plot")},
         {QStringLiteral("channels"), QStringLiteral("channels"), QStringLiteral("N"), QStringLiteral("8")},
         {QStringLiteral("rate"), QStringLiteral("samples/s per channel"), QStringLiteral("HZ"),
          QStringLiteral("10000")},
         {QStringLiteral("seconds"), QStringLiteral("measured seconds"), QStringLiteral("S"), QStringLiteral("20")},
         {QStringLiteral("warmup"), QStringLiteral("seconds before measuring"), QStringLiteral("S"),
          QStringLiteral("3")},
         {QStringLiteral("window"), QStringLiteral("seconds shown"), QStringLiteral("S"), QStringLiteral("10")}});
    p.process(app);
    const auto backend = p.value(QStringLiteral("backend")) == QLatin1String("charts")
        ? PlotCanvas::Backend::QtCharts
        : PlotCanvas::Backend::QCustomPlot;
    const bool naive = p.isSet(QStringLiteral("naive"));
    const bool noDraw = p.isSet(QStringLiteral("no-draw"));
    const bool queued = p.isSet(QStringLiteral("queued-paint"));
    const int channels = std::clamp(p.value(QStringLiteral("channels")).toInt(), 1, int(kKeys.size()));
    const double rate = p.value(QStringLiteral("rate")).toDouble();
    const double seconds = p.value(QStringLiteral("seconds")).toDouble();
    const double warmup = p.value(QStringLiteral("warmup")).toDouble();
    const qint64 windowNs = qint64(p.value(QStringLiteral("window")).toDouble() * 1e9);

    TelemetryStore store;
    std::unique_ptr<gui::TelemetryView> view;
    std::unique_ptr<NaiveView> naiveView;
    Latency latency;
    QWidget *window = nullptr;
    std::vector<PlotCanvas *> canvases;
    if (naive) {
        naiveView = std::make_unique<NaiveView>(backend, channels, windowNs);
        window = naiveView.get();
        for (auto &c : naiveView->m_canvases)
            canvases.push_back(c.get());
    } else {
        view = std::make_unique<gui::TelemetryView>(&store, nullptr, backend);
        view->setWindowNs(windowNs);
        window = view.get();
    }
    window->resize(1400, 900);
    if (!noDraw)
        window->show();

    // The producer: lines as prudaq writes them, parsed back, appended in batches.
    std::atomic<bool> stop{false};
    std::atomic<qint64> produced{0};
    QThread *producer = QThread::create([&] {
        // The values' text is made beforehand (the node formats it, not us): a line is its
        // arrival time and one of 10,000 value tails.
        QList<QByteArray> tails;
        for (int n = 0; n < 10000; ++n) {
            QByteArray tail;
            const double s = double(n) / rate;
            for (int c = 0; c < channels; ++c) {
                const double v = c >= 6 ? double(n / 1000 * (c - 5)) : 1000 * std::sin(s * (c + 1)) + (n % 7) * 10;
                tail += ' ' + kKeys[c].toLatin1() + '=' + QByteArray::number(v, 'g', 8);
            }
            tails.append(tail);
        }
        const qint64 start = nowNs();
        qint64 n = 0;
        QByteArray line;
        while (!stop) {
            const qint64 now = nowNs();
            const qint64 due = qint64(double(now - start) * rate / 1e9);
            QList<TelemetrySet> batch;
            for (; n < due; ++n) {
                line = "t_ns=" + QByteArray::number(now) + tails[int(n % tails.size())];
                // Parse as a source would.
                TelemetrySet set;
                set.source = QStringLiteral("stream:bench");
                for (const QByteArray &f : line.split(' ')) {
                    const qsizetype eq = f.indexOf('=');
                    const QByteArray k = f.left(eq);
                    if (k == "t_ns")
                        set.tNs = f.mid(eq + 1).toLongLong();
                    else
                        set.values.append({QString::fromLatin1(k), f.mid(eq + 1).toDouble()});
                }
                batch.append(std::move(set));
            }
            if (naive)
                naiveView->append(batch);
            else
                store.append(batch);
            produced += batch.size();
            QThread::usleep(2000);
        }
    });
    producer->start();

    QTimer naiveTimer;
    qint64 frameStart = 0;
    if (naive) {
        naiveView->queued = queued;
        naiveTimer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&naiveTimer, &QTimer::timeout, [&] {
            const qint64 start = nowNs();
            naiveView->draw([&](qint64 newest) { latency.frame(newest, int(canvases.size()), start); });
        });
        naiveTimer.start(34);
    } else {
        view->setImmediatePaint(!queued);
        QObject::connect(view.get(), &gui::TelemetryView::frameStarted, [&] { frameStart = nowNs(); });
        QObject::connect(view.get(), &gui::TelemetryView::frameReady, [&](qint64 newest) {
            canvases.clear();
            for (int i = 0; i < view->plotCount(); ++i)
                canvases.push_back(view->plot(i));
            for (PlotCanvas *c : canvases)
                c->setPaintedCallback([&latency] { latency.painted(); });
            latency.frame(newest, int(canvases.size()), frameStart);
        });
    }
    for (PlotCanvas *c : canvases)
        c->setPaintedCallback([&latency] { latency.painted(); });

    double cpu0 = 0;
    qint64 wall0 = 0, produced0 = 0;
    quint64 frames0 = 0;
    auto frames = [&]() -> quint64 {
        return naive ? quint64(latency.oldestMs.size()) : view->frames();
    };
    QTimer::singleShot(int(warmup * 1000), [&] {
        cpu0 = cpuSeconds();
        wall0 = nowNs();
        produced0 = produced;
        frames0 = frames();
        latency.measuring = true;
        latency.oldestMs.clear();
        latency.waitMs.clear();
        latency.drawMs.clear();
    });
    QTimer::singleShot(int((warmup + seconds) * 1000), [&] {
        const double wall = double(nowNs() - wall0) / 1e9;
        const double cpu = cpuSeconds() - cpu0;
        const auto &l = latency.oldestMs;
        auto pct = [&l](double q) {
            return percentile(l, q);
        };
        printf("load=%s", qPrintable(QString::fromLatin1(loadAvg())));
        printf("backend=%s mode=%s channels=%d rate=%.0f window_s=%.0f\n", qPrintable(PlotCanvas::backendName(backend)),
               noDraw      ? "no-draw"
                   : naive ? (queued ? "naive-queued-paint" : "naive")
                           : (queued ? "pyramid-queued-paint" : "pyramid"),
               channels, rate, double(windowNs) / 1e9);
        const double fps = double(frames() - frames0) / wall;
        printf("samples_per_s=%.0f frames_per_s=%.1f cpu_pct_of_core=%.1f cpu_ms_per_frame_all_in=%.2f\n",
               double(produced - produced0) * channels / wall, fps, 100 * cpu / wall,
               fps > 0 ? cpu * 1000 / (fps * wall) : 0.0);
        printf(
            "latency_ms median=%.1f p95=%.1f max=%.1f (frames of 33.3 ms: median=%.2f p95=%.2f) painted_frames=%zu\n",
            pct(0.5), pct(0.95), pct(1), pct(0.5) / 33.3, pct(0.95) / 33.3, l.size());
        printf("latency_parts_ms wait_for_frame median=%.1f p95=%.1f · frame_start_to_painted median=%.1f p95=%.1f\n",
               percentile(latency.waitMs, 0.5), percentile(latency.waitMs, 0.95), percentile(latency.drawMs, 0.5),
               percentile(latency.drawMs, 0.95));
        stop = true;
        producer->wait();
        app.quit();
    });
    const int rc = app.exec();
    delete producer;
    return rc;
}
