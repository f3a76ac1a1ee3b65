// Parsing of the trace formats of each architecture. The logs here are written in the format
// the kernel prints (arch/*/kernel/traps.c, dumpstack.c); expected values read off by hand.
#include "report/reportdetector.h"

#include <QFile>
#include <QTest>

using namespace kms;

namespace {

KernelReport single(const QByteArray &log)
{
    const auto reports = detectReports(log);
    if (reports.size() != 1)
        qFatal("expected one report, got %d", int(reports.size()));
    return reports.front();
}

QByteArray corpusFile(const QString &rel)
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/corpus/") + rel);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(rel));
    return f.readAll();
}

const QByteArray arm64Oops
    = "[   35.012345] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008\n"
      "[   35.012400] Mem abort info:\n"
      "[   35.012410]   ESR = 0x0000000096000005\n"
      "[   35.012420]   EC = 0x25: DABT (current EL), IL = 32 bits\n"
      "[   35.012490] user pgtable: 4k pages, 48-bit VAs, pgdp=0000000041e4b000\n"
      "[   35.012500] [0000000000000008] pgd=0000000000000000, p4d=0000000000000000\n"
      "[   35.012510] Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP\n"
      "[   35.012520] Modules linked in: prudaq(O) virtio_net net_failover failover\n"
      "[   35.012530] CPU: 1 PID: 245 Comm: kworker/1:2 Tainted: G           O       6.1.0-13-arm64 #1  Debian "
      "6.1.55-1\n"
      "[   35.012540] Hardware name: linux,dummy-virt (DT)\n"
      "[   35.012550] Workqueue: events prudaq_work_fn [prudaq]\n"
      "[   35.012560] pstate: 60000005 (nZCv daif -PAN -UAO -TCO -DIT -SSBS BTYPE=--)\n"
      "[   35.012570] pc : prudaq_consume+0x28/0x94 [prudaq 1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B]\n"
      "[   35.012580] lr : prudaq_work_fn+0x40/0x70 [prudaq 1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B]\n"
      "[   35.012590] sp : ffff80000a3bbd40\n"
      "[   35.012600] x29: ffff80000a3bbd40 x28: 0000000000000000 x27: ffff0000c0a1e000\n"
      "[   35.012610] x2 : 0000000000000000 x1 : ffff0000c1234000 x0 : 0000000000000000\n"
      "[   35.012620] Call trace:\n"
      "[   35.012630]  prudaq_consume+0x28/0x94 [prudaq 1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B] (P)\n"
      "[   35.012640]  prudaq_work_fn+0x40/0x70 [prudaq 1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B] (L)\n"
      "[   35.012650]  process_one_work+0x1f4/0x460\n"
      "[   35.012660]  worker_thread+0x188/0x4e0\n"
      "[   35.012670]  kthread+0xe0/0xe4\n"
      "[   35.012680]  ret_from_fork+0x10/0x20\n"
      "[   35.012690] Code: f9400c01 aa0003f3 b4000101 f9400022 (b9400841)\n"
      "[   35.012700] ---[ end trace 0000000000000000 ]---\n";

