// Detection: where reports start and end in a stream, and the seed logs' must-pass values.
// Expected values were read off the logs by hand.
#include "report/reportdetector.h"

#include <QFile>
#include <QTest>

using namespace kms;

namespace {

QByteArray readSample(const char *name)
{
    QFile f(QStringLiteral(KMS_SAMPLES_DIR "/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", name);
    return f.readAll();
}

QList<KernelReport> feedLines(const QList<QByteArray> &lines, bool finish = true)
{
    QList<KernelReport> out;
    ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
    for (const QByteArray &l : lines)
        d.feedLine(l);
    if (finish)
        d.finish();
    return out;
}

QString frameName(const Frame &f)
{
    return f.function;
}

const QByteArray x86Warning
    = "[   10.000000] ------------[ cut here ]------------\n"
      "[   10.000001] WARNING: CPU: 1 PID: 77 at drivers/prudaq/ring.c:42 ring_push+0x10/0x40 [prudaq]\n"
      "[   10.000002] Modules linked in: prudaq(O)\n"
      "[   10.000003] CPU: 1 PID: 77 Comm: insmod Tainted: G           O       6.1.0-13-amd64 #1\n"
      "[   10.000004] RIP: 0010:ring_push+0x10/0x40 [prudaq]\n"
      "[   10.000005] Call Trace:\n"
      "[   10.000006]  <TASK>\n"
      "[   10.000007]  prudaq_init+0x20/0x1000 [prudaq]\n"
      "[   10.000008]  do_one_initcall+0x41/0x200\n"
      "[   10.000009]  </TASK>\n"
      "[   10.000010] ---[ end trace 0000000000000000 ]---\n";

} // namespace

class TestReportDetector : public QObject
{
    Q_OBJECT
private slots:
    void arm32SeedPanic()
    {
        const auto reports = detectReports(readSample("arm32-hrtimer-uaf-unload-panic.log"));
        QCOMPARE(reports.size(), 1);
        const KernelReport &r = reports.front();
        QCOMPARE(toString(r.kind), toString(ReportKind::Oops));
        QCOMPARE(r.title, QStringLiteral("NULL pointer dereference in pru0_comm_receive_msg"));
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(0x1c1));
        QCOMPARE(r.guiltyFunction, QStringLiteral("pru0_comm_receive_msg"));
        QCOMPARE(r.guiltyModule, QStringLiteral("shepherd"));
        QVERIFY(r.panicked);
        QVERIFY(!r.corrupted);
        QCOMPARE(toString(r.arch), toString(Arch::Arm));
        QCOMPARE(r.firstLine, 1);
        QCOMPARE(r.lastLine, 97);
        QCOMPARE(r.lines.size(), 97);
        QCOMPARE(r.lines.front(),
                 QStringLiteral("Unable to handle kernel NULL pointer dereference at virtual address 000001c1"));
        QCOMPARE(r.cpu, std::optional<int>(0));
        QCOMPARE(r.pid, std::optional<int>(1726));
        QCOMPARE(r.comm, QStringLiteral("modprobe"));
        QCOMPARE(r.taint, QStringLiteral("G           O"));
        QCOMPARE(r.kernelRelease, QStringLiteral("4.19.94-ti-r73"));
        QCOMPARE(r.modules.size(), 20);
        QCOMPARE(r.modules.front(), QStringLiteral("shepherd"));
        QCOMPARE(r.modules.back(), QStringLiteral("virtio_ring"));
        QVERIFY(!r.modules.contains(QStringLiteral("[last")));

