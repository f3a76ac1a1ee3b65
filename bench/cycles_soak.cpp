// bench_cycles_soak [--cycles N] [--every K] [--node-dir DIR] [--params P]
//
// The GUI's side of the soak: the real main window (console, reports, Cycles dock ...) connected
// to the virtual node (scripts/vnode, KMODSCOPE_VNODE_DIR or --node-dir) runs N clean reload
// cycles of prudaq (fault=none) from the Cycles dock's Start button, and prints the process RSS
// (VmRSS and RssAnon from /proc/self/status) after every K cycles, the run's totals, wall time
// and the load average. Lines starting with "FIGURE " carry the numbers; the growth is taken
// from cycle 50 (the heap has settled by then) to the end. Run it with QT_QPA_PLATFORM=offscreen
// under `nice`; not run by ctest (bench/cycle_compare.py soak is the CLI's counterpart).
// --no-teardown exits with the window still up: under a heap profiler (heaptrack
// bench_cycles_soak --no-teardown) what it held at the end shows as not freed, by call site.
#include "cyclesmodel.h"
#include "cyclesview.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCheckBox>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

using namespace kms;
using namespace kms::gui;

namespace {

// kB of a /proc/self/status field ("VmRSS", "RssAnon"), -1 when absent.
qint64 statusKb(const QByteArray &field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(field + ':'))
            return line.mid(field.size() + 1).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> parts = f.readAll().split(' ');
    return QString::fromUtf8(parts.mid(0, 3).join(' '));
}

QHash<QString, QString> vnodeStatus(const QString &nodeDir)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!nodeDir.isEmpty())
        env.insert(QStringLiteral("KMODSCOPE_VNODE_DIR"), nodeDir);
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(KMS_SOURCE_DIR "/scripts/vnode"), {QStringLiteral("status")});
    p.waitForFinished(60000);
    QHash<QString, QString> kv;
    for (const QByteArray &line : p.readAllStandardOutput().split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0)
            kv.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return kv;
}

