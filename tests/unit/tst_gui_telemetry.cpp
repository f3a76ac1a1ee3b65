// The Telemetry dock fed with a real prudaq stream (captured on the virtual node with
// fault=consumer_stall, tests/data/telemetry): the channels grouped by unit, ring fills in % of
// capacity, a report marker that a click turns into reportActivated, PNG and CSV export. Run
// with both plot back ends.
#include "cyclesmodel.h"
#include "telemetry/channelgroups.h"
#include "telemetry/cyclemarkers.h"
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetrystore.h"
#include "telemetry/telemetryview.h"

#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace kms::telemetry;
using kms::gui::ChannelGroup;
using kms::gui::PlotCanvas;
using kms::gui::TelemetryView;

namespace {

// The capture read as the hub's stream source reads it: line by line through TelemetryParser. A
// last line without its newline is still being written: not a line yet.
QList<TelemetrySet> readStream(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray all = f.readAll();
    TelemetryParser parser(QStringLiteral("stream:/sys/kernel/debug/prudaq/telemetry"));
    QList<TelemetrySet> sets;
    const QList<QByteArray> lines = all.split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
        TelemetrySet set;
        if (parser.parseLine(lines[i], &set) != TelemetryParser::Result::Dropped)
            sets.append(set);
    }
    return sets;
}

const QString kCapture = QStringLiteral(KMS_TEST_DATA_DIR "/telemetry/prudaq-consumer-stall.stream");

} // namespace

class TestGuiTelemetry : public QObject
{
    Q_OBJECT
private slots:
    void channelsAreGroupedByUnit()
    {
        const QList<ChannelGroup> g = kms::gui::groupChannels(
            {QStringLiteral("buf0_fill_n"), QStringLiteral("buf0_cap_n"), QStringLiteral("lonely_fill_n"),
             QStringLiteral("overflow_total_n"), QStringLiteral("sync_err_ns"), QStringLiteral("sync_int_ns"),
             QStringLiteral("corr_ppm"), QStringLiteral("loop_us"), QStringLiteral("cpu_pct"),
             QStringLiteral("mystery"), QStringLiteral("depth_n")});
        QCOMPARE(g.size(), 9);
        QCOMPARE(g[0].kind, ChannelGroup::Fill);
        QCOMPARE(g[0].keys, QStringList{QStringLiteral("buf0_fill_n")});
        QCOMPARE(g[0].capKeys, QStringList{QStringLiteral("buf0_cap_n")});
        QCOMPARE(g[1].kind, ChannelGroup::Counters);
        QCOMPARE(g[2].keys, QStringList{QStringLiteral("sync_err_ns")}); // the error on its own axis
        QCOMPARE(g[3].keys, QStringList{QStringLiteral("sync_int_ns")});
        QCOMPARE(g[4].keys, QStringList{QStringLiteral("corr_ppm")});
        QCOMPARE(g[5].keys, QStringList{QStringLiteral("loop_us")});
        QCOMPARE(g[6].keys, QStringList{QStringLiteral("cpu_pct")});
        // A fill without its capacity is a plain count; a capacity with its fill is not plotted.
        QCOMPARE(g[7].keys, (QStringList{QStringLiteral("lonely_fill_n"), QStringLiteral("depth_n")}));
        QCOMPARE(g[8].keys, QStringList{QStringLiteral("mystery")});
    }

    void dockShowsReplayedStreamWithMarker_data()
    {
        QTest::addColumn<int>("backend");
        QTest::newRow("qcustomplot") << int(PlotCanvas::Backend::QCustomPlot);
        QTest::newRow("qtcharts") << int(PlotCanvas::Backend::QtCharts);
    }