        const QStringList expected{"pru0_comm_receive_msg",
                                   "coordinator_callback",
                                   "__hrtimer_run_queues",
                                   "hrtimer_interrupt",
                                   "omap2_gp_timer_interrupt",
                                   "__handle_irq_event_percpu",
                                   "handle_irq_event_percpu",
                                   "handle_irq_event",
                                   "handle_level_irq",
                                   "generic_handle_irq",
                                   "__handle_domain_irq",
                                   "omap_intc_handle_irq",
                                   "__irq_svc",
                                   "vprintk_emit",
                                   "vprintk_default",
                                   "vprintk_func",
                                   "printk",
                                   "mem_interface_exit",
                                   "shepherd_drv_remove",
                                   "platform_drv_remove",
                                   "device_release_driver_internal",
                                   "driver_detach",
                                   "bus_remove_driver",
                                   "driver_unregister",
                                   "platform_driver_unregister",
                                   "shepherd_driver_exit",
                                   "sys_delete_module",
                                   "ret_fast_syscall"};
        QStringList names;
        for (const Frame &f : r.frames)
            names.append(frameName(f));
        QCOMPARE(names, expected);

        const Frame &top = r.frames[0];
        QCOMPARE(top.offset, std::optional<std::uint64_t>(0x28));
        QCOMPARE(top.size, std::optional<std::uint64_t>(0x94));
        QCOMPARE(top.address, std::optional<std::uint64_t>(0xbf19b018));
        QVERIFY(top.exactPc);
        QCOMPARE(top.module, QStringLiteral("shepherd"));
        const Frame &caller = r.frames[1];
        QCOMPARE(caller.offset, std::optional<std::uint64_t>(0x9c));
        QCOMPARE(caller.size, std::optional<std::uint64_t>(0x374));
        QCOMPARE(caller.address, std::optional<std::uint64_t>(0xbf19ca58));
        QVERIFY(!caller.exactPc);
        int inShepherd = 0;
        for (const Frame &f : r.frames)
            inShepherd += f.module == QLatin1String("shepherd");
        QCOMPARE(inShepherd, 5);
        for (int i = 0; i <= 12; ++i)
            QCOMPARE(toString(r.frames[i].context), toString(FrameContext::Irq));
        for (int i = 13; i < r.frames.size(); ++i)
            QCOMPARE(toString(r.frames[i].context), toString(FrameContext::Task));
        // The interrupted PC after the exception entry is exact; the return addresses are not.
        QVERIFY(r.frames[13].exactPc);
        QCOMPARE(r.frames[13].offset, std::optional<std::uint64_t>(0x1a0));
        QCOMPARE(r.frames[13].address, std::optional<std::uint64_t>(0xc01ad388));
        for (int i = 1; i < r.frames.size(); ++i) {
            if (i != 13)
                QVERIFY2(!r.frames[i].exactPc, qPrintable(r.frames[i].function));
        }
        QCOMPARE(r.frames.back().offset, std::optional<std::uint64_t>(0));
        QCOMPARE(r.frames.back().inputLine, 89);
        QCOMPARE(r.frames[17].inputLine, 79); // mem_interface_exit, from the printk line

        QVERIFY(r.code.has_value());
        QCOMPARE(r.code->bytes, QByteArray::fromHex("1a4f4be3c16100e30050a0e1003094e50630d3e7"));
        QCOMPARE(r.code->trapIndex, 16);
        QVERIFY(!r.code->thumb);

        QCOMPARE(r.registers.front().name, QStringLiteral("pc"));
        QCOMPARE(r.registers.front().value, 0xbf19b018ULL);
        QStringList regNames;
        for (const Register &reg : r.registers)
            regNames.append(reg.name);
        QCOMPARE(regNames.mid(0, 6), (QStringList{"pc", "lr", "psr", "sp", "ip", "fp"}));
        QVERIFY(regNames.contains(QStringLiteral("r10")));
        QVERIFY(regNames.contains(QStringLiteral("r0")));
        QCOMPARE(regNames.indexOf(QStringLiteral("r10")), 6);
        QCOMPARE(r.registers[regNames.indexOf(QStringLiteral("r6"))].value, 0x1c1ULL);
    }

