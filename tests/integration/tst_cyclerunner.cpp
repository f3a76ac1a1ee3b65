// CycleRunner's state machine against a real sshd on 127.0.0.1 and the real cycle script, on a
// fake node (tests/integration/fakenode/README.md): passes, a failing load, a module stuck in
// 'going', a cycle that times out, refusals before the module is touched, leaks from the slab
// traces, kmemleak at the end, and stop() in every state. The kept shell the cycles run on:
// tst_cycleshell.
#include "fakenodetest.h"

#include "cycle/cyclerunner.h"
#include "cycle/cyclescript.h"
#include "node/nodesession.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace kms;

class TestCycleRunner : public FakeNodeTest
{
    Q_OBJECT

private:
    std::unique_ptr<SshdFixture> m_sudoSshd; // sudo(): a non-root login, started on first use

private Q_SLOTS:
    void initTestCase() { QVERIFY(setUpNode()); }

    void init() { QVERIFY(resetNode()); }

    void passes()
    {
        CycleRunner runner(m_link.get());
        QSignalSpy started(&runner, &CycleRunner::cycleStarted);
        QSignalSpy finished(&runner, &CycleRunner::cycleFinished);
        QSignalSpy steps(&runner, &CycleRunner::stepFinished);
        QSignalSpy progress(&runner, &CycleRunner::progress);
        QVERIFY(runner.start(config(3)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Completed));
        QCOMPARE(started.size(), 3);
        QCOMPARE(finished.size(), 3);
        QCOMPARE(progress.size(), 3);
        QCOMPARE(progress.last().at(0).toInt(), 3);
        QVERIFY(steps.size() >= 3 * 6);
        const RunTotals totals = runner.totals();
        QCOMPARE(totals.cycles, 3);
        QCOMPARE(totals.byVerdict.value(Verdict::Pass), 3);
        for (const CycleResult &c : runner.cycles()) {
            QCOMPARE(toString(c.verdict), toString(Verdict::Pass));
            QVERIFY2(c.findings.isEmpty(), qPrintable(c.findings.value(0).message));
            QCOMPARE(c.load.locate(0xffffffffc0a00010)->first, QStringLiteral(".text"));
            QCOMPARE(c.load.buildId, QStringLiteral("000102030405060708090a0b0c0d0e0f10111213"));
            QCOMPARE(c.loaded.slabKb, 15000);
            QCOMPARE(c.taintLoaded, QStringLiteral("OE")); // O and E on the first load: no finding
            for (const char *step : {"load", "verify", "sections", "unload", "verify_gone", "post_checks"})
                QVERIFY2(c.stepMs.contains(QLatin1String(step)), step);
        }
        QVERIFY(!loaded());
        // The parameters reached modprobe as separate words, once per cycle.
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe fakemod fault=none rate=5\n"), 3);
        QCOMPARE(calls.count("modprobe -r fakemod\n"), 3);
        // The last marker written into the kernel log.
        QVERIFY(readFile(root(QStringLiteral("dev/kmsg"))).startsWith("<5>kmodscope: cycle 3 end run="));
        // The JSON run report.
        const QJsonObject report = runner.runReport();
        QCOMPARE(report.value(QStringLiteral("totals")).toObject().value(QStringLiteral("pass")).toInt(), 3);
        QCOMPARE(report.value(QStringLiteral("cycles")).toArray().size(), 3);
    }

    void loadedAtStartIsUnloadedFirst()
    {
        QVERIFY(
            SshdFixture::runTool(fakeBin + QStringLiteral("/modprobe"), {QStringLiteral("fakemod")}, nullptr, [this] {
                auto env = QProcessEnvironment::systemEnvironment();
                env.insert(QStringLiteral("KMS_SYSROOT"), m_root);
                return env;
            }()));
        QVERIFY(loaded());
        CycleRunner runner(m_link.get());
        QVERIFY(runner.start(config(1)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(runner.totals().byVerdict.value(Verdict::Pass), 1);
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe -r fakemod\n"), 2);
    }

    void failingLoad()
    {
        control(QStringLiteral("load_rc"), "1");
        control(QStringLiteral("load_out"), "modprobe: ERROR: could not insert 'fakemod': Invalid argument\n");
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(5);
        c.untilFailure = true;
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::StoppedOnFailure));
        QCOMPARE(runner.cycles().size(), 1);
        const CycleResult &r = runner.cycles().first();
        QCOMPARE(toString(r.verdict), toString(Verdict::Fail));
        QCOMPARE(r.findings.first().kind, QStringLiteral("load_failed"));
        QVERIFY2(r.findings.first().message.contains(QLatin1String("Invalid argument")),
                 qPrintable(r.findings.first().message));
        QVERIFY(r.findings.first().lines.join(QLatin1Char('\n')).contains(QLatin1String("could not insert")));
    }

