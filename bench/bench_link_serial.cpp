// Serial ingest throughput: a writer thread pushes a console log through a pty as fast as the
// kernel takes it; SerialLink (its own thread) drains and assembles lines; the consumer (main
// thread, as in the GUI and `watch`) runs every line through ReportDetector. Prints MB/s from
// the first byte written to the last line detected, and checks that no line and no report is
// lost. Usage: bench_link_serial [MB]   (default 50)
#include "ptypeer.h"

#include "link/seriallink.h"
#include "report/reportdetector.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <thread>

using namespace kms;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int megabytes = argc > 1 ? std::atoi(argv[1]) : 50;

    QFile seedFile(QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log"));
    if (!seedFile.open(QIODevice::ReadOnly))
        return 1;
    QByteArray oops = seedFile.readAll();
    oops.replace("\n", "\r\n");

    // Ordinary console chatter with an oops every ~1 MB, CRLF as a UART sends it.
    QByteArray input;
    input.reserve(qsizetype(megabytes) * 1024 * 1024 + oops.size() * 2);
    qint64 expectedLines = 0;
    int expectedReports = 0;
    qint64 n = 0;
    while (input.size() < qsizetype(megabytes) * 1024 * 1024) {
        input += "[ " + QByteArray::number(n / 1000) + "." + QByteArray::number(100000 + n % 1000)
            + "] prudaq prudaq.0: ring 0 fill 1234/4096, sync err -12 ns, corr 0.25 ppm\r\n";
        ++expectedLines;
        if (++n % 12000 == 0) {
            input += oops;
            expectedLines += oops.count('\n');
            ++expectedReports;
        }
    }

    QTemporaryDir dir;
    PtyPeer peer(dir.filePath(QStringLiteral("ttyBENCH")));
    if (!peer.create())
        return 1;
    SerialSettings settings;
    settings.path = peer.linkPath();
    SerialLink link(settings);

    qint64 lines = 0;
    int reports = 0;
    ReportDetector detector([&reports](KernelReport &&) { ++reports; });
    QElapsedTimer clock;
    std::thread writer;
    qint64 doneMs = 0;
    QObject::connect(&link, &SerialLink::linesReceived, &app, [&](const QList<LogLine> &batch) {
        for (const LogLine &line : batch) {
            if (line.flags & (LogLine::Event | LogLine::Sent))
                continue;
            detector.feedLine(line.text);
            ++lines;
        }
        if (lines == expectedLines && doneMs == 0) {
            doneMs = clock.elapsed();
            detector.finish();
            QCoreApplication::quit();
        }
    });
    QObject::connect(&link, &SerialLink::stateChanged, &app, [&](SerialLink::State state, const QString &) {
        if (state == SerialLink::State::Open && !writer.joinable()) {
            clock.start();
            writer = std::thread([&] { peer.writeAll(input); });
        }
    });
    QTimer::singleShot(120000, &app, [] { QCoreApplication::exit(2); });
    link.start();
    const int status = QCoreApplication::exec();
    if (writer.joinable())
        writer.join();

    const double mbps = input.size() / 1e6 / (doneMs / 1e3);
    std::printf("serial ingest: %.1f MB in %lld ms = %.1f MB/s (goal >= 20); lines %lld/%lld, reports %d/%d%s\n",
                input.size() / 1e6, static_cast<long long>(doneMs), mbps, static_cast<long long>(lines),
                static_cast<long long>(expectedLines), reports, expectedReports,
                (status == 0 && lines == expectedLines && reports == expectedReports) ? ", no loss" : ", LOSS");
    return status == 0 && lines == expectedLines && reports == expectedReports ? 0 : 1;
}