    void x86SeedNullDerefInExit()
    {
        const auto reports = detectReports(readSample("x86_64-null-deref-in-exit.log"));
        QCOMPARE(reports.size(), 1); // the register dump after the end marker opens nothing
        const KernelReport &r = reports.front();
        QCOMPARE(toString(r.kind), toString(ReportKind::Oops));
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(0));
        QCOMPARE(r.guiltyFunction, QStringLiteral("hello_exit"));
        QCOMPARE(r.guiltyModule, QStringLiteral("hello"));
        QCOMPARE(r.title, QStringLiteral("NULL pointer dereference in hello_exit"));
        QVERIFY(!r.panicked);
        QVERIFY(!r.corrupted);
        QCOMPARE(toString(r.arch), toString(Arch::X86_64));
        QCOMPARE(r.firstLine, 1);
        QCOMPARE(r.lastLine, 34);
        QCOMPARE(r.pid, std::optional<int>(2394));
        QCOMPARE(r.comm, QStringLiteral("rmmod"));
        QCOMPARE(r.taint, QStringLiteral("G OE"));
        QCOMPARE(r.kernelRelease, QStringLiteral("5.3.7-301.fc31.x86_64"));
        QCOMPARE(r.modules.front(), QStringLiteral("hello"));
        QCOMPARE(r.modules.size(), 18);

        QCOMPARE(r.frames.size(), 5);
        const Frame &pc = r.frames[0];
        QCOMPARE(pc.function, QStringLiteral("hello_exit"));
        QCOMPARE(pc.offset, std::optional<std::uint64_t>(0xc));
        QCOMPARE(pc.size, std::optional<std::uint64_t>(0x1000));
        QCOMPARE(pc.module, QStringLiteral("hello"));
        QVERIFY(pc.exactPc);
        QCOMPARE(pc.inputLine, 8);
        QCOMPARE(r.frames[1].function, QStringLiteral("__x64_sys_delete_module"));
        QCOMPARE(r.frames[1].offset, std::optional<std::uint64_t>(0x13d));
        QCOMPARE(r.frames[1].size, std::optional<std::uint64_t>(0x280));
        QVERIFY(!r.frames[1].exactPc);
        QVERIFY(r.frames[1].reliable);
        QCOMPARE(r.frames[2].function, QStringLiteral("exit_to_usermode_loop"));
        QVERIFY(!r.frames[2].reliable);
        QCOMPARE(r.frames[4].function, QStringLiteral("entry_SYSCALL_64_after_hwframe"));
        for (const Frame &f : r.frames)
            QVERIFY(!f.address.has_value()); // RIP: 0033:0x7f37d4379fab is user space, no frame