const QByteArray x86Contexts
    = "[  120.000001] BUG: kernel NULL pointer dereference, address: 0000000000000010\n"
      "[  120.000002] #PF: supervisor read access in kernel mode\n"
      "[  120.000004] PGD 0 P4D 0\n"
      "[  120.000005] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
      "[  120.000006] CPU: 2 PID: 0 Comm: swapper/2 Tainted: G           OE      6.1.0-13-amd64 #1  Debian 6.1.55-1\n"
      "[  120.000008] RIP: 0010:prudaq_timer_fn+0x1c/0xf70 [prudaq]\n"
      "[  120.000009] Code: 0f 1f 44 00 00 55 48 89 e5 53 48 8b 5f 08 <48> 8b 43 10 48 85 c0 74 05 5b 5d c3\n"
      "[  120.000010] RSP: 0018:ffffa5c8c00f0ef0 EFLAGS: 00010046\n"
      "[  120.000011] RAX: 0000000000000000 RBX: 0000000000000000 RCX: 0000000000000001\n"
      "[  120.000012] Call Trace:\n"
      "[  120.000013]  <NMI>\n"
      "[  120.000014]  ? nmi_cpu_backtrace+0x9d/0x100\n"
      "[  120.000015]  </NMI>\n"
      "[  120.000016]  <IRQ>\n"
      "[  120.000017]  ? __die+0x20/0x70\n"
      "[  120.000021]  ? prudaq_timer_fn+0x1c/0xf70 [prudaq]\n"
      "[  120.000022]  __hrtimer_run_queues+0x112/0x2b0\n"
      "[  120.000023]  hrtimer_interrupt+0xf8/0x230\n"
      "[  120.000026]  </IRQ>\n"
      "[  120.000027]  <SOFTIRQ>\n"
      "[  120.000028]  prudaq_tasklet+0x10/0x40 [prudaq]\n"
      "[  120.000029]  </SOFTIRQ>\n"
      "[  120.000030]  <TASK>\n"
      "[  120.000031]  asm_sysvec_apic_timer_interrupt+0x1a/0x20\n"
      "[  120.000032] RIP: 0010:pv_native_safe_halt+0xb/0x10\n"
      "[  120.000033] Code: 0b 66 2e 0f 1f 84 00 00 00 00 00 90 90 90 f3 0f 1e fa fb f4 <c3> cc cc cc cc\n"
      "[  120.000034] RSP: 0018:ffffa5c8c00a3e90 EFLAGS: 00000246\n"
      "[  120.000035] RAX: 1111111111111111 RBX: ffff8e2a4145b300 RCX: 0000000000000000\n"
      "[  120.000036]  default_idle+0x9/0x20\n"
      "[  120.000037]  default_idle_call+0x2c/0xe0\n"
      "[  120.000042]  </TASK>\n"
      "[  120.000043] Modules linked in: prudaq(OE) [last unloaded: prudaq]\n"
      "[  120.000044] CR2: 0000000000000010\n"
      "[  120.000045] ---[ end trace 0000000000000000 ]---\n";

} // namespace

