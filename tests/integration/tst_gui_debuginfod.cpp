// The main window (offscreen) decoding a report of a module given stripped, with debuginfod: a
// real `debuginfod` on 127.0.0.1 resolves the frames to addr2line's lines; a server that is down
// or silent never blocks the GUI thread (a heartbeat timer on it is measured while the fetch runs)
// and each of the module's frame rows says why it has no line. Each window gets its own
// DEBUGINFOD_CACHE_PATH, else a server that is down would pass from the cache.
#include "debuginfodfixture.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "symbols/symbolizer.h"

#include "gui_test_support.h"

#include <QApplication>
#include <QTimer>
#include <QTreeWidget>

using namespace kms;
using namespace kms::gui;

namespace {

constexpr int ModuleColumn = 1;
constexpr int LocationColumn = 3;

// The longest time the GUI thread went without running its event loop, while it is alive.
class Heartbeat
{
public:
    Heartbeat()
    {
        m_since.start();
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, [this] { m_longest = std::max(m_longest, m_since.restart()); });
        m_timer.start();
    }
    qint64 longestMs() const { return std::max(m_longest, m_since.elapsed()); }

private:
    QTimer m_timer;
    QElapsedTimer m_since;
    qint64 m_longest = 0;
};

} // namespace

class TestGuiDebuginfod : public QObject
{
    Q_OBJECT

    dbgtest::Fixture fx;
    QTemporaryDir m_settings;

    // A window with the stripped module, debuginfod at `url` (fresh cache), the report fed in.
    std::unique_ptr<MainWindow> window(const QString &url, const QString &timeoutSeconds)
    {
        // Read by the session's client when the window makes it, and by libdebuginfod per fetch.
        qputenv("DEBUGINFOD_URLS", url.toUtf8());
        qputenv("DEBUGINFOD_CACHE_PATH", fx.freshCache().toUtf8());
        qputenv("DEBUGINFOD_TIMEOUT", timeoutSeconds.toUtf8());
        StartOptions options;
        options.connect = false;
        options.koPaths = {fx.stripped};
        auto w = std::make_unique<MainWindow>(options);
        w->show();
        QFile log(fx.log);
        if (log.open(QIODevice::ReadOnly))
            w->feedLines(guitest::asLines(log.readAll(), QStringLiteral("serial")));
        return w;
    }