    void dockShowsReplayedStreamWithMarker()
    {
        QFETCH(int, backend);
        const QList<TelemetrySet> sets = readStream(kCapture);
        QCOMPARE(sets.size(), 340); // and a 341st line cut by `head -c`
        TelemetryStore store;
        for (qsizetype i = 0; i < sets.size(); i += 25)
            store.append(sets.mid(i, 25));

        TelemetryView view(&store, nullptr, PlotCanvas::Backend(backend));
        view.resize(1000, 1400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setWindowNs(0); // all of it
        const qint64 first = sets.front().tNs, last = sets.back().tNs;
        const qint64 reportAt = first + (last - first) * 3 / 4;
        view.addReportMarker(reportAt, 42, QStringLiteral("BUG: unable to handle page fault in prudaq_consume"));
        view.addAlarm({first + (last - first) / 2, QStringLiteral("buf0_fill_n"), QStringLiteral("fill"), 90,
                       QStringLiteral("buf0 at 90% of capacity")});
        QSignalSpy drawn(&view, &TelemetryView::frameDrawn);
        view.refresh();
        QTest::qWait(100); // laid out: the next frame has the plots' real widths
        view.refresh();
        QVERIFY(!drawn.isEmpty());
        QCOMPARE(drawn.last().at(0).toLongLong(), last);

        // Groups from the keys' units: the four rings as %, counters, the sync error, ns, ppm, µs.
        QStringList titles;
        for (int i = 0; i < view.plotCount(); ++i)
            titles.append(view.plotTitle(i));
        QCOMPARE(titles,
                 (QStringList{QStringLiteral("fill (% of capacity)"), QStringLiteral("count since load"),
                              QStringLiteral("error (ns)"), QStringLiteral("ns"), QStringLiteral("ppm"),
                              QStringLiteral("µs")}));
        QCOMPARE(view.plotKeys(0),
                 (QStringList{QStringLiteral("msg_to_pru0_fill_n"), QStringLiteral("msg_from_pru0_fill_n"),
                              QStringLiteral("buf0_fill_n"), QStringLiteral("buf1_fill_n")}));
        QVERIFY(view.plotKeys(1).contains(QStringLiteral("overflow_total_n")));
        QVERIFY(view.plotKeys(1).contains(QStringLiteral("dropped_total_n")));
        QCOMPARE(view.plotKeys(2), QStringList{QStringLiteral("sync_err_ns")});
        QCOMPARE(view.plotKeys(3), QStringList{QStringLiteral("sync_int_ns")});
        QCOMPARE(view.plotKeys(4), QStringList{QStringLiteral("corr_ppm")});
        QCOMPARE(view.plotKeys(5), (QStringList{QStringLiteral("trig_lat_us"), QStringLiteral("loop_us")}));

        // The stalled consumer: buf0 from 93/512 of its capacity to full, in %.
        const QList<QPointF> fill = view.lineData(QStringLiteral("buf0_fill_n"));
        QVERIFY(fill.size() >= 2);
        QCOMPARE(fill.front().y(), 93.0 * 100 / 512);
        QCOMPARE(fill.back().y(), 100.0);
        QCOMPARE(qint64(std::llround(fill.back().x() * 1e9)), last);

        // scripts/screenshots: the dock with the filling buffers, per back end.
        const QString shots = qEnvironmentVariable("KMS_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            QCoreApplication::processEvents();
            view.grab().save(shots
                             + QStringLiteral("/telemetry-%1.png").arg(QString::fromLatin1(QTest::currentDataTag())));
        }

        // Both markers are on every plot; a click on the report's opens it, elsewhere it does not.
        QCOMPARE(view.visibleMarkerIndexes(0).size(), 2);
        QSignalSpy activated(&view, &TelemetryView::reportActivated);
        PlotCanvas *c = view.plot(2);
        const double px = c->xToPixel(double(reportAt) / 1e9);
        const QPointF at(px, c->plotArea().center().y());
        QTest::mouseClick(c->mouseWidget(), Qt::LeftButton, {}, at.toPoint());
        QCOMPARE(activated.size(), 1);
        QCOMPARE(activated.first().at(0).toInt(), 42);
        QTest::mouseClick(c->mouseWidget(), Qt::LeftButton, {}, (at + QPointF(40, 0)).toPoint());
        QCOMPARE(activated.size(), 1);

        // Zoom pauses the view on the chosen span; reset follows again.
        view.zoom(0.5, double(last) / 1e9);
        QVERIFY(view.isPaused());
        QVERIFY(std::abs(double(view.visibleLastNs() - view.visibleFirstNs()) - double(last - first) / 2) < 1e6);
        view.resetView();
        QVERIFY(!view.isPaused());
        QCOMPARE(view.visibleLastNs(), last);

        // Export of the visible range.
        QTemporaryDir dir;
        QVERIFY(view.exportPng(dir.filePath(QStringLiteral("t.png"))));
        const QImage png(dir.filePath(QStringLiteral("t.png")));
        QVERIFY(png.width() > 500 && png.height() > 500);
        QString error;
        QVERIFY2(view.exportCsv(dir.filePath(QStringLiteral("t.csv")), &error), qPrintable(error));
        QFile csv(dir.filePath(QStringLiteral("t.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> rows = csv.readAll().trimmed().split('\n');
        QCOMPARE(rows.size(), 1 + 340);
        QVERIFY(rows.front().startsWith("t_ns,msg_to_pru0_fill_n,msg_to_pru0_cap_n,"));
        QVERIFY(rows.back().startsWith(QByteArray::number(last) + ",0,16,"));
    }

    void cycleBoundariesThinOutAndTheWorstShowsThrough()
    {
        // 10,000 cycles of 40 ms (begin, load, unload, end each) on a 1000-pixel plot.
        kms::gui::CycleMarkers m;
        const qint64 t0 = 5'000'000'000, cycleNs = 40'000'000;
        for (int n = 1; n <= 10000; ++n) {
            const qint64 b = t0 + (n - 1) * cycleNs;
            m.add({n, CycleBoundary::Kind::Begin, b, 0});
            m.add({n, CycleBoundary::Kind::Loaded, b + 10'000'000, 0});
            m.add({n, CycleBoundary::Kind::Unloaded, b + 30'000'000, 0});
            m.add({n, CycleBoundary::Kind::End, b + 35'000'000, 0});
            m.setVerdict(n, n == 7321 ? kms::Verdict::Crash : kms::Verdict::Pass);
        }
        const qint64 t1 = t0 + 10000 * cycleNs;
        const QList<PlotCanvas::Marker> all = m.visible(t0, t1, 1000, true);
        QVERIFY(all.size() <= 1000 / kms::gui::CycleMarkers::minSpacingPx + 1);
        QVERIFY(all.size() >= 1000 / kms::gui::CycleMarkers::minSpacingPx - 1);
        int crashes = 0, labels = 0;
        for (const PlotCanvas::Marker &x : all) {
            crashes += x.color == kms::gui::CyclesModel::verdictColor(kms::Verdict::Crash) ? 1 : 0;
            labels += x.label.isEmpty() ? 0 : 1;
        }
        QCOMPARE(crashes, 1);
        QVERIFY(labels <= 1000 / kms::gui::CycleMarkers::labelSpacingPx + 1);
        // Zoomed in on cycle 7321: its three boundaries, no end marker, the begin labelled.
        const qint64 b = t0 + 7320 * cycleNs;
        const QList<PlotCanvas::Marker> one = m.visible(b - 1'000'000, b + 39'000'000, 1000, true);
        QCOMPARE(one.size(), 3);
        QCOMPARE(one[0].label, QStringLiteral("#7321"));
        QCOMPARE(one[1].style, Qt::DashLine);
        QCOMPARE(one[2].style, Qt::DotLine);
        // The nearest boundary within a tolerance, for clicks; ends are not targets.
        QVERIFY(m.boundaries()[*m.near(b + 29'000'000, 2'000'000)].kind == CycleBoundary::Kind::Unloaded);
        QVERIFY(!m.near(b + 20'000'000, 2'000'000));
        QVERIFY(!m.near(b + 35'000'000, 1'000'000));
    }
};

QTEST_MAIN(TestGuiTelemetry)
#include "tst_gui_telemetry.moc"