class TestReportParser : public QObject
{
    Q_OBJECT
private slots:
    void arm64Format()
    {
        const KernelReport r = single(arm64Oops);
        QCOMPARE(toString(r.kind), toString(ReportKind::Oops));
        QCOMPARE(toString(r.arch), toString(Arch::Arm64));
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(8));
        QCOMPARE(r.title, QStringLiteral("NULL pointer dereference in prudaq_consume"));
        QCOMPARE(r.guiltyModule, QStringLiteral("prudaq"));
        QCOMPARE(r.comm, QStringLiteral("kworker/1:2"));
        QCOMPARE(r.kernelRelease, QStringLiteral("6.1.0-13-arm64"));
        QCOMPARE(r.modules, (QStringList{"prudaq", "virtio_net", "net_failover", "failover"}));
        QCOMPARE(r.frames.size(), 6); // the pc frame is the first trace frame, not an extra one
        const Frame &pc = r.frames[0];
        QCOMPARE(pc.function, QStringLiteral("prudaq_consume"));
        QCOMPARE(pc.offset, std::optional<std::uint64_t>(0x28));
        QCOMPARE(pc.size, std::optional<std::uint64_t>(0x94));
        QCOMPARE(pc.module, QStringLiteral("prudaq"));
        QCOMPARE(pc.buildId, QStringLiteral("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"));
        QVERIFY(pc.exactPc);
        const Frame &lr = r.frames[1];
        QCOMPARE(lr.function, QStringLiteral("prudaq_work_fn"));
        QCOMPARE(lr.offset, std::optional<std::uint64_t>(0x40));
        QVERIFY(!lr.exactPc); // (L): a link register value, a return address
        QCOMPARE(lr.buildId, pc.buildId);
        QCOMPARE(r.frames[5].function, QStringLiteral("ret_from_fork"));
        QVERIFY(r.frames[5].module.isEmpty());
        QVERIFY(r.code.has_value());
        QCOMPARE(r.code->bytes, QByteArray::fromHex("010c40f9f30300aa010100b4220040f9410840b9"));
        QCOMPARE(r.code->trapIndex, 16);
        QVERIFY(!r.code->thumb);
        QStringList regs;
        for (const Register &reg : r.registers)
            regs.append(reg.name);
        QCOMPARE(regs, (QStringList{"sp", "x29", "x28", "x27", "x2", "x1", "x0"}));
    }

    void x86ContextsAndInTraceRip()
    {
        const KernelReport r = single(x86Contexts);
        QCOMPARE(toString(r.arch), toString(Arch::X86_64));
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(0x10));
        QStringList names;
        for (const Frame &f : r.frames)
            names.append(f.function);
        QCOMPARE(
            names,
            (QStringList{"prudaq_timer_fn", "nmi_cpu_backtrace", "__die", "prudaq_timer_fn", "__hrtimer_run_queues",
                         "hrtimer_interrupt", "prudaq_tasklet", "asm_sysvec_apic_timer_interrupt",
                         "pv_native_safe_halt", "default_idle", "default_idle_call"}));
        QVERIFY(r.frames[0].exactPc);
        QCOMPARE(toString(r.frames[1].context), toString(FrameContext::Nmi));
        QVERIFY(!r.frames[1].reliable);
        QCOMPARE(toString(r.frames[2].context), toString(FrameContext::Irq));
        QVERIFY(!r.frames[3].reliable);
        QCOMPARE(toString(r.frames[4].context), toString(FrameContext::Irq));
        QVERIFY(r.frames[4].reliable);
        QCOMPARE(toString(r.frames[6].context), toString(FrameContext::SoftIrq));
        QCOMPARE(r.frames[6].module, QStringLiteral("prudaq"));
        QCOMPARE(toString(r.frames[7].context), toString(FrameContext::Task));
        // The interrupted PC from the in-trace RIP: an exact frame of the task context.
        QVERIFY(r.frames[8].exactPc);
        QCOMPARE(toString(r.frames[8].context), toString(FrameContext::Task));
        QCOMPARE(r.frames[8].offset, std::optional<std::uint64_t>(0xb));
        QCOMPARE(r.frames[8].inputLine, 25);
        QVERIFY(!r.frames[9].exactPc);
        QCOMPARE(toString(r.frames[9].context), toString(FrameContext::Task));
        QCOMPARE(r.guiltyFunction, QStringLiteral("prudaq_timer_fn"));
        // The first register block and Code: are the oops' own, not the interrupted idle task's.
        QCOMPARE(r.registers[0].name, QStringLiteral("RSP"));
        QCOMPARE(r.registers[0].value, 0xffffa5c8c00f0ef0ULL);
        for (const Register &reg : r.registers)
            QVERIFY(reg.value != 0x1111111111111111ULL);
        QCOMPARE(r.code->trapIndex, 14);
        QCOMPARE(r.code->bytes.size(), 26);
        QCOMPARE(r.modules, QStringList{"prudaq"});
    }

    void interruptedPcMatchingNextFrameIsMerged()
    {
        const QByteArray log = "[ 1.0] BUG: soft lockup - CPU#0 stuck for 22s! [prudaq_sync:99]\n"
                               "[ 1.0] CPU: 0 PID: 99 Comm: prudaq_sync Not tainted 6.1.0-13-amd64 #1\n"
                               "[ 1.0] RIP: 0010:prudaq_spin+0x12/0x30 [prudaq]\n"
                               "[ 1.0] Call Trace:\n"
                               "[ 1.0]  <IRQ>\n"
                               "[ 1.0]  watchdog_timer_fn+0x1b0/0x210\n"
                               "[ 1.0]  </IRQ>\n"
                               "[ 1.0]  <TASK>\n"
                               "[ 1.0]  asm_sysvec_apic_timer_interrupt+0x1a/0x20\n"
                               "[ 1.0] RIP: 0010:prudaq_spin+0x12/0x30 [prudaq]\n"
                               "[ 1.0] RSP: 0018:ffffa5c8c00a3e90 EFLAGS: 00000246\n"
                               "[ 1.0]  ? prudaq_spin+0x12/0x30 [prudaq]\n"
                               "[ 1.0]  prudaq_sync_thread+0x40/0x90 [prudaq]\n"
                               "[ 1.0]  kthread+0xe9/0x110\n"
                               "[ 1.0]  </TASK>\n";
        const KernelReport r = single(log);
        QCOMPARE(toString(r.kind), toString(ReportKind::SoftLockup));
        QStringList names;
        for (const Frame &f : r.frames)
            names.append(f.function);
        QCOMPARE(names,
                 (QStringList{"prudaq_spin", "watchdog_timer_fn", "asm_sysvec_apic_timer_interrupt", "prudaq_spin",
                              "prudaq_sync_thread", "kthread"}));
        QVERIFY(r.frames[3].exactPc); // "? prudaq_spin" after the in-trace RIP is the interrupted PC
        QVERIFY(r.frames[3].reliable);
        QCOMPARE(toString(r.frames[3].context), toString(FrameContext::Task));
        QVERIFY(!r.frames[4].exactPc);
        QCOMPARE(r.title, QStringLiteral("soft lockup in prudaq_spin"));
        QVERIFY(!r.corrupted);
    }

    void oldX86IrqEoiContexts()
    {
        // satyr's github-73: "<IRQ>" up to "<EOI>" (old kernels, no </IRQ>).
        const KernelReport r = single(corpusFile(QStringLiteral("satyr/github-73")));
        QCOMPARE(toString(r.kind), toString(ReportKind::Warning));
        QCOMPARE(r.frames.front().function, QStringLiteral("dump_stack"));
        QCOMPARE(toString(r.frames.front().context), toString(FrameContext::Irq));
        QCOMPARE(r.frames.front().address, std::optional<std::uint64_t>(0xffffffff81656735));
        QCOMPARE(r.frames.back().function, QStringLiteral("common_interrupt"));
        QCOMPARE(toString(r.frames.back().context), toString(FrameContext::Irq));
        QCOMPARE(r.guiltyFunction, QStringLiteral("tcp_fastretrans_alert"));
        QCOMPARE(r.frames.size(), 33);
        const KernelReport m = single(corpusFile(QStringLiteral("satyr/github-73-modified")));
        QCOMPARE(toString(m.frames.front().context), toString(FrameContext::Nmi));
        QCOMPARE(toString(m.frames.back().context), toString(FrameContext::None)); // after <EOI>
        QCOMPARE(m.frames[13].function, QStringLiteral("ip_local_deliver"));
        QCOMPARE(toString(m.frames[13].context), toString(FrameContext::Irq)); // after "<<EOE>> <IRQ>"
    }

    void frameWithBuildIdOnX86()
    {
        const QByteArray log
            = "[ 5.0] WARNING: CPU: 3 PID: 1 at drivers/x.c:9 prudaq_read+0x1c/0x40 [prudaq "
              "0123456789abcdef0123456789abcdef01234567]\n"
              "[ 5.0] RIP: 0010:prudaq_read+0x1c/0x40 [prudaq 0123456789abcdef0123456789abcdef01234567]\n"
              "[ 5.0] Call Trace:\n"
              "[ 5.0]  <TASK>\n"
              "[ 5.0]  vfs_read+0xb0/0x2a0\n"
              "[ 5.0]  </TASK>\n"
              "[ 5.0] ---[ end trace 0000000000000000 ]---\n";
        const KernelReport r = single(log);
        QCOMPARE(r.frames.size(), 2);
        QCOMPARE(r.frames[0].module, QStringLiteral("prudaq"));
        QCOMPARE(r.frames[0].buildId, QStringLiteral("0123456789abcdef0123456789abcdef01234567"));
        QCOMPARE(r.guiltyModule, QStringLiteral("prudaq"));
        QVERIFY(r.frames[1].buildId.isEmpty());
    }

    void thumbCodeAndArmOldFormat()
    {
        const QByteArray log
            = "[ 9.0] Unable to handle kernel paging request at virtual address e7fddef0\n"
              "[ 9.0] Internal error: Oops: 80000005 [#1] SMP THUMB2\n"
              "[ 9.0] PC is at prudaq_isr+0x12/0x40 [prudaq]\n"
              "[ 9.0] LR is at __handle_irq_event_percpu+0x3b/0x1a0\n"
              "[ 9.0] [<bf00101a>] (prudaq_isr [prudaq]) from [<c016e4ab>] (__handle_irq_event_percpu+0x3b/0x1a0)\n"
              "[ 9.0] Code: 4b04 6818 b108 (f8d3) 2000\n"
              "[ 9.0] ---[ end trace 1111111111111111 ]---\n";
        const KernelReport r = single(log);
        QCOMPARE(r.title, QStringLiteral("kernel paging request in prudaq_isr"));
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(0xe7fddef0));
        QVERIFY(r.code->thumb);
        QCOMPARE(r.code->bytes, QByteArray::fromHex("044b186808b1d3f80020"));
        QCOMPARE(r.code->trapIndex, 6);
        QCOMPARE(r.frames.size(), 2);
        QCOMPARE(r.frames[0].offset, std::optional<std::uint64_t>(0x12));
        QCOMPARE(r.frames[0].address, std::optional<std::uint64_t>(0xbf00101a));
    }

    void genericFormatsNameTheirArch()
    {
        // i386 (2.6.27, Fedora), from ABRT's tests: "[<addr>] ? func+off/size [mod]".
        QByteArray i386 = corpusFile(QStringLiteral("abrt/oops1.test.template"));
        i386.replace(":HOSTNAME:", "testhost");
        const KernelReport a = single(i386);
        QCOMPARE(toString(a.arch), toString(Arch::I386));
        QCOMPARE(a.frames.front().function, QStringLiteral("radeon_cp_init_ring_buffer"));
        QVERIFY(a.frames.front().exactPc);
        QCOMPARE(a.frames.front().address, std::optional<std::uint64_t>(0xf88dec25));
        QCOMPARE(a.frames[1].function, QStringLiteral("radeon_cp_resume"));
        QCOMPARE(a.frames[1].module, QStringLiteral("radeon"));
        QCOMPARE(a.frames.back().function, QStringLiteral("syscall_call"));
        QCOMPARE(a.pid, std::optional<int>(8003));
        QCOMPARE(a.comm, QStringLiteral("Xorg"));

        // ppc64: "[sp] [pc] .func+off/size (unreliable)", "NIP [addr] .func+off/size".
        const KernelReport p = single(corpusFile(QStringLiteral("satyr/rhbz-1040900-ppc64-1")));
        QCOMPARE(toString(p.arch), toString(Arch::Ppc64));
        QCOMPARE(p.frames[0].function, QStringLiteral("eeh_dev_check_failure"));
        QCOMPARE(p.frames[0].offset, std::optional<std::uint64_t>(0x27c));
        QVERIFY(p.frames[0].exactPc);
        QCOMPARE(p.frames[1].function, QStringLiteral("eeh_dev_check_failure"));
        QCOMPARE(p.frames[1].address, std::optional<std::uint64_t>(0xc000000008068df8));
        QVERIFY(!p.frames[1].reliable);
        QCOMPARE(p.frames[5].function, QStringLiteral("ipr_probe_ioa"));
        QCOMPARE(p.frames[5].module, QStringLiteral("ipr"));
        QCOMPARE(p.frames.back().function, QStringLiteral("syscall_exit"));

        // s390x: "Krnl PSW" is the exact PC; "([<addr>] ...)" the r14 entry; bare addresses.
        const KernelReport s = single(corpusFile(QStringLiteral("satyr/rhbz-1040900-s390x-1")));
        QCOMPARE(toString(s.arch), toString(Arch::S390x));
        QCOMPARE(s.frames[0].function, QStringLiteral("will_oops_init"));
        QCOMPARE(s.frames[0].offset, std::optional<std::uint64_t>(0x3a));
        QVERIFY(s.frames[0].exactPc);
        QCOMPARE(s.frames[1].offset, std::optional<std::uint64_t>(0x36));
        QCOMPARE(s.frames[1].module, QStringLiteral("will_oops"));
        QVERIFY(s.frames.back().function.isEmpty());
        QCOMPARE(s.frames.back().address, std::optional<std::uint64_t>(0x3fffd4a1d92));
        QCOMPARE(s.frames.size(), 7); // "Last Breaking-Event-Address" adds none
        QCOMPARE(toString(s.kind), toString(ReportKind::Warning));
        QCOMPARE(s.guiltyFunction, QStringLiteral("will_oops_init"));
        QCOMPARE(s.guiltyModule, QStringLiteral("will_oops"));
    }

    void guiltySkipsReportingFrames()
    {
        // Old WARN: dump_stack <- warn_slowpath_common <- warn_slowpath_null <- the culprit.
        const KernelReport r = single(corpusFile(QStringLiteral("satyr/github-102")));
        QCOMPARE(r.frames.front().function, QStringLiteral("dump_stack"));
        QCOMPARE(r.guiltyFunction, QStringLiteral("putback_inactive_pages"));
        QCOMPARE(r.title, QStringLiteral("WARNING in putback_inactive_pages"));
    }
};

QTEST_GUILESS_MAIN(TestReportParser)
#include "tst_reportparser.moc"