void fail(const QString &why)
{
    std::fprintf(stderr, "bench_cycles_soak: %s\n", qPrintable(why));
    std::exit(1);
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser cl;
    cl.addHelpOption();
    cl.addOption(
        {QStringLiteral("cycles"), QStringLiteral("Cycles to run."), QStringLiteral("N"), QStringLiteral("1000")});
    cl.addOption({QStringLiteral("every"), QStringLiteral("Sample RSS every K cycles."), QStringLiteral("K"),
                  QStringLiteral("25")});
    cl.addOption({QStringLiteral("node-dir"), QStringLiteral("The node's KMODSCOPE_VNODE_DIR."), QStringLiteral("DIR"),
                  qEnvironmentVariable("KMODSCOPE_VNODE_DIR")});
    cl.addOption({QStringLiteral("params"), QStringLiteral("Module parameters."), QStringLiteral("P"),
                  QStringLiteral("fault=none")});
    cl.addOption({QStringLiteral("no-teardown"), QStringLiteral("Exit with the window still up (heap profiling).")});
    cl.process(app);
    const int cycles = cl.value(QStringLiteral("cycles")).toInt();
    const int every = qMax(1, cl.value(QStringLiteral("every")).toInt());

    // Settings, session logs and caches in a directory of our own, as the GUI tests do.
    QTemporaryDir dir;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("kmodscope-bench"));
    QCoreApplication::setApplicationName(QStringLiteral("bench_cycles_soak"));
    qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
    qputenv("XDG_CACHE_HOME", dir.filePath(QStringLiteral("cache")).toUtf8());

    const QHash<QString, QString> st = vnodeStatus(cl.value(QStringLiteral("node-dir")));
    if (st.value(QStringLiteral("state")) != QLatin1String("up"))
        fail(QStringLiteral("the virtual node is not up (scripts/vnode up; state=%1)").arg(st.value("state")));

    StartOptions o;
    o.serial = st.value(QStringLiteral("serial_pty"));
    o.sshHost = QStringLiteral("127.0.0.1");
    o.sshPort = st.value(QStringLiteral("ssh_port")).toInt();
    o.sshUser = QStringLiteral("root");
    o.sshKey = st.value(QStringLiteral("ssh_key"));
    o.knownHosts = st.value(QStringLiteral("known_hosts"));
    o.koPaths = {st.value(QStringLiteral("ko_dir")) + QStringLiteral("/prudaq.ko")};
    MainWindow w(o);
    w.resize(1400, 900);
    w.show();
    CyclesView *view = w.cyclesView();

    QJsonArray samples; // [cycle, VmRSS kB, RssAnon kB]
    QElapsedTimer clock;
    const QString loadBefore = loadAverage();
    auto sample = [&](int n) {
        samples.append(QJsonArray{n, statusKb("VmRSS"), statusKb("RssAnon")});
        std::printf("cycle %d: VmRSS %lld kB, RssAnon %lld kB\n", n, statusKb("VmRSS"), statusKb("RssAnon"));
        std::fflush(stdout);
    };
    QObject::connect(view->runner(), &CycleRunner::cycleFinished, &w, [&](const CycleResult &c) {
        if (c.n % every == 0 || c.n == 50)
            sample(c.n);
    });
    QObject::connect(view->runner(), &CycleRunner::runFinished, &w, [&](RunEnd end, const QString &message) {
        const double wall = clock.elapsed() / 1000.0;
        const RunTotals t = view->model()->totals();
        QJsonObject totals;
        for (auto it = t.byVerdict.cbegin(); it != t.byVerdict.cend(); ++it)
            totals.insert(toString(it.key()), it.value());
        qint64 at50 = -1, atEnd = -1, anon50 = -1, anonEnd = -1;
        for (const QJsonValue &s : std::as_const(samples)) {
            const QJsonArray a = s.toArray();
            if (at50 < 0 && a[0].toInt() >= 50) {
                at50 = a[1].toInteger();
                anon50 = a[2].toInteger();
            }
            atEnd = a[1].toInteger();
            anonEnd = a[2].toInteger();
        }
        const QJsonObject figure{{QStringLiteral("cycles"), t.cycles},
                                 {QStringLiteral("totals"), totals},
                                 {QStringLiteral("run_end"), toString(end)},
                                 {QStringLiteral("wall_s"), wall},
                                 {QStringLiteral("load_before"), loadBefore},
                                 {QStringLiteral("load_after"), loadAverage()},
                                 {QStringLiteral("rss_kb"), samples},
                                 {QStringLiteral("rss_growth_kb_after_cycle_50"), atEnd - at50},
                                 {QStringLiteral("anon_growth_kb_after_cycle_50"), anonEnd - anon50}};
        std::printf("FIGURE soak-gui %s\n", QJsonDocument(figure).toJson(QJsonDocument::Compact).constData());
        std::printf("%d cycles in %.0f s (%s: %s): RSS %lld kB at cycle 50, %lld kB at the end (growth %lld kB)\n",
                    t.cycles, wall, qPrintable(toString(end)), qPrintable(message), at50, atEnd, atEnd - at50);
        std::fflush(stdout);
        const int rc = t.cycles == cycles && t.byVerdict.value(Verdict::Pass) == cycles ? 0 : 1;
        if (cl.isSet(QStringLiteral("no-teardown")))
            std::exit(rc);
        QCoreApplication::exit(rc);
    });

    // Start once both links are up, as a user would.
    QTimer poll;
    QElapsedTimer waited;
    waited.start();
    QObject::connect(&poll, &QTimer::timeout, &w, [&] {
        if (w.serialStateText() != QLatin1String("up") || w.sshStateText() != QLatin1String("up")) {
            if (waited.elapsed() > 120000)
                fail(QStringLiteral("the links did not come up: serial %1, ssh %2")
                         .arg(w.serialStateText(), w.sshStateText()));
            return;
        }
        poll.stop();
        view->findChild<QLineEdit *>(QStringLiteral("cycleModule"))->setText(QStringLiteral("prudaq"));
        view->findChild<QLineEdit *>(QStringLiteral("cycleParams"))->setText(cl.value(QStringLiteral("params")));
        view->findChildren<QSpinBox *>().first()->setValue(cycles); // the count comes first in the form
        for (QCheckBox *box : view->findChildren<QCheckBox *>()) {
            if (box->text() == QLatin1String("until the first failure"))
                box->setChecked(false);
        }
        std::printf("links up after %.1f s; RSS %lld kB before the run; load %s\n", waited.elapsed() / 1000.0,
                    statusKb("VmRSS"), qPrintable(loadBefore));
        std::fflush(stdout);
        clock.start();
        view->startButton()->click();
    });
    poll.start(200);
    return app.exec();
}
