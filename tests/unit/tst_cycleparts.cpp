// The pieces of a reload cycle that need no node: the script's records, taint letters and the
// taint baseline, leak attribution from SLUB traces and kmemleak, section bounds, console
// markers and classification, the memory trend, the script text each mode sends (parsed by the
// shells a node may have) and its quoting.
#include "cycle/cycleanalysis.h"
#include "cycle/cycleconsole.h"
#include "cycle/cycleresult.h"
#include "cycle/cyclescript.h"
#include "cycle/cycletelemetry.h"
#include "cycle/leaktracker.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTest>

using namespace kms;

namespace {

LoadRecord fakeLoad()
{
    LoadRecord load;
    load.sections
        = {{QStringLiteral(".text"), 0xffffffffc0a00000},      {QStringLiteral(".text.unlikely"), 0xffffffffc0a037b7},
           {QStringLiteral(".exit.text"), 0xffffffffc0a03a0c}, {QStringLiteral(".rodata"), 0xffffffffc0a04060},
           {QStringLiteral(".data"), 0xffffffffc0a08020},      {QStringLiteral(".init.text"), 0xffffffffc0a0c000}};
    return load;
}

// mm/slub.c slab_debugfs_show(): "%7ld %pS waste=... age=... pid=...", then "        %pS" per
// stack entry; the module's frames are bare addresses once it is unloaded.
CycleScriptOutput::Trace leakTrace(int count)
{
    return {
        QStringLiteral("kmalloc-32"),
        32,
        {QStringLiteral("%1 kasprintf+0x56/0x80 waste=%2/2 age=306/526/747 pid=131-148").arg(count, 7).arg(2 * count),
         QStringLiteral("        __kmalloc_node_track_caller+0x4a/0x150"),
         QStringLiteral("        kvasprintf+0x65/0xd0"), QStringLiteral("        kasprintf+0x56/0x80"),
         QStringLiteral("        0xffffffffc0a037d5"), QStringLiteral("        0xffffffffc0a0c2a7"),
         QStringLiteral("        do_one_initcall+0x59/0x220")}};
}

// Another module's init code, freed after boot: a bare address outside our sections.
CycleScriptOutput::Trace otherTrace()
{
    return {QStringLiteral("kmalloc-64"),
            64,
            {QStringLiteral("      1 kobject_create_and_add+0x20/0x90 age=3778 pid=94"),
             QStringLiteral("        kmalloc_trace+0x26/0x90"),
             QStringLiteral("        kobject_create_and_add+0x20/0x90"), QStringLiteral("        0xffffffffc024f06d"),
             QStringLiteral("        do_one_initcall+0x59/0x220")}};
}

LogLine line(const char *text, const char *source = "serial")
{
    return LogLine{hostTimeNowNs(), QString::fromLatin1(source), QByteArray(text), 0};
}

} // namespace