    // The report's id once it is listed, and shown in the Reports view.
    static int shownReport(MainWindow &w)
    {
        int id = -1;
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->rowCount() == 1, 10000);
        }();
        if (w.reportsModel()->rowCount() != 1)
            return -1;
        id = w.reportsModel()->entryAt(0)->id;
        if (w.reportsView()->currentReportId() != id)
            w.reportsView()->selectReport(id);
        return id;
    }

    // The location column of the module's frame rows as the user sees them.
    static QStringList moduleRowLocations(MainWindow &w)
    {
        QStringList texts;
        QTreeWidget *tree = w.reportsView()->frameTree();
        for (int i = 0; i < tree->topLevelItemCount(); ++i) {
            if (tree->topLevelItem(i)->text(ModuleColumn) == QLatin1String("kmsfixture"))
                texts.append(tree->topLevelItem(i)->text(LocationColumn));
        }
        return texts;
    }

    static bool allAre(const QStringList &texts, const QString &want)
    {
        return texts.size() >= 20
            && std::all_of(texts.cbegin(), texts.cend(), [&](const QString &t) { return t == want; });
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_settings.isValid());
        guitest::isolate(m_settings, QStringLiteral("tst_gui_debuginfod"));
        const QString problem = fx.setUp();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void cleanup()
    {
        qunsetenv("DEBUGINFOD_URLS");
        qunsetenv("DEBUGINFOD_CACHE_PATH");
        qunsetenv("DEBUGINFOD_TIMEOUT");
    }

    // The real server: the stripped module's frame rows show addr2line's file:line (of the
    // unstripped module), the source opening by itself at the guilty frame's.
    void debuginfodResolvesStrippedModuleInTheWindow()
    {
        auto w = window(fx.server.url, QStringLiteral("15"));
        const int id = shownReport(*w);
        QVERIFY(id >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            w->reportsModel()->entry(id)->resolved && !waitsForDebuginfod(w->reportsModel()->entry(id)->report), 20000);
        const KernelReport report = w->reportsModel()->entry(id)->report;
        int checked = 0;
        for (qsizetype i = 0; i < report.frames.size(); ++i) {
            const Frame &f = report.frames[i];
            if (f.module != QLatin1String("kmsfixture"))
                continue;
            const QString want = fx.oracle(f.function, f.offset.value_or(0), f.exactPc);
            QVERIFY2(f.error.isEmpty(), qPrintable(f.function + QStringLiteral(": ") + f.error));
            QCOMPARE(f.file + QLatin1Char(':') + QString::number(f.line), want);
            QTreeWidgetItem *row = w->reportsView()->frameItem(int(i));
            QVERIFY(row);
            QCOMPARE(row->text(LocationColumn), QFileInfo(want).fileName());
            ++checked;
        }
        QVERIFY(checked >= 20);
    }

    // Nothing listens on the port: each module frame row says the server is unreachable, at
    // once, and kernel frames keep their own reason (no vmlinux, no build id of the kernel).
    void debuginfodServerDownSaysSoPerFrameRow()
    {
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(dbgtest::freePort());
        QElapsedTimer t;
        t.start();
        auto w = window(url, QStringLiteral("6"));
        Heartbeat beat; // from the report on (making the window is not what is measured)
        QVERIFY(shownReport(*w) >= 0);
        const QString want = QStringLiteral("debuginfod: server unreachable (%1)").arg(url);
        QTRY_VERIFY_WITH_TIMEOUT(allAre(moduleRowLocations(*w), want), 10000);
        qInfo("server down: rows said so after %lld ms; GUI thread's longest stall %lld ms", t.elapsed(),
              beat.longestMs());
        // The other frame rows: the core kernel's, with no vmlinux and no kernel build id.
        QTreeWidget *tree = w->reportsView()->frameTree();
        int kernelRows = 0;
        for (int i = 0; i < tree->topLevelItemCount(); ++i) {
            if (tree->topLevelItem(i)->text(ModuleColumn).isEmpty()) {
                QCOMPARE(tree->topLevelItem(i)->text(LocationColumn), symbolerror::NoVmlinux);
                ++kernelRows;
            }
        }
        QVERIFY(kernelRows > 0);
        // A blocked GUI thread would stall for the whole connection attempt at least; 2 s is
        // a third of the stall timeout it would otherwise wait for.
        QVERIFY2(beat.longestMs() < 2000, qPrintable(QString::number(beat.longestMs())));
    }

    // A server that accepts and never answers (a stalled or overloaded one): the rows say "still
    // fetching" while the GUI thread keeps running, then the timeout, per row.
    void debuginfodSilentServerNeverBlocksTheWindow()
    {
        dbgtest::Server slow;
        QString why;
        QVERIFY2(slow.startSilent(&why), qPrintable(why));
        QElapsedTimer t;
        t.start();
        auto w = window(slow.url, QStringLiteral("6"));
        Heartbeat beat;
        QVERIFY(shownReport(*w) >= 0);
        const QString fetching = QStringLiteral("debuginfod: still fetching build id %1 (%2)")
                                     .arg(QString::fromLatin1(fx.buildId), slow.url);
        QTRY_VERIFY_WITH_TIMEOUT(allAre(moduleRowLocations(*w), fetching), 10000);
        const qint64 fetchingMs = t.elapsed();
        const QString timedOut = QStringLiteral("debuginfod: timed out, no data for 6 s (%1)").arg(slow.url);
        // The 6 s stall timeout, checked each second: within 3x (6 + 1) s.
        QTRY_VERIFY_WITH_TIMEOUT(allAre(moduleRowLocations(*w), timedOut), 21000);
        qInfo("silent server: 'still fetching' after %lld ms, the timeout after %lld ms; GUI thread's longest "
              "stall %lld ms",
              fetchingMs, t.elapsed(), beat.longestMs());
        // Waiting in the GUI thread would stall it for the 6 s timeout: a third of that.
        QVERIFY2(beat.longestMs() < 2000, qPrintable(QString::number(beat.longestMs())));
        // The request did reach the server (the timeout is its, not a refused connection).
        const QByteArray seen = slow.process.readAll();
        QVERIFY2(seen.contains("request /buildid/" + fx.buildId + "/debuginfo"), seen.constData());
    }
};

QTEST_MAIN(TestGuiDebuginfod)
#include "tst_gui_debuginfod.moc"
