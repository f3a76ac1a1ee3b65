// bench_gui_console [--seconds S] [--rates R1,R2,...] [--fill N]
//
// First fills the real main window's console to N lines (default 1,000,000) and prints the
// process RSS and the store's size. Then feeds it (MainWindow::feedLines: console model + view,
// report detection in its worker thread) at fixed rates, in batches every 10 ms as a link
// delivers them, the seed oops mixed in every 50,000 lines. For each rate it prints the lines/s
// taken and the longest GUI-thread stall (the largest lateness of a 5 ms probe timer: a frame
// that took longer than that kept the window from repainting). The stall includes making the
// lines, which the benchmark does on the GUI thread (a link makes them in its own thread).
#include "consolemodel.h"
#include "consoleview.h"
#include "mainwindow.h"
#include "reportsmodel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

using namespace kms;

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

struct Source {
    QList<QByteArray> seed;
    qint64 n = 0;
    QList<LogLine> next(int count)
    {
        QList<LogLine> lines;
        lines.reserve(count);
        for (int i = 0; i < count; ++i, ++n) {
            LogLine l;
            l.timeNs = hostTimeNowNs();
            l.source = QStringLiteral("serial");
            const qint64 inCycle = n % 50000;
            if (inCycle < seed.size())
                l.text = seed[int(inCycle)];
            else
                l.text = "[ " + QByteArray::number(double(n) / 1e4, 'f', 6)
                    + "] prudaq 4a300000.pruss: sync err=" + QByteArray::number(n % 977)
                    + " ns corr=" + QByteArray::number(n % 31) + " ppm fill=" + QByteArray::number(n % 4096);
            lines.append(std::move(l));
        }
        return lines;
    }
};

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QTemporaryDir settingsDir; // no user profile or layout, none left behind
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("kmodscope-bench"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption secondsOption(QStringLiteral("seconds"), QStringLiteral("seconds per rate"),
                                           QStringLiteral("S"), QStringLiteral("3"));
    const QCommandLineOption ratesOption(QStringLiteral("rates"), QStringLiteral("lines/s to try"),
                                         QStringLiteral("LIST"), QStringLiteral("10000,100000,300000,1000000"));
    const QCommandLineOption fillOption(QStringLiteral("fill"), QStringLiteral("lines at the end"), QStringLiteral("N"),
                                        QStringLiteral("1000000"));
    parser.addOptions({secondsOption, ratesOption, fillOption});
    parser.process(app);

    Source source;
    QFile seed(QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log"));
    if (seed.open(QIODevice::ReadOnly))
        source.seed = seed.readAll().trimmed().split('\n');

    const qint64 rssStart = rssKb();
    gui::StartOptions options;
    options.connect = false;
    gui::MainWindow window(options);
    window.resize(1400, 850);
    window.show();
    QApplication::processEvents();

    const int fill = parser.value(fillOption).toInt();
    QElapsedTimer fillClock;
    fillClock.start();
    while (window.consoleModel()->storedCount() < fill)
        window.feedLines(source.next(std::min(10000, fill - window.consoleModel()->storedCount())));
    window.consoleModel()->flushPending();
    QApplication::processEvents();
    const qint64 fillMs = fillClock.elapsed();
    // Let the report worker catch up before measuring.
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 3000)
        QApplication::processEvents(QEventLoop::AllEvents, 50);
    // Scroll to the top and back: the view must not need per-row work.
    QElapsedTimer scroll;
    scroll.start();
    window.consoleView()->listView()->scrollToTop();
    QApplication::processEvents();
    window.consoleView()->listView()->scrollToBottom();
    QApplication::processEvents();
    std::printf("fill to %d lines: %lld ms unthrottled (%.0f lines/s)\n", window.consoleModel()->rowCount(),
                (long long)fillMs, fillMs > 0 ? double(fill) * 1000.0 / double(fillMs) : 0.0);
    std::printf("scroll top+bottom at %d lines: %lld ms\n", window.consoleModel()->rowCount(),
                (long long)scroll.elapsed());
    std::printf("RSS at start %lld MB, at %d lines %lld MB (store %lld MB), reports %d\n\n", rssStart / 1024,
                window.consoleModel()->rowCount(), rssKb() / 1024,
                (long long)(window.consoleModel()->storeBytes() / (1024 * 1024)), window.reportsModel()->rowCount());
    std::printf("%-12s %-14s %-16s %-10s\n", "target/s", "taken lines/s", "max GUI stall ms", "reports");
    const int seconds = parser.value(secondsOption).toInt();
    for (const QString &r : parser.value(ratesOption).split(QLatin1Char(','))) {
        const int rate = r.toInt();
        const int perBatch = std::max(1, rate / 100);
        qint64 fed = 0;
        qint64 maxStallMs = 0;
        QElapsedTimer clock;
        clock.start();
        QElapsedTimer probeClock;
        probeClock.start();
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        QObject::connect(&probe, &QTimer::timeout,
                         [&] { maxStallMs = std::max(maxStallMs, probeClock.restart() - 5); });
        QTimer feeder;
        feeder.setTimerType(Qt::PreciseTimer);
        QObject::connect(&feeder, &QTimer::timeout, [&] {
            // Catch up to the rate (a late tick feeds more, as a link's buffer would).
            const qint64 due = clock.elapsed() * rate / 1000;
            while (fed < due) {
                const int n = int(std::min<qint64>(perBatch, due - fed));
                window.feedLines(source.next(n));
                fed += n;
                if (clock.elapsed() * rate / 1000 - fed > rate) // more than 1 s behind: give up
                    break;
            }
        });
        probe.start(5);
        feeder.start(10);
        while (clock.elapsed() < seconds * 1000)
            QApplication::processEvents(QEventLoop::AllEvents, 50);
        feeder.stop();
        probe.stop();
        window.consoleModel()->flushPending();
        std::printf("%-12d %-14.0f %-16lld %-10d\n", rate, double(fed) * 1000.0 / double(clock.elapsed()),
                    (long long)maxStallMs, window.reportsModel()->rowCount());
        std::fflush(stdout);
    }

    return 0;
}