class TestCycleParts : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void scriptOutput()
    {
        const QByteArray out = "@kms v 1 cycle\n"
                               "@kms step load 1796593472.336450 1796593472.366577 0\n"
                               "@kms out load prudaq: loaded fault=none\n"
                               "@kms step verify 1796593472.367038 1796593472.367879 0\n"
                               "@kms state loaded live\n"
                               "@kms sec .text 0xffffffffc0254000\n"
                               "@kms sec .exit.text 0xffffffffc0257a0c\n"
                               "@kms note .note.gnu.build-id "
                               "040000001400000003000000474e55008703a1795fc6b8effbba65695fcc31a93b98a82a\n"
                               "@kms taint loaded 12288\n"
                               "@kms mem loaded Slab 16784\n"
                               "@kms mem loaded MemAvailable 174756\n"
                               "@kms step unload 1796593472,461550 1796593472,495919 137\n"
                               "@kms out unload Killed\n"
                               "@kms state unloaded going\n"
                               "sh: something odd\n"
                               "@kms end ok\n";
        const CycleScriptOutput o = parseCycleScriptOutput(out);
        QVERIFY(o.started);
        QCOMPARE(o.end, QStringLiteral("ok"));
        QCOMPARE(o.steps.size(), 3);
        QCOMPARE(o.steps[0].output, QStringList{QStringLiteral("prudaq: loaded fault=none")});
        QVERIFY(qAbs(o.stepMs(QStringLiteral("load")) - 30.127) < 0.01);
        QVERIFY(qAbs(o.stepMs(QStringLiteral("unload")) - 34.369) < 0.01); // decimal comma
        QCOMPARE(o.step(QStringLiteral("unload"))->exitStatus, 137);
        QCOMPARE(o.states.value(QStringLiteral("unloaded")), QStringLiteral("going"));
        QCOMPARE(o.load.sections.size(), 2);
        QCOMPARE(o.load.buildId, QStringLiteral("8703a1795fc6b8effbba65695fcc31a93b98a82a"));
        QCOMPARE(o.taint.value(QStringLiteral("loaded")), quint64(12288));
        QCOMPARE(o.memory.value(QStringLiteral("loaded")).slabKb, 16784);
        QCOMPARE(o.otherLines, QStringList{QStringLiteral("sh: something odd")});

        CycleRunConfig config;
        config.module = QStringLiteral("prudaq");
        CycleResult r;
        QVERIFY(!applyCycleOutput(o, config, r)); // stuck: the run cannot go on
        QCOMPARE(toString(r.verdict), toString(Verdict::Stuck));
        QCOMPARE(r.findings.first().kind, QStringLiteral("stuck_going"));
        QVERIFY(r.findings.first().message.contains(QLatin1String("killed (rc 137)")));
        QCOMPARE(r.taintLoaded, QStringLiteral("OE"));
    }

    void telemetryCheck()
    {
        CycleRunConfig config;
        config.module = QStringLiteral("prudaq");
        config.telemetryPath = QStringLiteral("/sys/kernel/debug/prudaq/telemetry");
        config.telemetryFillLimitPct = 75;
        const auto run = [&config](const QByteArray &records) {
            CycleResult r;
            checkCycleTelemetry(parseCycleScriptOutput("@kms v 1 cycle\n" + records + "@kms end ok\n"), config, r);
            return r;
        };
        // Garbage is counted, not trusted; the fill rule fires once per ring (hysteresis) at
        // the limit, with the line that raised it; a _fill_pct ring counts too.
        CycleResult r = run("@kms step telemetry 10.000 10.500 0\n"
                            "@kms tlm t_ns=1000 q_fill_n=10 q_cap_n=40 dma_fill_pct=20\n"
                            "@kms tlm \x01\x02 garbage\n"
                            "@kms tlm t_ns=2000 q_fill_n=30 q_cap_n=40 dma_fill_pct=80\n"
                            "@kms tlm t_ns=3000 q_fill_n=31 q_cap_n=40 dma_fill_pct=81\n"
                            "@kms tlm_lines 4\n");
        QVERIFY(r.telemetry);
        QCOMPARE(r.telemetry->samples, 3);
        QCOMPARE(r.telemetry->rejected, 1);
        QCOMPARE(r.telemetry->lines, 4);
        QVERIFY(qAbs(r.telemetry->windowMs - 500) < 1e-6);
        QCOMPARE(r.telemetry->maxFillRing, QStringLiteral("dma"));
        QCOMPARE(r.telemetry->maxFillPct, 81.0);
        QStringList messages;
        for (const Finding &f : r.findings) {
            QCOMPARE(f.kind, QStringLiteral("telemetry_fill"));
            QCOMPARE(f.lines.size(), 1);
            QVERIFY(f.lines.first().startsWith(QLatin1String("t_ns=2000")));
            messages << f.message;
        }
        messages.sort();
        QCOMPARE(messages,
                 (QStringList{QStringLiteral("telemetry: dma fill 80 %, at or over the limit of 75 %"),
                              QStringLiteral("telemetry: q fill 75 %, at or over the limit of 75 %")}));
        QCOMPARE(toString(r.verdict), toString(Verdict::Warning));

        // No sample: dead only when the reader had time to see one.
        r = run("@kms step telemetry 10.000 10.050 0\n@kms tlm_lines 0\n");
        QVERIFY(r.findings.isEmpty());
        QCOMPARE(r.telemetry->samples, 0);
        r = run("@kms step telemetry 10.000 10.250 0\n@kms tlm no time here\n@kms tlm_lines 1\n");
        QCOMPARE(r.findings.size(), 1);
        QCOMPARE(r.findings.first().kind, QStringLiteral("telemetry_dead"));
        QCOMPARE(r.findings.first().lines, QStringList{QStringLiteral("no time here")});
        r = run("@kms tlm_missing /sys/kernel/debug/prudaq/telemetry\n");
        QCOMPARE(r.findings.first().kind, QStringLiteral("telemetry_missing"));
        QVERIFY(!r.telemetry->opened);
        // A cycle that never reached its settle (no reader) and a run without telemetry: nothing.
        QVERIFY(!run(QByteArray()).telemetry);
        config.telemetryPath.clear();
        QVERIFY(!run("@kms step telemetry 10.000 10.500 0\n").telemetry);
        // The option round-trips through the profile's JSON and is validated.
        config.telemetryPath = QStringLiteral("/sys/kernel/debug/prudaq/telemetry");
        const CycleRunConfig back = CycleRunConfig::fromJson(config.toJson());
        QCOMPARE(back.telemetryPath, config.telemetryPath);
        QCOMPARE(back.telemetryFillLimitPct, 75.0);
        QVERIFY(back.validate().isEmpty());
        config.telemetryPath = QStringLiteral("relative/path");
        QVERIFY(config.validate().contains(QLatin1String("telemetry")));
        config.telemetryPath = QStringLiteral("/x");
        config.telemetryFillLimitPct = 0;
        QVERIFY(config.validate().contains(QLatin1String("fill limit")));
    }

    void verdictOrder()
    {
        CycleResult r;
        r.addFinding({Verdict::Warning, QStringLiteral("taint"), {}, {}, {}});
        QCOMPARE(toString(r.verdict), toString(Verdict::Warning));
        r.addFinding({Verdict::Leak, QStringLiteral("leak"), {}, {}, {}});
        r.addFinding({Verdict::Stuck, QStringLiteral("stuck_going"), {}, {}, {}});
        r.addFinding({Verdict::Fail, QStringLiteral("command_failed"), {}, {}, {}});
        QCOMPARE(toString(r.verdict), toString(Verdict::Stuck));
        r.addFinding({Verdict::Crash, QStringLiteral("oops"), {}, {}, {}});
        QCOMPARE(toString(r.verdict), toString(Verdict::Crash));
        QCOMPARE(r.findings.size(), 5); // every finding is kept
    }

    void taint()
    {
        QCOMPARE(taintLetters(0), QString());
        QCOMPARE(taintLetters(12288), QStringLiteral("OE"));
        QCOMPARE(taintLetters((1 << 9) | (1 << 12) | (1 << 7)), QStringLiteral("DWO"));
        TaintWatch w;
        w.setInitial(0);
        QVERIFY(!w.check(12288, QStringLiteral("load"))); // O and E on the first load: expected
        QVERIFY(!w.check(12288, QStringLiteral("unload")));
        const auto f = w.check(12288 | (1 << 9), QStringLiteral("load"));
        QVERIFY(f);
        QCOMPARE(toString(f->verdict), toString(Verdict::Warning));
        QVERIFY(f->message.contains(QLatin1String("+W")));
        QVERIFY(!w.check(12288 | (1 << 9), QStringLiteral("unload"))); // reported once
        TaintWatch second; // O and E only count as expected on the first load
        second.setInitial(12288);
        QVERIFY(!second.check(12288, QStringLiteral("load")));
        QVERIFY(second.check(12288 | 1, QStringLiteral("load")));
    }

    void sectionBounds()
    {
        const LoadRecord load = fakeLoad();
        QCOMPARE(load.locate(0xffffffffc0a00010)->first, QStringLiteral(".text"));
        QCOMPARE(load.locate(0xffffffffc0a037d5)->first, QStringLiteral(".text.unlikely"));
        QCOMPARE(load.locate(0xffffffffc0a037d5)->second, quint64(0x1e));
        QVERIFY(!load.locate(0xffffffffc0a08030)); // data, not code
        QCOMPARE(load.locate(0xffffffffc0a08030, false)->first, QStringLiteral(".data"));
        QVERIFY(!load.locate(0xffffffffc09fffff)); // below the module
        QVERIFY(!load.locate(0xffffffffc0b0c000)); // past the last section's 1 MiB
    }

    void leaksFromTraces()
    {
        LeakTracker tracker;
        tracker.setBaseline({otherTrace()});
        QVERIFY(tracker.scan({otherTrace()}, fakeLoad()).isEmpty()); // nothing new
        QList<LeakSite> leaks = tracker.scan({otherTrace(), leakTrace(1)}, fakeLoad());
        QCOMPARE(leaks.size(), 1);
        QCOMPARE(leaks[0].address, quint64(0xffffffffc0a037d5)); // past the kasprintf wrapper
        QCOMPARE(leaks[0].section, QStringLiteral(".text.unlikely"));
        QCOMPARE(leaks[0].count, 1);
        QCOMPARE(leaks[0].size, 30); // 32 less the 2 bytes of waste
        QCOMPARE(leaks[0].stack.size(), 6);
        // The next load leaks again at the same place: one more, not two.
        leaks = tracker.scan({otherTrace(), leakTrace(2)}, fakeLoad());
        QCOMPARE(leaks.size(), 1);
        QCOMPARE(leaks[0].count, 1);
        // Freed meanwhile: nothing.
        QVERIFY(tracker.scan({otherTrace(), leakTrace(1)}, fakeLoad()).isEmpty());
        // A load at other addresses does not claim this site.
        LoadRecord elsewhere;
        elsewhere.sections = {{QStringLiteral(".text"), 0xffffffffc1000000}};
        QVERIFY(tracker.scan({otherTrace(), leakTrace(3)}, elsewhere).isEmpty());
    }

    void kmemleak()
    {
        const QStringList lines{QStringLiteral("unreferenced object 0xffff888003b8c000 (size 64):"),
                                QStringLiteral("  comm \"modprobe\", pid 123, jiffies 4294901234 (age 8.120s)"),
                                QStringLiteral("  hex dump (first 32 bytes):"),
                                QStringLiteral("    6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk"),
                                QStringLiteral("  backtrace:"),
                                QStringLiteral("    [<ffffffff8133b5b4>] kmalloc_trace+0x26/0x90"),
                                QStringLiteral("    [<ffffffffc0a00123>] 0xffffffffc0a00123"),
                                QStringLiteral("unreferenced object 0xffff888003b8d000 (size 128):"),
                                QStringLiteral("  backtrace:"),
                                QStringLiteral("    [<ffffffff8133b5b4>] kmalloc_trace+0x26/0x90"),
                                QStringLiteral("    [<ffffffff81234567>] some_core_function+0x10/0x20")};
        const QList<LeakSite> leaks = LeakTracker::parseKmemleak(lines, {fakeLoad()});
        QCOMPARE(leaks.size(), 1);
        QCOMPARE(leaks[0].size, 64);
        QCOMPARE(leaks[0].section, QStringLiteral(".text"));
        QCOMPARE(leaks[0].offset, quint64(0x123));
        QCOMPARE(leaks[0].source, QStringLiteral("kmemleak"));
    }

    void consoleMarkers()
    {
        CycleConsole console;
        console.reset(QStringLiteral("ab12"));
        console.setErrorPattern(QStringLiteral("prudaq: .*failed"));
        auto events
            = console.feed(QStringLiteral("serial"),
                           {line("[   10.000000] kmodscope: cycle 1 begin run=ab12\r"),
                            line("[   10.010000] prudaq: init failed at step 3: -12"),
                            line("[   10.020000] kmodscope: cycle 1 begin run=other"), // another run's
                            line("[   10.030000] kmodscope: cycle 1 end run=ab12"),
                            line("[   10.050000] BUG: kernel NULL pointer dereference, address: 0000000000000174"),
                            line("[   10.060000] Kernel panic - not syncing: Fatal exception in interrupt")});
        QCOMPARE(events.size(), 5);
        QVERIFY(events[0].kind == CycleConsole::Event::Kind::Begin);
        QVERIFY(events[1].kind == CycleConsole::Event::Kind::ErrorLine);
        QCOMPARE(events[1].cycle, 1);
        QVERIFY(events[2].kind == CycleConsole::Event::Kind::End);
        QVERIFY(events[3].kind == CycleConsole::Event::Kind::ReportStart);
        QCOMPARE(events[3].cycle, 1); // after cycle 1's end marker: still load 1's
        QVERIFY(isCrashKind(events[3].reportKind));
        QVERIFY(events[4].kind == CycleConsole::Event::Kind::Panic);
        QCOMPARE(console.sourcesThatBegan(1), QStringList{QStringLiteral("serial")});
        QVERIFY(console.ended(1, QStringLiteral("serial")));
        QVERIFY(!console.ended(1, QStringLiteral("ssh-dmesg")));
        // A report is tied to a cycle by the kernel time of its first line.
        console.feed(QStringLiteral("ssh-dmesg"),
                     {line("[   20.000000] kmodscope: cycle 2 begin run=ab12", "ssh-dmesg")});
        KernelReport report;
        report.source = QStringLiteral("ssh-dmesg");
        report.timestamp = 10.05;
        QCOMPARE(console.cycleOf(report), 1);
        report.timestamp = 20.5;
        QCOMPARE(console.cycleOf(report), 2);
        report.timestamp.reset();
        QCOMPARE(console.cycleOf(report), 2); // its console's current cycle
        // On a serial console the shell's prompt may come first (the node just booted).
        events = console.feed(QStringLiteral("serial"),
                              {line("vnode:/# \x1b[6n[   11.650953] kmodscope: cycle 3 begin run=ab12")});
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].cycle, 3);
        QCOMPARE(console.currentCycle(QStringLiteral("serial")), 3);
        // The code sections of a load, from its "loaded" marker.
        events = console.feed(QStringLiteral("serial"),
                              {line("[   20.1] kmodscope: cycle 2 loaded run=ab12 .text=0xffffffffc0a00000 "
                                    ".exit.text=0xffffffffc0a03a0c")});
        QCOMPARE(events.size(), 1);
        QVERIFY(events[0].kind == CycleConsole::Event::Kind::Loaded);
        QCOMPARE(events[0].cycle, 2);
        QCOMPARE(events[0].sections.size(), 2);
        QCOMPARE(events[0].sections[1].second, quint64(0xffffffffc0a03a0c));
        // A WARNING is a warning, not a crash.
        events = console.feed(QStringLiteral("serial"),
                              {line("[   21.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:12 f+0x1/0x2")});
        QCOMPARE(events.size(), 1);
        QVERIFY(!isCrashKind(events[0].reportKind));
    }

    void slabGrowth()
    {
        QList<CycleResult> flat, growing;
        for (int n = 1; n <= 20; ++n) {
            CycleResult c;
            c.n = n;
            c.unloaded.slabKb = 15000 + (n % 3) * 4; // noise, no trend
            flat.append(c);
            c.unloaded.slabKb = 15000 + 8 * n;
            growing.append(c);
        }
        QVERIFY(!slabTrend(flat, 4.0));
        const auto f = slabTrend(growing, 4.0);
        QVERIFY(f);
        QCOMPARE(toString(f->verdict), toString(Verdict::Warning));
        QVERIFY(f->message.contains(QLatin1String("8.0 kB per cycle")));
        QVERIFY(!slabTrend(growing.mid(0, 9), 4.0)); // too few cycles to say
    }

    void scriptModesParse_data()
    {
        QTest::addColumn<QString>("shell");
        QTest::addColumn<QString>("mode");
        for (const char *shell : {"busybox", "dash", "bash"}) {
            for (const char *mode : {"probe", "cycle", "unload", "ensure", "inspect", "kmemleak", "pstore"})
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(QLatin1String(shell), QLatin1String(mode))))
                    << QString::fromLatin1(shell) << QString::fromLatin1(mode);
        }
    }

    void scriptModesParse()
    {
        // What each mode sends parses in the shells a node may run (sh -n), and keeps its own
        // case branch and no other's.
        QFETCH(QString, shell);
        QFETCH(QString, mode);
        // busybox (busybox-static, the virtual node's), dash (Debian's /bin/sh) and bash.
        QVERIFY2(!QStandardPaths::findExecutable(shell).isEmpty(),
                 qPrintable(shell + QStringLiteral(" not installed")));
        const QByteArray text = cycleScriptText(mode);
        QVERIFY(text.contains(mode.toUtf8() + ")\n") || text.contains(mode.toUtf8() + " |")); // its case branch
        QVERIFY(!text.contains("\n#"));
        QVERIFY(text.size() < cycleScriptText().size() * 2 / 3);
        QProcess p;
        const QStringList args = shell == QLatin1String("busybox")
            ? QStringList{QStringLiteral("sh"), QStringLiteral("-n")}
            : QStringList{QStringLiteral("-n")};
        p.start(shell, args);
        p.write(text);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(10000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    }

    void commandQuoting()
    {
        CycleRunConfig c;
        c.module = QStringLiteral("prudaq");
        c.params = {QStringLiteral("name=it's $(reboot)")};
        c.useSudo = true;
        const QByteArray cmd
            = cycleScriptCommand(c, {QStringLiteral("cycle"), {QStringLiteral("pre=echo `id`; rm -rf /")}, true});
        QCOMPARE(cmd, QByteArray("sudo -n sh -s -- cycle 'pre=echo `id`; rm -rf /' -- 'name=it'\\''s $(reboot)'"));
        // The shell sees the words as given.
        QProcess p;
        p.start(
            QStringLiteral("sh"),
            {QStringLiteral("-c"),
             QString::fromUtf8(cmd).replace(QStringLiteral("sudo -n sh -s --"), QStringLiteral("printf '[%s]\\n'"))});
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.readAllStandardOutput(),
                 QByteArray("[cycle]\n[pre=echo `id`; rm -rf /]\n[--]\n[name=it's $(reboot)]\n"));
    }
};

QTEST_GUILESS_MAIN(TestCycleParts)
#include "tst_cycleparts.moc"