        // Kernel registers only: the user-space block after "RIP: 0033" is not the oops' state.
        QCOMPARE(r.registers[0].name, QStringLiteral("RSP"));
        QCOMPARE(r.registers[0].value, 0xffffbd14406cbed8ULL);
        bool sawRax = false;
        for (const Register &reg : r.registers) {
            if (reg.name == QLatin1String("RAX")) {
                QCOMPARE(reg.value, 0x2bULL);
                sawRax = true;
            }
        }
        QVERIFY(sawRax);
        QVERIFY(!r.code.has_value()); // "Code: Bad RIP value."; the user-space Code: is not it
    }

    // drivers/tty/serial: the console driver writes printk's lines to the UART where the shell's
    // prompt ("root@node:~# ", no newline) left the cursor. The seed's report, its first line
    // behind a prompt, is the same report.
    void reportBehindShellPrompt()
    {
        const QByteArray seed = readSample("x86_64-null-deref-in-exit.log");
        const QList<KernelReport> plain = detectReports(seed);
        QCOMPARE(plain.size(), 1);
        const qsizetype at = seed.indexOf("BUG: ");
        QVERIFY(at > 0);
        const qsizetype lineStart = seed.lastIndexOf('\n', at) + 1;
        for (const QByteArray &prompt : {QByteArray("root@node:~# "), QByteArray("debian@bbb:/opt$ ")}) {
            QByteArray log = seed;
            log.insert(lineStart, prompt);
            const QList<KernelReport> found = detectReports(log);
            QCOMPARE(found.size(), 1);
            QCOMPARE(found[0].title, plain[0].title);
            QCOMPARE(found[0].guiltyFunction, QStringLiteral("hello_exit"));
            QCOMPARE(found[0].firstLine, plain[0].firstLine);
            QCOMPARE(found[0].frames.size(), plain[0].frames.size());
            QCOMPARE(found[0].lines, plain[0].lines);
        }
    }

    void cmaLogHasNoReport() { QVERIFY(detectReports(readSample("arm32-reload-cma-alloc-failure.log")).isEmpty()); }

    void crlfAnsiAndChunkingGiveTheSameReport()
    {
        const QByteArray plain = readSample("arm32-hrtimer-uaf-unload-panic.log");
        QByteArray crlf = plain;
        crlf.replace("\n", "\r\n");
        QByteArray coloured;
        for (const QByteArray &line : plain.split('\n'))
            coloured += "\x1b[33m" + line + "\x1b[0m\n";
        coloured.chop(1);
        const auto ref = detectReports(plain);
        for (const QByteArray &variant : {crlf, coloured}) {
            const auto got = detectReports(variant);
            QCOMPARE(got.size(), 1);
            QCOMPARE(got[0].frames.size(), ref[0].frames.size());
            QCOMPARE(got[0].lastLine, ref[0].lastLine);
            QCOMPARE(got[0].lines, ref[0].lines);
            QCOMPARE(got[0].code->bytes, ref[0].code->bytes);
        }
    }

    void syslogWrappedReport()
    {
        QByteArray log;
        for (const QByteArray &line : x86Warning.split('\n')) {
            if (!line.isEmpty())
                log += "Mar  3 10:00:00 node kernel: " + line + "\n";
        }
        log.insert(0, "Mar  3 09:59:59 node systemd[1]: WARNING: user space says hello\n");
        const auto reports = detectReports(log);
        QCOMPARE(reports.size(), 1);
        QCOMPARE(toString(reports[0].kind), toString(ReportKind::Warning));
        QCOMPARE(reports[0].firstLine, 2); // the "cut here" line
        QCOMPARE(reports[0].guiltyFunction, QStringLiteral("ring_push"));
        QCOMPARE(reports[0].title, QStringLiteral("WARNING in ring_push"));
    }

    void syslogHostFilter()
    {
        QList<KernelReport> out;
        ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
        d.setSyslogHost("node.example.org");
        d.feedLine("Oct 12 23:25:16 other kernel: mce: [Hardware Error]: Machine check events logged");
        d.feedLine("Oct 12 23:25:17 node kernel: mce: [Hardware Error]: Machine check events logged");
        d.finish();
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].firstLine, 2);
        QCOMPARE(toString(out[0].kind), toString(ReportKind::Mce));
    }

    void falsePositives()
    {
        const QList<QByteArray> lines{
            "[    1.000000] usb 1-1: BUG: device descriptor read error",
            "[    1.000001] shprd.k: BUG in firmware handshake, retrying",
            "[    1.000002] WARNING: Could not open /etc/foo.conf",
            "[    1.000003] INFO: lockdep is turned off.",
            "[    1.000004] Oops: efitime: can't read time!",
            "[    1.000005] kernel: BUG: not at line start",
            "[    1.000006] BUG: 1234",
            "[    1.000007] INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.2 msecs",
            "Mar 16 23:28:08 host gnome-session[1443]: WARNING: Could not launch application",
            "Mar 16 23:28:08 host app[1]: BUG: kernel NULL pointer dereference, address: 0",
        };
        QVERIFY(feedLines(lines).isEmpty());
    }

    void endMarkerEmitsAtOnceAfterQuiet()
    {
        // Live use: the report waits a few lines for a panic, then flushIdle() hands it out.
        QList<KernelReport> out;
        ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
        d.setSource(QStringLiteral("serial"));
        for (const QByteArray &l : x86Warning.split('\n')) {
            if (!l.isEmpty())
                d.feedLine(l);
        }
        QVERIFY(out.isEmpty());
        d.flushIdle();
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].source, QStringLiteral("serial"));
        QVERIFY(!out[0].corrupted);
        QCOMPARE(out[0].lastLine, 11);
        d.finish();
        QCOMPARE(out.size(), 1);
    }

    void ordinaryLinesAfterEndMarkerEmit()
    {
        QList<QByteArray> lines = x86Warning.split('\n');
        lines.removeAll(QByteArray());
        for (int i = 0; i < 12; ++i)
            lines.append("[   11.000000] eth0: link up " + QByteArray::number(i));
        QList<KernelReport> out;
        ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
        for (const QByteArray &l : lines)
            d.feedLine(l);
        QCOMPARE(out.size(), 1); // before finish(): the quiet lines closed it
        QCOMPARE(out[0].lastLine, 11);
    }

    void panicAfterEndMarkerMerges()
    {
        QList<QByteArray> lines = x86Warning.split('\n');
        lines.removeAll(QByteArray());
        lines.append("[   10.100000] Kernel panic - not syncing: panic_on_warn set ...");
        lines.append("[   10.100001] Kernel Offset: disabled");
        lines.append("[   10.100002] ---[ end Kernel panic - not syncing: panic_on_warn set ... ]---");
        const auto out = feedLines(lines);
        QCOMPARE(out.size(), 1);
        QVERIFY(out[0].panicked);
        QCOMPARE(toString(out[0].kind), toString(ReportKind::Warning));
        QCOMPARE(out[0].lastLine, 14);
    }

    void flushIdleKeepsUnfinishedReport()
    {
        QList<KernelReport> out;
        ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
        const QList<QByteArray> lines = x86Warning.split('\n');
        for (int i = 0; i < 8; ++i) // up to the first trace frame, no end marker yet
            d.feedLine(lines[i]);
        d.flushIdle();
        QVERIFY(out.isEmpty());
        d.finish();
        QCOMPARE(out.size(), 1);
        QVERIFY(out[0].corrupted);
    }

    void truncatedByEndOfLog()
    {
        const QList<QByteArray> lines{
            "[    5.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "[    5.000001] #PF: supervisor read access in kernel mode",
            "[    5.000002] Oops: 0000 [#1] PREEMPT SMP NOPTI",
            "[    5.000003] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0-13-amd64 #1",
            "[    5.000004] RIP: 0010:f+0x1/0x10",
        };
        const auto out = feedLines(lines);
        QCOMPARE(out.size(), 1);
        QVERIFY(out[0].corrupted);
        QCOMPARE(out[0].lastLine, 5);
        QCOMPARE(out[0].frames.size(), 1);
        QCOMPARE(out[0].guiltyFunction, QStringLiteral("f"));
    }

    void truncatedByNextReport()
    {
        QList<QByteArray> lines{
            "[    5.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "[    5.000002] Oops: 0000 [#1] PREEMPT SMP NOPTI",
            "[    5.000004] RIP: 0010:f+0x1/0x10",
            "[    5.000005] Call Trace:",
            "[    5.000006]  g+0x2/0x20",
        };
        QList<QByteArray> warning = x86Warning.split('\n');
        warning.removeAll(QByteArray());
        lines += warning;
        const auto out = feedLines(lines);
        QCOMPARE(out.size(), 2);
        QVERIFY(out[0].corrupted);
        QCOMPARE(out[0].lastLine, 5);
        QCOMPARE(out[0].frames.size(), 2);
        QVERIFY(!out[1].corrupted);
        QCOMPARE(out[1].firstLine, 6);
        QCOMPARE(toString(out[1].kind), toString(ReportKind::Warning));
    }

    void interleavedCpusWithCallerIds()
    {
        // Two CPUs print at once; printk's caller ids keep their lines apart.
        const QList<QByteArray> lines{
            "[   20.000000][    C0] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "[   20.000001][    C1] ------------[ cut here ]------------",
            "[   20.000002][    C1] WARNING: CPU: 1 PID: 0 at kernel/time/timer.c:1 run_timer+0x10/0x20",
            "[   20.000003][    C0] Oops: 0002 [#1] SMP",
            "[   20.000004][    C0] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1",
            "[   20.000005][    C1] CPU: 1 PID: 0 Comm: swapper/1 Not tainted 6.1.0 #1",
            "[   20.000006][    C0] RIP: 0010:prudaq_irq+0x8/0x30 [prudaq]",
            "[   20.000007][    C1] RIP: 0010:run_timer+0x10/0x20",
            "[   20.000008][    C0] Call Trace:",
            "[   20.000009][    C1] Call Trace:",
            "[   20.000010][    C0]  <IRQ>",
            "[   20.000011][    C1]  <IRQ>",
            "[   20.000012][    C0]  __handle_irq_event_percpu+0x3d/0x190",
            "[   20.000013][    C1]  __run_timers+0x1e5/0x2b0",
            "[   20.000014][    C0]  </IRQ>",
            "[   20.000015][    C1]  </IRQ>",
            "[   20.000016][    C0] ---[ end trace 0000000000000000 ]---",
            "[   20.000017][    C1] ---[ end trace 0000000000000001 ]---",
        };
        const auto out = feedLines(lines);
        QCOMPARE(out.size(), 2);
        const KernelReport &oops = out[0].kind == ReportKind::Oops ? out[0] : out[1];
        const KernelReport &warn = out[0].kind == ReportKind::Oops ? out[1] : out[0];
        QCOMPARE(toString(oops.kind), toString(ReportKind::Oops));
        QCOMPARE(toString(warn.kind), toString(ReportKind::Warning));
        QCOMPARE(oops.cpu, std::optional<int>(0));
        QCOMPARE(warn.cpu, std::optional<int>(1));
        QCOMPARE(oops.guiltyFunction, QStringLiteral("prudaq_irq"));
        QCOMPARE(warn.guiltyFunction, QStringLiteral("run_timer"));
        QCOMPARE(oops.frames.size(), 2);
        QCOMPARE(warn.frames.size(), 2);
        QCOMPARE(oops.lines.size(), 9);
        QCOMPARE(warn.lines.size(), 9); // with its "cut here" line
        QCOMPARE(oops.firstLine, 1);
        QCOMPARE(oops.lastLine, 17);
        QCOMPARE(warn.firstLine, 2);
        QVERIFY(!oops.corrupted);
        QVERIFY(!warn.corrupted);
    }

    void interleavedCpusWithoutCallerIdsDoNotMerge()
    {
        const QList<QByteArray> lines{
            "[   20.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "[   20.000002] WARNING: CPU: 1 PID: 0 at kernel/time/timer.c:1 run_timer+0x10/0x20",
            "[   20.000003] Oops: 0002 [#1] SMP",
            "[   20.000004] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.0 #1",
            "[   20.000005] CPU: 1 PID: 0 Comm: swapper/1 Not tainted 6.1.0 #1",
        };
        const auto out = feedLines(lines);
        QCOMPARE(out.size(), 2);
        QVERIFY(out[0].corrupted);
        QVERIFY(out[1].corrupted);
        QCOMPARE(toString(out[0].kind), toString(ReportKind::Oops));
        QCOMPARE(toString(out[1].kind), toString(ReportKind::Warning));
    }

    void hungTaskEndsWhenLogResumes()
    {
        const QList<QByteArray> lines{
            "[  240.000000] INFO: task kworker/0:1:45 blocked for more than 120 seconds.",
            "[  240.000001]       Tainted: G           O       6.1.0-13-amd64 #1 Debian 6.1.55-1",
            "[  240.000002] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
            "[  240.000003] task:kworker/0:1     state:D stack:0     pid:45    ppid:2      flags:0x00004000",
            "[  240.000004] Workqueue: events prudaq_stall_work [prudaq]",
            "[  240.000005] Call Trace:",
            "[  240.000006]  <TASK>",
            "[  240.000007]  __schedule+0x34d/0x9e0",
            "[  240.000008]  schedule+0x5a/0xd0",
            "[  240.000009]  schedule_timeout+0x118/0x150",
            "[  240.000010]  wait_for_completion+0x86/0x160",
            "[  240.000011]  prudaq_stall_work+0x2c/0x60 [prudaq]",
            "[  240.000012]  process_one_work+0x1c7/0x380",
            "[  240.000013]  </TASK>",
            "[  241.000000] eth0: link up",
            "[  241.000001] usb 1-1: new device",
        };
        QList<KernelReport> out;
        ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
        for (const QByteArray &l : lines)
            d.feedLine(l);
        // kernel/hung_task.c may print held locks, backtraces and a panic after the trace: the
        // report waits for them as die()'s reports wait after their end marker, and a live
        // source's quiet period hands it out without finish().
        d.flushIdle();
        QCOMPARE(out.size(), 1);
        const KernelReport &r = out[0];
        QCOMPARE(toString(r.kind), toString(ReportKind::HungTask));
        QCOMPARE(r.lastLine, 14);
        QVERIFY(!r.corrupted);
        QCOMPARE(r.guiltyFunction, QStringLiteral("prudaq_stall_work"));
        QCOMPARE(r.guiltyModule, QStringLiteral("prudaq"));
        QCOMPARE(r.title, QStringLiteral("task hung in prudaq_stall_work"));
        QCOMPARE(r.kernelRelease, QStringLiteral("6.1.0-13-amd64"));
        QCOMPARE(r.frames.size(), 6);
        QCOMPARE(toString(r.frames[0].context), toString(FrameContext::Task));
    }

    void kasanReportEndsAtItsRule()
    {
        const QList<QByteArray> lines{
            "[   50.100000] ==================================================================",
            "[   50.100001] BUG: KASAN: use-after-free in prudaq_ring_pop+0x3c/0x80 [prudaq]",
            "[   50.100002] Read of size 8 at addr ffff888012345678 by task kworker/0:1/45",
            "[   50.100003] ",
            "[   50.100004] CPU: 0 PID: 45 Comm: kworker/0:1 Tainted: G           O      6.1.0-13-amd64 #1",
            "[   50.100005] Call Trace:",
            "[   50.100006]  <TASK>",
            "[   50.100007]  dump_stack_lvl+0x44/0x5c",
            "[   50.100008]  print_report+0x184/0x4be",
            "[   50.100009]  kasan_report+0xc3/0x100",
            "[   50.100010]  prudaq_ring_pop+0x3c/0x80 [prudaq]",
            "[   50.100011]  prudaq_consumer+0x51/0x90 [prudaq]",
            "[   50.100012]  process_one_work+0x1c7/0x380",
            "[   50.100013]  </TASK>",
            "[   50.100014] ",
            "[   50.100015] Allocated by task 1:",
            "[   50.100016]  kasan_save_stack+0x1e/0x40",
            "[   50.100017]  prudaq_probe+0x80/0x200 [prudaq]",
            "[   50.100018] ",
            "[   50.100019] Freed by task 2:",
            "[   50.100020]  kasan_save_stack+0x1e/0x40",
            "[   50.100021]  kfree+0x8a/0x120",
            "[   50.100022]  prudaq_remove+0x40/0x90 [prudaq]",
            "[   50.100023] ",
            "[   50.100024] The buggy address belongs to the object at ffff888012345600",
            "[   50.100025] ==================================================================",
            "[   50.100026] usb 1-1: new device",
        };
        // Complete at the rule: it waits only for a panic_on_warn panic (mm/kasan/report.c
        // end_report()), as die()'s reports do after their end marker, and a live source's
        // quiet period hands it out (flushIdle()) without finish().
        QList<KernelReport> out;
        ReportDetector d([&](KernelReport &&r) { out.append(std::move(r)); });
        for (const QByteArray &l : lines)
            d.feedLine(l);
        d.flushIdle();
        QCOMPARE(out.size(), 1);
        const KernelReport &r = out[0];
        QVERIFY(!r.panicked);
        QCOMPARE(toString(r.kind), toString(ReportKind::Kasan));
        QCOMPARE(r.title, QStringLiteral("KASAN: use-after-free in prudaq_ring_pop"));
        QCOMPARE(r.firstLine, 1);
        QCOMPARE(r.lastLine, 26);
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(0xffff888012345678));
        QCOMPARE(r.frames.size(), 6); // the allocation and free stacks are not the report's trace
        QCOMPARE(r.guiltyModule, QStringLiteral("prudaq"));
        QVERIFY(!r.corrupted);
    }

    void rcuStallWithNmiBacktrace()
    {
        const QList<QByteArray> lines{
            "[  100.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
            "[  100.000001] rcu: \t1-...0: (1 GPs behind) idle=b2c/1/0x4000000000000000 softirq=1234/1235 fqs=5250",
            "[  100.000002] \t(detected by 0, t=21002 jiffies, g=4561, q=120 ncpus=2)",
            "[  100.000003] Sending NMI from CPU 0 to CPUs 1:",
            "[  100.000004] NMI backtrace for cpu 1",
            "[  100.000005] CPU: 1 PID: 99 Comm: prudaq_sync Tainted: G           O       6.1.0-13-amd64 #1",
            "[  100.000006] RIP: 0010:prudaq_spin+0x12/0x30 [prudaq]",
            "[  100.000008] RSP: 0018:ffffa5c8c00a3e90 EFLAGS: 00000246",
            "[  100.000009] Call Trace:",
            "[  100.000010]  <TASK>",
            "[  100.000011]  prudaq_sync_thread+0x40/0x90 [prudaq]",
            "[  100.000012]  kthread+0xe9/0x110",
            "[  100.000013]  ret_from_fork+0x22/0x30",
            "[  100.000014]  </TASK>",
            "[  100.000015] systemd-journald[200]: Under memory pressure, flushing caches.",
        };
        const auto out = feedLines(lines, false);
        QCOMPARE(out.size(), 1);
        const KernelReport &r = out[0];
        QCOMPARE(toString(r.kind), toString(ReportKind::RcuStall));
        QCOMPARE(r.title, QStringLiteral("RCU stall in prudaq_spin"));
        QCOMPARE(r.lastLine, 14);
        QCOMPARE(r.frames.size(), 4);
        QCOMPARE(r.cpu, std::optional<int>(1));
        QVERIFY(!r.corrupted);
    }

    void kmsgRecordsAndInvalidUtf8()
    {
        const QList<QByteArray> lines{
            "4,100,5000000,-;------------[ cut here ]------------",
            QByteArray("4,101,5000001,-;WARNING: CPU: 0 PID: 9 at drivers/x.c:3 f+0x1/0x2 \xff\xfe"),
            "4,102,5000002,-;Call Trace:",
            "4,103,5000003,-; g+0x10/0x20",
            "4,104,5000004,-;---[ end trace 0000000000000000 ]---",
        };
        const auto out = feedLines(lines);
        QCOMPARE(out.size(), 1);
        QCOMPARE(toString(out[0].kind), toString(ReportKind::Warning));
        QCOMPARE(out[0].firstLine, 1);
        QCOMPARE(out[0].lastLine, 5);
        QVERIFY(out[0].lines[1].contains(QChar::ReplacementCharacter));
        QCOMPARE(out[0].guiltyFunction, QStringLiteral("g"));
    }

    void streamingEqualsWholeBuffer()
    {
        const QByteArray log = readSample("x86_64-null-deref-in-exit.log")
            + readSample("arm32-reload-cma-alloc-failure.log") + readSample("arm32-hrtimer-uaf-unload-panic.log");
        const auto whole = detectReports(log);
        QCOMPARE(whole.size(), 2);
        QCOMPARE(whole[1].firstLine, 45 + 16 + 1);
        QList<QByteArray> lines = log.split('\n');
        if (lines.back().isEmpty())
            lines.removeLast();
        const auto streamed = feedLines(lines);
        QCOMPARE(streamed.size(), whole.size());
        for (int i = 0; i < whole.size(); ++i) {
            QCOMPARE(streamed[i].firstLine, whole[i].firstLine);
            QCOMPARE(streamed[i].lastLine, whole[i].lastLine);
            QCOMPARE(streamed[i].title, whole[i].title);
        }
    }
};

QTEST_GUILESS_MAIN(TestReportDetector)
#include "tst_reportdetector.moc"
