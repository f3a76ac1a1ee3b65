// CycleRunner's state machine against a real sshd on 127.0.0.1 and the real cycle script, on a
// fake node (tests/integration/fakenode/README.md): verdicts and health checks (passes, a failing
// load, a module stuck in 'going', a cycle that times out, refusals before the module is touched,
// leaks from the slab traces, kmemleak at the end, reports tied to their cycle, a panic and pstore).
// The same node: tst_cyclerunner_cli (kmodscope-cli cycle, sudo) and tst_cyclerunner_stop (stop()
// in every state, a node that never comes back). The kept shell the cycles run on: tst_cycleshell.
#include "fakenodetest.h"

#include "cycle/cyclerunner.h"
#include "node/nodesession.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace kms;

class TestCycleRunner : public FakeNodeTest
{
    Q_OBJECT

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
};

QTEST_GUILESS_MAIN(TestCycleRunner)
#include "tst_cyclerunner.moc"
