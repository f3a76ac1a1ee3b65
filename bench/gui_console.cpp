// bench_gui_console [--seconds S] [--rates R1,R2,...] [--fill N] [--max-lines N] [--split]
//                   [--show SOURCE]
//
// First fills the real main window's console to N lines (default 1,000,000) and prints the
// process RSS and the store's size, how long switching the console to one source and back takes,
// and how long a search of all of it takes. Then feeds it (MainWindow::feedLines: console model +
// view, report detection in its worker thread) at fixed rates, in batches every 10 ms as a link
// delivers them, the seed oops mixed in every 50,000 lines. For each rate it prints the lines/s
// taken and the longest GUI-thread stall (the largest lateness of a 5 ms probe timer: a frame
// that took longer than that kept the window from repainting). The stall includes making the
// lines, which the benchmark does on the GUI thread (a link makes them in its own thread).
//
// --max-lines sets the console's cap (e.g. to the fill, so that the rates run while the oldest
// lines are dropped); --split sends every third line as "ssh-dmesg" rather than "serial";
// --show keeps the console on that one source while the rates run.
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
    bool split = false;
    QList<LogLine> next(int count)
    {
        QList<LogLine> lines;
        lines.reserve(count);
        for (int i = 0; i < count; ++i, ++n) {
            LogLine l;
            l.timeNs = hostTimeNowNs();
            l.source = split && n % 3 == 0 ? QStringLiteral("ssh-dmesg") : QStringLiteral("serial");
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
    const QCommandLineOption maxLinesOption(QStringLiteral("max-lines"), QStringLiteral("console cap (0: default)"),
                                            QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption splitOption(QStringLiteral("split"), QStringLiteral("every third line from ssh-dmesg"));
    const QCommandLineOption showOption(QStringLiteral("show"), QStringLiteral("show one source during the rates"),
                                        QStringLiteral("SOURCE"));
    parser.addOptions({secondsOption, ratesOption, fillOption, maxLinesOption, splitOption, showOption});
    parser.process(app);

    Source source;
    source.split = parser.isSet(splitOption);
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
    if (const int cap = parser.value(maxLinesOption).toInt(); cap > 0)
        window.consoleModel()->setMaxLines(cap);

    const int fill = parser.value(fillOption).toInt();
    QElapsedTimer fillClock;
    fillClock.start();
    for (qint64 fed = 0; fed < fill; fed += std::min<qint64>(10000, fill - fed))
        window.feedLines(source.next(int(std::min<qint64>(10000, fill - fed))));
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
    std::printf("RSS at start %lld MB, at %d lines %lld MB (store %lld MB), reports %d\n", rssStart / 1024,
                window.consoleModel()->rowCount(), rssKb() / 1024,
                (long long)(window.consoleModel()->storeBytes() / (1024 * 1024)), window.reportsModel()->rowCount());

    // One source alone and back (serial: every line, or two in three with --split).
    gui::ConsoleView *console = window.consoleView();
    QElapsedTimer switchClock;
    switchClock.start();
    console->showSource(QStringLiteral("serial"));
    QApplication::processEvents();
    const qint64 toSourceMs = switchClock.restart();
    const int sourceRows = console->shownRowCount();
    console->showSource({});
    QApplication::processEvents();
    std::printf("switch to one source (%d rows) %lld ms, back to all %lld ms\n", sourceRows, (long long)toSourceMs,
                (long long)switchClock.elapsed());

    // A search of everything, in slices.
    {
        qint64 maxStallMs = 0;
        QElapsedTimer probeClock;
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        QObject::connect(&probe, &QTimer::timeout,
                         [&] { maxStallMs = std::max(maxStallMs, probeClock.restart() - 5); });
        bool done = false;
        QObject::connect(console, &gui::ConsoleView::searchFinished, &probe, [&] { done = true; });
        QElapsedTimer searchClock;
        searchClock.start();
        probeClock.start();
        probe.start(5);
        console->startSearch(QStringLiteral("corr=7 ppm fill=40"), false);
        while (!done)
            QApplication::processEvents(QEventLoop::AllEvents, 50);
        std::printf("search of %d lines: %lld ms, %d matches, max GUI stall %lld ms\n", console->shownRowCount(),
                    (long long)searchClock.elapsed(), console->matchCount(), (long long)maxStallMs);
        console->startSearch({}, false);
        console->setFollowTail(true);
    }
    if (parser.isSet(showOption)) {
        console->showSource(parser.value(showOption));
        std::printf("showing %s: %d rows\n", qPrintable(console->shownSource()), console->shownRowCount());
    }
    std::printf("\n");
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
    std::printf("\nat the end: %d lines stored, %lld dropped, RSS %lld MB (store %lld MB)\n",
                window.consoleModel()->storedCount(), (long long)window.consoleModel()->droppedCount(), rssKb() / 1024,
                (long long)(window.consoleModel()->storeBytes() / (1024 * 1024)));

    return 0;
}