    void stuckInGoing()
    {
        control(QStringLiteral("unload_state"), "going");
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(5);
        c.stopOnCrash = false;
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stuck));
        QCOMPARE(runner.cycles().size(), 1);
        QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Stuck));
        QCOMPARE(runner.cycles().first().findings.first().kind, QStringLiteral("stuck_going"));
        QVERIFY(runner.runEndMessage().contains(QLatin1String("reboot")));
    }

    void busyUnload()
    {
        control(QStringLiteral("unload_state"), "busy");
        CycleRunner runner(m_link.get());
        QVERIFY(runner.start(config(5)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Stuck));
        QCOMPARE(runner.cycles().first().findings.first().kind, QStringLiteral("unload_busy"));
        QVERIFY(runner.cycles().first().findings.first().message.contains(QLatin1String("in use")));
    }

    void failingPostCommand()
    {
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(2);
        c.postCommand = QStringLiteral("echo 'check it'\"'\"'s output'; exit 3");
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(runner.totals().byVerdict.value(Verdict::Fail), 2);
        const Finding &f = runner.cycles().first().findings.first();
        QCOMPARE(f.step, QStringLiteral("post"));
        QVERIFY2(f.message.contains(QLatin1String("rc 3")) && f.message.contains(QLatin1String("check it's output")),
                 qPrintable(f.message));
    }

    void timeout()
    {
        control(QStringLiteral("load_sleep"), "20");
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(3);
        c.commandTimeoutMs = 1500;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 15000));
        QVERIFY(clock.elapsed() < 3 * 1500 + 5000);
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Error));
        QCOMPARE(runner.cycles().size(), 1);
        const CycleResult &r = runner.cycles().first();
        QCOMPARE(toString(r.verdict), toString(Verdict::Fail));
        QCOMPARE(r.findings.first().kind, QStringLiteral("timeout"));
        bool inLoad = false;
        for (const Finding &f : r.findings)
            inLoad
                = inLoad || (f.kind == QLatin1String("timeout_detail") && f.message.contains(QLatin1String("'load'")));
        QVERIFY2(inLoad, "the inspect step did not say the script hung in 'load'");
    }

    // The fake node's stream pins the module like debugfs: a read-only open fails the unload.
    void fakeTelemetryStreamPinsTheModule()
    {
        control(QStringLiteral("tlm"), "buf0_fill_n=1 buf0_cap_n=512");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("KMS_SYSROOT"), m_root);
        const auto fake = [&env](const QString &tool, const QStringList &args) {
            QProcess p;
            p.setProcessEnvironment(env);
            p.start(fakeBin + QLatin1Char('/') + tool, args);
            p.waitForFinished(10000);
            return std::pair{p.exitCode(), p.readAllStandardOutput()};
        };
        QCOMPARE(fake(QStringLiteral("modprobe"), {QStringLiteral("fakemod")}).first, 0);
        QProcess reader;
        reader.start(QStringLiteral("cat"), {root(QStringLiteral("sys/kernel/debug/prudaq/telemetry"))});
        QVERIFY(reader.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(reader.bytesAvailable() > 0 || reader.waitForReadyRead(100), 5000);
        const auto busy = fake(QStringLiteral("rmmod"), {QStringLiteral("fakemod")});
        QCOMPARE(busy.first, 1);
        QVERIFY2(busy.second.contains("in use"), busy.second.constData());
        reader.kill();
        reader.waitForFinished();
        QCOMPARE(fake(QStringLiteral("rmmod"), {QStringLiteral("fakemod")}).first, 0);
        QVERIFY(!loaded());
    }

    void telemetryDuringTheSettle_data()
    {
        QTest::addColumn<QByteArray>("line"); // what the stream carries after t_ns (empty: dead)
        QTest::addColumn<bool>("stream"); // the module creates the file at all
        QTest::addColumn<QString>("finding"); // expected kind, empty: pass
        QTest::addColumn<double>("fillPct"); // expected max fill, -1: none
        QTest::newRow("alive, low fill") << QByteArray("buf0_fill_n=10 buf0_cap_n=512 sync_err_ns=5") << true
                                         << QString() << 100.0 * 10 / 512;
        QTest::newRow("fill over the limit") << QByteArray("buf0_fill_n=500 buf0_cap_n=512 buf1_fill_pct=20") << true
                                             << QStringLiteral("telemetry_fill") << 100.0 * 500 / 512;
        QTest::newRow("dead stream") << QByteArray() << true << QStringLiteral("telemetry_dead") << -1.0;
        QTest::newRow("no such file") << QByteArray() << false << QStringLiteral("telemetry_missing") << -1.0;
    }

    // A reader of the stream is open during every settle and closed before the unload (the
    // fake unload fails as busy otherwise); its lines become the cycle's telemetry check.
    void telemetryDuringTheSettle()
    {
        QFETCH(QByteArray, line);
        QFETCH(bool, stream);
        QFETCH(QString, finding);
        QFETCH(double, fillPct);
        if (stream) {
            control(QStringLiteral("tlm"), line + '\n');
            if (line.isEmpty())
                control(QStringLiteral("tlm_dead"), "1");
        }
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(3);
        c.settleMs = 300;
        c.telemetryPath = QStringLiteral("/sys/kernel/debug/prudaq/telemetry");
        c.telemetryFillLimitPct = 90;
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Completed));
        QCOMPARE(runner.cycles().size(), 3);
        for (const CycleResult &r : runner.cycles()) {
            QStringList kinds;
            for (const Finding &f : r.findings)
                kinds << f.kind;
            QCOMPARE(kinds, finding.isEmpty() ? QStringList() : QStringList{finding});
            QCOMPARE(toString(r.verdict), toString(finding.isEmpty() ? Verdict::Pass : Verdict::Warning));
            QVERIFY(r.telemetry.has_value());
            QCOMPARE(r.telemetry->opened, stream);
            if (!stream)
                continue;
            // The reader was open through the settle (node clock), not cut short.
            QVERIFY2(r.telemetry->windowMs >= 300, qPrintable(QString::number(r.telemetry->windowMs)));
            if (line.isEmpty()) {
                QCOMPARE(r.telemetry->samples, 0);
                continue;
            }
            // 10 ms between lines over 300 ms: a few at least, whatever the load here.
            QVERIFY2(r.telemetry->samples >= 3, qPrintable(QString::number(r.telemetry->samples)));
            QCOMPARE(r.telemetry->samples, r.telemetry->lines);
            QCOMPARE(r.telemetry->maxFillRing, QStringLiteral("buf0"));
            QVERIFY(qAbs(r.telemetry->maxFillPct - fillPct) < 1e-9);
            if (!finding.isEmpty()) {
                QVERIFY2(r.findings.first().message.contains(QLatin1String("buf0 fill 98 %")),
                         qPrintable(r.findings.first().message));
                QVERIFY(r.findings.first().lines.first().contains(QLatin1String("buf0_fill_n=500")));
            }
        }
        // Every unload went through at once: the reader never held the module.
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe -r fakemod\n"), 3);
        QVERIFY(!loaded());
        const QJsonObject json = toJson(runner.cycles().first());
        QCOMPARE(json.value(QStringLiteral("telemetry")).toObject().value(QStringLiteral("opened")).toBool(), stream);
    }

    void notRootIsRefusedBeforeTouchingTheModule()
    {
        control(QStringLiteral("uid"), "1000");
        CycleRunner runner(m_link.get());
        QVERIFY(runner.start(config(3)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Refused));
        QVERIFY(runner.runEndMessage().contains(QLatin1String("not root")));
        QVERIFY(runner.runEndMessage().contains(QLatin1String("sudo")));
        QVERIFY(runner.cycles().isEmpty());
        QVERIFY(readFile(root(QStringLiteral("calls"))).isEmpty());
    }

    void unknownModuleIsRefused()
    {
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(3);
        c.module = QStringLiteral("nosuchmod");
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Refused));
        QVERIFY(runner.runEndMessage().contains(QLatin1String("no module nosuchmod")));
        QVERIFY(readFile(root(QStringLiteral("calls"))).isEmpty());
    }

    void badConfigIsRefusedLocally()
    {
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(3);
        c.module = QStringLiteral("evil; rm -rf /");
        QString error;
        QVERIFY(!runner.start(c, &error));
        QVERIFY(error.contains(QLatin1String("not a module name")));
        QCOMPARE(runner.state(), CycleRunner::State::Idle);
    }

    void leaksFromSlabTraces()
    {
        QVERIFY(writeFile(root(QStringLiteral("sys/kernel/debug/slab/kmalloc-32/alloc_traces")), ""));
        QVERIFY(writeFile(root(QStringLiteral("sys/kernel/slab/kmalloc-32/object_size")), "32\n"));
        control(QStringLiteral("leak"), "1");
        CycleRunner runner(m_link.get());
        QVERIFY(runner.start(config(3)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(runner.totals().byVerdict.value(Verdict::Leak), 3);
        for (const CycleResult &c : runner.cycles()) {
            QCOMPARE(c.leaks.size(), 1);
            const LeakSite &l = c.leaks.first();
            QCOMPARE(l.section, QStringLiteral(".text"));
            QCOMPARE(l.offset, quint64(0x17d5));
            QCOMPARE(l.count, 1); // one more per load, not the running total
            QCOMPARE(l.size, 30); // object size less SLUB's waste
            QCOMPARE(l.cache, QStringLiteral("kmalloc-32"));
            QVERIFY(l.error.contains(QLatin1String("no module file"))); // no .ko: section+offset only
        }
    }

    void kmemleakAtTheEnd()
    {
        QVERIFY(writeFile(root(QStringLiteral("sys/kernel/debug/kmemleak")),
                          "unreferenced object 0xffff888003b8c000 (size 64):\n"
                          "  comm \"modprobe\", pid 123, jiffies 4294901234 (age 8.120s)\n"
                          "  hex dump (first 32 bytes):\n"
                          "    6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk\n"
                          "  backtrace:\n"
                          "    [<ffffffff8133b5b4>] kmalloc_trace+0x26/0x90\n"
                          "    [<ffffffffc0a00123>] 0xffffffffc0a00123\n"
                          "    [<ffffffff81000e8c>] do_one_initcall+0x59/0x220\n"));
        CycleRunner runner(m_link.get());
        QVERIFY(runner.start(config(1)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(runner.kmemleakSites().size(), 1);
        QCOMPARE(runner.kmemleakSites().first().size, 64);
        QCOMPARE(runner.kmemleakSites().first().offset, quint64(0x123));
        QVERIFY(runner.kmemleakNote().contains(QLatin1String("1 object")));
    }

    void noKmemleakIsSaid()
    {
        CycleRunner runner(m_link.get());
        QVERIFY(runner.start(config(1)));
        QVERIFY(waitFinished(runner, 30000));
        QVERIFY(runner.kmemleakNote().contains(QLatin1String("not available")));
    }

    void reportLinesAreTiedToTheirCycle()
    {
        // A console that shows the markers: an oops printed after cycle 1's end marker still
        // belongs to cycle 1 (a timer of load 1), even though cycle 2 has started meanwhile.
        CycleRunner runner(m_link.get());
        QSignalSpy crash(&runner, &CycleRunner::crashDetected);
        connect(&runner, &CycleRunner::cycleFinished, &runner, [&](const CycleResult &c) {
            if (c.n != 1)
                return;
            const QByteArray marker = readFile(root(QStringLiteral("dev/kmsg")));
            const QByteArray run = marker.mid(marker.indexOf("run=") + 4).trimmed();
            runner.onLines(
                QStringLiteral("serial"),
                {LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                         "[   10.000000] kmodscope: cycle 1 begin run=" + run, 0},
                 LogLine{hostTimeNowNs(), QStringLiteral("serial"), "[   10.100000] kmodscope: cycle 1 end run=" + run,
                         0},
                 LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                         "[   10.200000] BUG: kernel NULL pointer dereference, address: 0000000000000174", 0}});
        });
        CycleRunConfig c = config(3);
        c.stopOnCrash = false;
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(crash.size(), 1);
        QCOMPARE(crash.first().at(0).toInt(), 1);
        QCOMPARE(toString(runner.cycles().at(0).verdict), toString(Verdict::Crash));
        QCOMPARE(toString(runner.cycles().at(1).verdict), toString(Verdict::Pass));
    }

    // A report in cycle 2 whose fault address lies in cycle 1's recorded .text (the module
    // moved between loads): the runner's decode and the node session's (the GUI's Reports
    // dock) both name it as the code of cycle 1's load, unloaded since.
    void previousLoadSectionsExplainAFault()
    {
        control(QStringLiteral("moving"), "1");
        NodeSession session;
        session.startSsh(m_settings, "exec sleep 60"); // the fake node has no kernel log (sshd leaves it running)
        QTRY_VERIFY_WITH_TIMEOUT(session.sshUp(), 20000);
        const ModuleCatalog catalog; // no .ko: the access and the address need none
        Symbolizer symbolizer(catalog);
        CycleRunner runner;
        runner.setSymbolizer(&symbolizer);
        runner.follow(&session);
        QList<KernelReport> resolved;
        connect(&session, &NodeSession::reportResolved, &runner,
                [&resolved](int, const KernelReport &r) { resolved.append(r); });
        QByteArray token;
        connect(&runner, &CycleRunner::cycleFinished, &runner, [&](const CycleResult &c) {
            if (c.n == 1) {
                const QByteArray marker = readFile(root(QStringLiteral("dev/kmsg")));
                token = marker.mid(marker.indexOf("run=") + 4).trimmed();
            }
        });
        connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int n) {
            if (n != 2)
                return;
            // A timer of cycle 1's load fires in cycle 2 (arch/x86/mm/fault.c's report of an
            // instruction fetch from unmapped module memory).
            QList<LogLine> lines;
            for (const char *text :
                 {"[   20.000000] kmodscope: cycle 2 begin run=",
                  "[   20.100000] BUG: unable to handle page fault for "
                  "address: ffffffffc0a00123",
                  "[   20.100001] #PF: supervisor instruction fetch in kernel mode",
                  "[   20.100002] #PF: error_code(0x0010) - not-present page",
                  "[   20.100003] Oops: 0010 [#1] PREEMPT SMP NOPTI",
                  "[   20.100004] CPU: 0 PID: 0 Comm: swapper/0 Tainted: G           OE      6.1.0-57-amd64 #1",
                  "[   20.100005] RIP: 0010:0xffffffffc0a00123",
                  "[   20.100006] Code: Unable to access opcode bytes at 0xffffffffc0a000f9.",
                  "[   20.100007] RSP: 0018:ffffb3c2c0003f08 EFLAGS: 00010246", "[   20.100008] Call Trace:",
                  "[   20.100009]  <IRQ>", "[   20.100010]  __hrtimer_run_queues+0x112/0x2b0", "[   20.100011]  </IRQ>",
                  "[   20.100012] ---[ end trace 0000000000000000 ]---"}) {
                QByteArray line(text);
                if (line.endsWith("run="))
                    line += token;
                lines.append(LogLine{hostTimeNowNs(), QStringLiteral("serial"), line, 0});
            }
            session.feedLines(lines);
        });
        CycleRunConfig c = config(3);
        c.stopOnCrash = false;
        c.settleMs = 1500; // cycle 2 still runs when the report completes
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 40000));
        QCOMPARE(runner.cycles().size(), 3);
        QCOMPARE(runner.cycles().at(0).load.locate(0xffffffffc0a00000)->first, QStringLiteral(".text"));
        QCOMPARE(runner.cycles().at(1).load.locate(0xffffffffc0b00000)->first, QStringLiteral(".text"));
        const CycleResult &two = runner.cycles().at(1);
        QCOMPARE(toString(two.verdict), toString(Verdict::Crash));
        QCOMPARE(two.reports.size(), 1);
        const auto check = [](const KernelReport &r, const char *who) {
            QVERIFY2(r.explanation && !r.explanation->address.isEmpty(), who);
            const AddressReading &a = r.explanation->address.first();
            QVERIFY2(a.kind == QLatin1String("previous_load"), qPrintable(QLatin1String(who) + u' ' + a.kind));
            QCOMPARE(a.offset, qint64(0x123));
            QVERIFY2(a.text.contains(QLatin1String("fakemod .text as loaded in cycle 1")), qPrintable(a.text));
        };
        check(two.reports.first(), "runner");
        QTRY_COMPARE_WITH_TIMEOUT(resolved.size(), 1, 5000);
        check(resolved.first(), "session");
        // The run report carries it as decode --json does.
        const QJsonObject json = toJson(two);
        QCOMPARE(json[QStringLiteral("reports")][0][QStringLiteral("explanation")][QStringLiteral("address")][0]
                     [QStringLiteral("kind")]
                         .toString(),
                 QStringLiteral("previous_load"));
    }

    void insmodAndDependents()
    {
        QVERIFY(QDir().mkpath(root(QStringLiteral("sys/module/fakedep")))); // uses fakemod
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(1);
        c.insmodPath = root(QStringLiteral("lib/modules/%1/extra/fakemod.ko").arg(hostRelease()));
        c.dependents = {QStringLiteral("fakedep")};
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Pass));
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QVERIFY2(calls.contains("insmod " + c.insmodPath.toUtf8() + " fault=none rate=5\n"), calls.constData());
        const qsizetype dep = calls.indexOf("modprobe -r fakedep\n");
        const qsizetype mod = calls.indexOf("rmmod fakemod\n");
        QVERIFY2(dep >= 0 && mod > dep, calls.constData()); // the dependent first
    }

    void panicThenRebootWithPstore()
    {
        // The console shows a panic during the settle time; the node "reboots" (a new boot id)
        // and keeps the dead boot's log in pstore: the report is read from there.
        CycleRunner runner(m_link.get());
        QSignalSpy crash(&runner, &CycleRunner::crashDetected);
        CycleRunConfig c = config(3);
        c.settleMs = 2000;
        connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int n) {
            if (n != 1)
                return;
            QTimer::singleShot(500, &runner, [&] {
                QVERIFY(writeFile(root(QStringLiteral("proc/sys/kernel/random/boot_id")),
                                  "99999999-2222-3333-4444-555555555555\n"));
                QVERIFY(writeFile(root(QStringLiteral("sys/fs/pstore/dmesg-ramoops-0")),
                                  "Panic#1 Part1\n"
                                  "<1>[   12.000000] BUG: kernel NULL pointer dereference, address: 0000000000000174\n"
                                  "<1>[   12.000001] #PF: supervisor read access in kernel mode\n"
                                  "<4>[   12.000002] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
                                  "<4>[   12.000003] RIP: 0010:prudaq_comm_receive_msg+0xd/0x60 [fakemod]\n"
                                  "<4>[   12.000004] Call Trace:\n"
                                  "<4>[   12.000005]  <IRQ>\n"
                                  "<4>[   12.000006]  prudaq_coord_cb+0x8d/0x380 [fakemod]\n"
                                  "<4>[   12.000007]  </IRQ>\n"
                                  "<4>[   12.000008] ---[ end trace 0000000000000000 ]---\n"
                                  "<0>[   12.000009] Kernel panic - not syncing: Fatal exception in interrupt\n"));
                runner.onLines(QStringLiteral("serial"),
                               {LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                                        "[   12.000009] Kernel panic - not syncing: Fatal exception in interrupt", 0}});
            });
        });
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(crash.size(), 1);
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::StoppedOnCrash));
        QCOMPARE(runner.cycles().size(), 1);
        const CycleResult &r = runner.cycles().first();
        QCOMPARE(toString(r.verdict), toString(Verdict::Crash));
        QCOMPARE(r.reports.size(), 1);
        QCOMPARE(r.reports.first().source, QStringLiteral("pstore"));
        QCOMPARE(r.reports.first().frames.first().function, QStringLiteral("prudaq_comm_receive_msg"));
        QVERIFY(!loaded()); // the abandoned script ended, and the module was left unloaded
    }

    // --- kmodscope-cli cycle: the exit status contract (0, 1, 2, 3) and the JSON run report.
    void cli_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("control");
        QTest::addColumn<bool>("trustHostKey");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("says");
        const QStringList base{QStringLiteral("--count"), QStringLiteral("2")};
        QTest::newRow("pass") << base << QString() << true << 0 << QStringLiteral("2 cycles: 2 pass");
        QTest::newRow("load fails") << base << QStringLiteral("load_rc") << true << 1 << QStringLiteral("2 fail");
        QTest::newRow("not a module name") << (base + QStringList{QStringLiteral("--module"), QStringLiteral("a;b")})
                                           << QString() << true << 2 << QStringLiteral("not a module name");
        QTest::newRow("no such module") << (base + QStringList{QStringLiteral("--module"), QStringLiteral("nosuchmod")})
                                        << QString() << true << 2 << QStringLiteral("no module nosuchmod");
        QTest::newRow("not root") << base << QStringLiteral("uid") << true << 2 << QStringLiteral("not root");
        QTest::newRow("unknown host key") << base << QString() << false << 3 << QStringLiteral("SSH refused");
    }

    void cli()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, control);
        QFETCH(bool, trustHostKey);
        QFETCH(int, exitCode);
        QFETCH(QString, says);
        if (control == QLatin1String("load_rc"))
            this->control(control, "1");
        else if (control == QLatin1String("uid"))
            this->control(control, "1000");
        const QString knownHosts
            = m_sshd.path(trustHostKey ? QStringLiteral("known_hosts") : QStringLiteral("empty_known_hosts"));
        const QString config = m_sshd.writeClientConfig(QStringLiteral("cli_config"),
                                                        m_sshd.path(QStringLiteral("id_client")), knownHosts);
        const QString json = m_sshd.path(QStringLiteral("run.json"));
        QFile::remove(json);
        QStringList argv{QStringLiteral("cycle"),
                         QStringLiteral("--ssh"),
                         QStringLiteral("node"),
                         QStringLiteral("--ssh-config"),
                         config,
                         QStringLiteral("--json"),
                         json};
        if (!args.contains(QStringLiteral("--module")))
            argv << QStringLiteral("--module") << QStringLiteral("fakemod");
        argv += args;
        QProcess p;
        p.start(QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli"), argv);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == exitCode, out.constData());
        QVERIFY2(out.contains(says.toUtf8()), out.constData());
        if (exitCode <= 1) {
            const QJsonObject report = QJsonDocument::fromJson(readFile(json)).object();
            QCOMPARE(report.value(QStringLiteral("cycles")).toArray().size(), 2);
            QCOMPARE(report.value(QStringLiteral("totals")).toObject().value(QStringLiteral("cycles")).toInt(), 2);
            // The node's side of a run may still be finishing after the CLI exits (sshd does not
            // kill a channel's processes on close): let it, so the next row starts on a quiet node.
            waitQuiet(root(QStringLiteral("calls")));
        }
        if (exitCode >= 2) {
            const QByteArray calls = readFile(root(QStringLiteral("calls")));
            QVERIFY2(calls.isEmpty(), calls.constData()); // nothing done on the node
        }
    }

    // --sudo for real: a non-root login (a test user in sshd's own mount namespace: our
    // /etc/passwd, /etc/group, /etc/shadow and /etc/sudoers bound over the machine's) and the
    // real sudo(8). Without root and without a sudo -n that works the run stops before the
    // module is touched (exit 2); with it every node-side script runs through sudo, as sudo's
    // own log says.
    void sudo_data()
    {
        QTest::addColumn<bool>("useSudo");
        QTest::addColumn<bool>("allowed"); // the sudoers rule lets the test user run sh
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("says");
        QTest::newRow("not root, no --sudo") << false << true << 2 << QStringLiteral("not root on the node (uid 4242)");
        QTest::newRow("--sudo, sudo -n refuses") << true << false << 2 << QStringLiteral("sudo -n refused");
        QTest::newRow("--sudo, sudo -n works") << true << true << 0 << QStringLiteral("2 cycles: 2 pass");
    }

    void sudo()
    {
        QFETCH(bool, useSudo);
        QFETCH(bool, allowed);
        QFETCH(int, exitCode);
        QFETCH(QString, says);
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("sudo")).isEmpty(),
                 "sudo is not installed (scripts/install-deps)");
        const QString log = m_sshd.path(QStringLiteral("sudo.log"));
        const auto sudoers = [&](bool allow) {
            QByteArray text = "Defaults env_keep += \"KMS_SYSROOT\"\n"
                              "Defaults secure_path=\""
                + fakeBin.toUtf8()
                + ":/usr/sbin:/usr/bin:/sbin:/bin\"\n"
                  "Defaults !pam_session, !lecture, loglinelen=0, logfile=\""
                + log.toUtf8() + "\"\n";
            if (allow)
                text += "kmstest ALL=(root) NOPASSWD: /bin/sh, /usr/bin/sh\n";
            // In place: sshd's namespace sees this file's inode.
            QFile f(m_sshd.path(QStringLiteral("sudoers")));
            return f.open(QIODevice::WriteOnly) && f.write(text) == text.size()
                && f.setPermissions(QFile::ReadOwner | QFile::ReadGroup);
        };
        QVERIFY(sudoers(allowed));
        if (!m_sudoSshd) {
            m_sudoSshd = std::make_unique<SshdFixture>();
            QVERIFY(m_sudoSshd->setUp());
            // The test user's account: uid 4242, a shell, not locked.
            const auto account = [this](const char *name, const QByteArray &line) {
                const QString copy = m_sshd.path(QLatin1String(name));
                QByteArray text = SshdFixture::readFile(QStringLiteral("/etc/") + QLatin1String(name));
                if (!text.endsWith('\n'))
                    text += '\n';
                m_sudoSshd->bindFile(copy, QStringLiteral("/etc/") + QLatin1String(name));
                return writeFile(copy, text + line + '\n');
            };
            QVERIFY(account("passwd", "kmstest:x:4242:4242:kmodscope test:/tmp:/bin/sh"));
            QVERIFY(account("group", "kmstest:x:4242:"));
            QVERIFY(account("shadow", "kmstest:*:19000:0:99999:7:::"));
            m_sudoSshd->bindFile(m_sshd.path(QStringLiteral("sudoers")), QStringLiteral("/etc/sudoers"));
            // sshd reads authorized_keys as the user: let it reach the file.
            QVERIFY(QFile::setPermissions(m_sudoSshd->path(QString()),
                                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeGroup
                                              | QFile::ExeOther));
            QVERIFY(QFile::setPermissions(m_sudoSshd->path(QStringLiteral("authorized_keys")),
                                          QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
            m_sudoSshd->setSessionEnv("KMS_SYSROOT=" + m_root.toUtf8() + " PATH=" + fakeBin.toUtf8()
                                      + ":/usr/sbin:/usr/bin:/sbin:/bin");
            QVERIFY(m_sudoSshd->start(false));
        }
        control(QStringLiteral("uid"), "real"); // `id -u` is the login's own
        // The fake node's tree lies in the main fixture's directory: the test user (before sudo)
        // must reach its control files as a node's user reaches /sys and /proc.
        QVERIFY(QFile::setPermissions(m_sshd.path(QString()),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ExeGroup
                                          | QFile::ExeOther));
        QFile::remove(log);
        const QString config
            = m_sudoSshd->writeClientConfig(QStringLiteral("cli_config"), m_sudoSshd->path(QStringLiteral("id_client")),
                                            m_sudoSshd->path(QStringLiteral("known_hosts")), "kmstest");
        QStringList argv{QStringLiteral("cycle"),
                         QStringLiteral("--ssh"),
                         QStringLiteral("node"),
                         QStringLiteral("--ssh-config"),
                         config,
                         QStringLiteral("--accept-new"),
                         QStringLiteral("--module"),
                         QStringLiteral("fakemod"),
                         QStringLiteral("--count"),
                         QStringLiteral("2"),
                         QStringLiteral("--params"),
                         QStringLiteral("fault=none")};
        if (useSudo)
            argv << QStringLiteral("--sudo");
        QProcess p;
        p.start(QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli"), argv);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == exitCode, out.constData());
        QVERIFY2(out.contains(says.toUtf8()), out.constData());
        if (exitCode == 2) {
            const QByteArray calls = readFile(root(QStringLiteral("calls")));
            QVERIFY2(calls.isEmpty(), calls.constData()); // the module was not touched
            QVERIFY(!loaded());
            return;
        }
        waitQuiet(root(QStringLiteral("calls")));
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe fakemod fault=none\n"), 2);
        QVERIFY(!loaded());
        // Every script the run sent went through sudo, as root: sudo's log has the one-off
        // modes and the run's kept shell, which ran both cycles.
        const QByteArray sudoLog = readFile(log);
        for (const char *mode : {"probe", "ensure"})
            QVERIFY2(sudoLog.contains(QByteArray("kmstest : PWD=/tmp ; USER=root ; COMMAND=/usr/bin/sh -s -- ") + mode
                                      + ' '),
                     sudoLog.constData());
        QCOMPARE(sudoLog.count("kmstest : PWD=/tmp ; USER=root ; COMMAND=/usr/bin/sh -s\n"), 1);
        QCOMPARE(sudoLog.count("COMMAND="), 3); // probe, the kept shell, the final state: nothing else
    }

    // --- stop() in every state: the run ends promptly and the module is left as chosen.
    void stop_data()
    {
        QTest::addColumn<int>("state");
        QTest::addColumn<bool>("leaveLoaded");
        QTest::newRow("probing") << int(CycleRunner::State::Probing) << false;
        QTest::newRow("cycling, unloaded") << int(CycleRunner::State::Cycling) << false;
        QTest::newRow("cycling, loaded") << int(CycleRunner::State::Cycling) << true;
        QTest::newRow("collecting") << int(CycleRunner::State::Collecting) << false;
        QTest::newRow("delaying") << int(CycleRunner::State::Delaying) << false;
        QTest::newRow("delaying, loaded") << int(CycleRunner::State::Delaying) << true;
        QTest::newRow("waiting for the node") << int(CycleRunner::State::WaitingForNode) << false;
        QTest::newRow("finishing") << int(CycleRunner::State::Finishing) << false;
    }

    void stop()
    {
        QFETCH(int, state);
        QFETCH(bool, leaveLoaded);
        const auto target = CycleRunner::State(state);
        CycleRunConfig c = config(2);
        c.finalState = leaveLoaded ? CycleRunConfig::FinalState::Loaded : CycleRunConfig::FinalState::Unloaded;
        c.markerWaitMs = 10000;
        if (target == CycleRunner::State::Probing)
            control(QStringLiteral("id_sleep"), "3");
        if (target == CycleRunner::State::Cycling)
            c.settleMs = 20000; // stopped while the module is live and settling
        if (target == CycleRunner::State::Delaying)
            c.delayMs = 20000;
        if (target == CycleRunner::State::WaitingForNode)
            c.settleMs = 3000; // the panic line comes while the module settles
        if (target == CycleRunner::State::Finishing)
            QVERIFY(writeFile(root(QStringLiteral("sys/kernel/debug/kmemleak")), ""));

        CycleRunner runner(m_link.get());
        QSignalSpy finished(&runner, &CycleRunner::runFinished);
        QElapsedTimer stopClock;
        bool stopped = false;
        const auto stopNow = [&] {
            if (stopped)
                return;
            stopped = true;
            stopClock.start();
            runner.stop();
        };
        connect(&runner, &CycleRunner::stateChanged, &runner, [&](CycleRunner::State s) {
            if (s != target || stopped)
                return;
            if (s == CycleRunner::State::Cycling) {
                // Into the settle time: the module is live on the node.
                QTimer::singleShot(1500, &runner, stopNow);
                return;
            }
            if (s == CycleRunner::State::WaitingForNode) {
                stopNow();
                return;
            }
            QMetaObject::invokeMethod(&runner, stopNow, Qt::QueuedConnection);
        });
        if (target == CycleRunner::State::Collecting) {
            // A console that shows cycle 1's begin marker but not yet its end: the runner
            // waits for it.
            connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int) {
                QTimer::singleShot(200, &runner, [&] {
                    const QByteArray marker = readFile(root(QStringLiteral("dev/kmsg")));
                    const QByteArray run = marker.mid(marker.indexOf("run=") + 4).trimmed();
                    runner.onLines(
                        QStringLiteral("serial"),
                        {LogLine{hostTimeNowNs(), QStringLiteral("serial"), "kmodscope: cycle 1 begin run=" + run, 0}});
                });
            });
        }
        if (target == CycleRunner::State::WaitingForNode) {
            connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int) {
                QTimer::singleShot(300, &runner, [&] {
                    runner.onLines(QStringLiteral("serial"),
                                   {LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                                            "Kernel panic - not syncing: Fatal exception in interrupt", 0}});
                });
            });
        }
        QVERIFY(runner.start(c));
        QVERIFY2(waitFinished(runner, 40000), "the run did not end");
        QVERIFY2(stopped || target == CycleRunner::State::Finishing, "the state was never reached");
        QCOMPARE(finished.size(), 1);
        if (stopped) {
            // Immediate: one round trip (plus the current step), never the settle or delay time.
            QVERIFY2(stopClock.elapsed() < 5000, qPrintable(QString::number(stopClock.elapsed())));
        }
        if (target == CycleRunner::State::Probing) {
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stopped));
            QVERIFY(runner.runEndMessage().contains(QLatin1String("not touched")));
            QVERIFY(!loaded());
            return;
        }
        if (target == CycleRunner::State::WaitingForNode) {
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stopped));
            QCOMPARE(runner.cycles().size(), 1);
            QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Crash));
            // The abandoned cycle script ends its settle time and unloads before the next test.
            QTest::qWait(c.settleMs + 1500);
            return;
        }
        if (target != CycleRunner::State::Finishing)
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stopped));
        QCOMPARE(loaded(), leaveLoaded);
        QVERIFY2(
            runner.runEndMessage().contains(leaveLoaded ? QLatin1String("left live") : QLatin1String("left unloaded")),
            qPrintable(runner.runEndMessage()));
        if (target == CycleRunner::State::Collecting)
            QCOMPARE(runner.cycles().size(), 1); // the cycle ran to its end: kept
    }

    // Last: it takes the sshd down. A node that does not come back ends the run with a verdict,
    // never an endless wait.
    void nodeNeverComesBack()
    {
        CycleRunner runner(m_link.get());
        connect(m_link.get(), &SshLink::stateChanged, &runner,
                [&runner](SshLink::State state, const QString &detail) { runner.onSshState(state, detail); });
        CycleRunConfig c = config(3);
        c.settleMs = 2000;
        c.returnTimeoutS = 3;
        connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int) {
            QTimer::singleShot(500, &runner, [&] {
                m_sshd.stop(); // the node dies with the panic
                runner.onLines(QStringLiteral("serial"),
                               {LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                                        "Kernel panic - not syncing: Fatal exception in interrupt", 0}});
            });
        });
        QElapsedTimer clock;
        clock.start();
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QVERIFY(clock.elapsed() < 3 * (c.returnTimeoutS * 1000 + 2000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::NodeLost));
        QCOMPARE(runner.cycles().size(), 1);
        QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Crash));
        bool said = false;
        for (const Finding &f : runner.cycles().first().findings)
            said = said
                || (f.kind == QLatin1String("node_lost") && f.message.contains(QLatin1String("did not come back")));
        QVERIFY(said);
        QVERIFY(runner.runEndMessage().contains(QLatin1String("did not come back within 3 s")));
    }
};

QTEST_GUILESS_MAIN(TestCycleRunner)
#include "tst_cyclerunner.moc"
