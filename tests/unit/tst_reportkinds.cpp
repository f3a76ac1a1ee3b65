// The audit of the report engine against the kernel's printing code (4.x-6.x): one case per
// headline form, per skip rule and per ordinary line found missing or misread, each naming the
// kernel function (and the version) that prints it. The logs are in tests/data/formats/ and
// seed the fuzz_report target with the rest of that directory.
#include "formatlogs.h"

using namespace kms;
using kms::test::readFormat;

class TestReportKinds : public QObject
{
    Q_OBJECT
private slots:
    void formats_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("index"); // which report of the file
        QTest::addColumn<int>("count"); // reports in the file
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("title");
        QTest::addColumn<QString>("guilty");
        QTest::addColumn<bool>("panicked");

        // kernel/locking/lockdep.c print_lock_invalid_wait_context() (5.7+): "[ BUG: Invalid wait context ]"
        QTest::newRow("invalid wait context") << "lockdep-invalid-wait-context-6x.log" << 0 << 1 << "lockdep"
                                              << "Invalid wait context in prudaq_ring_push"
                                              << "prudaq_ring_push" << false;
        // kernel/locking/lockdep.c print_lock_nested_lock_not_held(): "WARNING: Nested lock was not taken"
        QTest::newRow("nested lock not taken") << "lockdep-nested-nonstatic-5x.log" << 0 << 2 << "lockdep"
                                               << "Nested lock was not taken in prudaq_chan_lock_all"
                                               << "prudaq_chan_lock_all" << false;
        // kernel/locking/lockdep.c register_lock_class(): no "stack backtrace:" line, dump_stack() alone
        QTest::newRow("non-static key") << "lockdep-nested-nonstatic-5x.log" << 1 << 2 << "lockdep"
                                        << "trying to register non-static key in prudaq_stats_reset"
                                        << "prudaq_stats_reset" << false;
        // kernel/locking/lockdep.c print_unlock_imbalance_bug() from mutex_unlock(): the unlocker is named
        QTest::newRow("bad unlock balance") << "lockdep-bad-unlock-5x.log" << 0 << 1 << "lockdep"
                                            << "bad unlock balance detected in prudaq_stop_all"
                                            << "prudaq_stop_all" << false;
        // arch/x86/kernel/dumpstack.c __die_header() (6.9+): "Oops: %s: %04lx [#%d]"
        QTest::newRow("6.9 Oops: general protection fault") << "x86-oops-prefix-6.9.log" << 0 << 3 << "gpf"
                                                            << "general protection fault in prudaq_rx_complete"
                                                            << "prudaq_rx_complete" << false;
        // arch/x86/kernel/traps.c exc_stack_segment() -> do_trap() -> die("stack segment") (6.9+ form)
        QTest::newRow("6.9 Oops: stack segment") << "x86-oops-prefix-6.9.log" << 1 << 3 << "oops"
                                                 << "stack segment fault in prudaq_desc_walk"
                                                 << "prudaq_desc_walk" << false;
        // lib/bug.c report_bug() "kernel BUG at", then __die_header()'s "Oops: invalid opcode" joins it
        QTest::newRow("6.9 kernel BUG then Oops: invalid opcode") << "x86-oops-prefix-6.9.log" << 2 << 3 << "bug"
                                                                  << "kernel BUG in prudaq_release_ring"
                                                                  << "prudaq_release_ring" << false;
        // arch/x86/kernel/traps.c do_trap() -> die("stack segment") before 6.9
        QTest::newRow("stack segment 5.x") << "stack-segment-5x.log" << 0 << 1 << "oops"
                                           << "stack segment fault in prudaq_desc_walk"
                                           << "prudaq_desc_walk" << false;
        // arch/x86/kernel/traps.c handle_stack_overflow() (5.x+): "BUG: %s stack guard page was hit at"
        QTest::newRow("TASK stack guard page") << "stack-guard-named-6x.log" << 0 << 1 << "stack_corruption"
                                               << "BUG: stack guard page was hit in prudaq_walk_tree"
                                               << "prudaq_walk_tree" << true;
        // mm/kmemleak.c print_unreferenced() with 6.10's allocation profiling ("*_noprof" allocators)
        QTest::newRow("kmemleak 6.10 noprof") << "kmemleak-6.10-noprof.log" << 0 << 1 << "kmemleak"
                                              << "memory leak in prudaq_name_channel"
                                              << "prudaq_name_channel" << false;
        // mm/usercopy.c usercopy_abort() (4.16+) then BUG(): the copier's caller is named
        QTest::newRow("usercopy") << "usercopy-5x.log" << 0 << 1 << "bug"
                                  << "usercopy: kernel memory exposure attempt detected in prudaq_stats_read"
                                  << "prudaq_stats_read" << false;
        // lib/string_helpers.c fortify_panic() (4.13-6.7): pr_emerg("detected buffer overflow in %s") + BUG()
        QTest::newRow("fortify_panic 5.x") << "fortify-5x-6x.log" << 0 << 3 << "bug"
                                           << "fortify: detected buffer overflow in prudaq_set_label"
                                           << "prudaq_set_label" << false;
        // lib/string_helpers.c __fortify_report() (6.9+): WARN(1, "%s: detected buffer overflow: ...")
        QTest::newRow("__fortify_report 6.9") << "fortify-5x-6x.log" << 1 << 3 << "bug"
                                              << "fortify: detected buffer overflow in prudaq_set_label"
                                              << "prudaq_set_label" << false;
        // include/linux/fortify-string.h fortify_memcpy_chk() (6.1+): WARN_ONCE(... field-spanning write ...)
        QTest::newRow("field-spanning write") << "fortify-5x-6x.log" << 2 << 3 << "warning"
                                              << "fortify: detected field-spanning write in prudaq_fill_hdr"
                                              << "prudaq_fill_hdr" << false;
        // arch/powerpc/mm/fault.c __bad_page_fault() (5.x+): "BUG: Kernel NULL pointer dereference on read at"
        QTest::newRow("ppc64 Kernel NULL pointer") << "ppc64-null-5x.log" << 0 << 1 << "oops"
                                                   << "NULL pointer dereference in prudaq_ring_peek"
                                                   << "prudaq_ring_peek" << false;
        // arch/riscv/kernel/traps.c die() with show_regs()' "epc : %pS" / " ra : %pS"
        QTest::newRow("riscv oops") << "riscv-oops-6x.log" << 0 << 1 << "oops"
                                    << "NULL pointer dereference in prudaq_ring_peek"
                                    << "prudaq_ring_peek" << false;
        // mm/slab_common.c kmem_cache_destroy(): pr_err() + dump_stack() (5.x), WARN() message (6.x)
        QTest::newRow("kmem_cache_destroy 5.x") << "slab-cache-destroy-5x-6x.log" << 1 << 3 << "bug"
                                                << "kmem_cache_destroy: Slab cache still has objects in prudaq_exit"
                                                << "prudaq_exit" << false;
        QTest::newRow("kmem_cache_destroy 6.x") << "slab-cache-destroy-5x-6x.log" << 2 << 3 << "bug"
                                                << "kmem_cache_destroy: Slab cache still has objects in prudaq_exit"
                                                << "prudaq_exit" << false;
        // kernel/hung_task.c check_hung_uninterruptible_tasks(): debug_show_all_locks() ("2 locks held by"),
        // the NMI backtraces, then panic("hung_task: blocked tasks")
        QTest::newRow("hung task then hung_task_panic") << "hung-task-panic-6x.log" << 0 << 1 << "hung_task"
                                                        << "task hung in prudaq_wait_idle"
                                                        << "prudaq_wait_idle" << true;
        // mm/slub.c print_track() (5.14+: "Allocated in %pS age=", no "INFO: "): the object's history is
        // not the trace; the check that found the poison (check_bytes_and_report()) is
        QTest::newRow("SLUB poison 6.x") << "slub-poison-6x.log" << 0 << 1 << "bug"
                                         << "BUG kmalloc-64: Poison overwritten in prudaq_alloc_ring"
                                         << "prudaq_alloc_ring" << false;
        // mm/kasan/report.c end_report(): the closing rule, then panic("panic_on_warn set ...")
        QTest::newRow("KASAN then panic_on_warn") << "sanitizer-panic-on-warn-5x.log" << 0 << 1 << "kasan"
                                                  << "KASAN: use-after-free in prudaq_stats_read"
                                                  << "prudaq_stats_read" << true;
    }

    void formats()
    {
        QFETCH(QString, file);
        QFETCH(int, index);
        QFETCH(int, count);
        QFETCH(QString, kind);
        QFETCH(QString, title);
        QFETCH(QString, guilty);
        QFETCH(bool, panicked);
        kms::test::checkFormatReport(file, index, count, kind, title, guilty, QStringLiteral("prudaq"), panicked);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(!detectReports(readFormat(file))[index].corrupted);
    }

    // register_lock_class() prints no "stack backtrace:" before its trace: the report ends with
    // the trace, and the driver's next lines are not part of it.
    void lockdepWithoutStackBacktraceLineEndsWithItsTrace()
    {
        const QByteArray log = readFormat(QStringLiteral("lockdep-nested-nonstatic-5x.log"));
        const QList<KernelReport> reports = detectReports(log);
        QCOMPARE(reports.size(), 2);
        const int lastFrameLine = int(log.left(log.indexOf("do_one_initcall")).count('\n')) + 1;
        QCOMPARE(reports[1].lastLine, lastFrameLine);
        QCOMPARE(reports[1].frames.size(), 8);
    }

    // riscv's " ra : %pS" and powerpc's "LR [%lx] %pS": return addresses printed as functions,
    // register rows beside the trace as ARM's LR.
    void returnAddressRegisters()
    {
        const QList<KernelReport> riscv = detectReports(readFormat(QStringLiteral("riscv-oops-6x.log")));
        QCOMPARE(riscv.size(), 1);
        QCOMPARE(riscv[0].registerFrames.size(), 1);
        QCOMPARE(riscv[0].registerFrames[0].registerName, QStringLiteral("ra"));
        QCOMPARE(riscv[0].registerFrames[0].function, QStringLiteral("prudaq_read"));
        QCOMPARE(riscv[0].registerFrames[0].address, std::optional<std::uint64_t>(0xffffffff01234158));
        QVERIFY(!riscv[0].registerFrames[0].exactPc);
        QCOMPARE(riscv[0].frames.size(), 3);

        const QList<KernelReport> ppc = detectReports(readFormat(QStringLiteral("ppc64-null-5x.log")));
        QCOMPARE(ppc.size(), 1);
        QCOMPARE(ppc[0].registerFrames.size(), 1);
        QCOMPARE(ppc[0].registerFrames[0].registerName, QStringLiteral("lr"));
        QCOMPARE(ppc[0].registerFrames[0].function, QStringLiteral("prudaq_read"));
        QCOMPARE(ppc[0].registerFrames[0].address, std::optional<std::uint64_t>(0xc008000000a0b158));
    }

    // A cut-short report keeps its kind and title from the headline alone.
    void headlineOnly_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("title");
        QTest::addColumn<QString>("guilty");
        // kernel/locking/lockdep.c look_up_lock_class(): printk(KERN_ERR "BUG: looking up invalid subclass: %u")
        QTest::newRow("invalid subclass") << QByteArray("BUG: looking up invalid subclass: 8") << "lockdep"
                                          << "looking up invalid subclass"
                                          << "";
        // kernel/locking/lockdep.c register_lock_class(): "BUG: MAX_LOCKDEP_KEYS too low!"
        QTest::newRow("MAX_LOCKDEP_KEYS") << QByteArray("BUG: MAX_LOCKDEP_KEYS too low!") << "lockdep"
                                          << "BUG: MAX_LOCKDEP_KEYS too low"
                                          << "";
        // kernel/locking/lockdep.c save_trace(): "BUG: MAX_STACK_TRACE_ENTRIES too low!"
        QTest::newRow("MAX_STACK_TRACE_ENTRIES") << QByteArray("BUG: MAX_STACK_TRACE_ENTRIES too low!") << "lockdep"
                                                 << "BUG: MAX_STACK_TRACE_ENTRIES too low"
                                                 << "";
        // arch/x86/kernel/traps.c handle_stack_overflow(), the IRQ stack's name first
        QTest::newRow("IRQ stack guard page") << QByteArray(
            "BUG: IRQ stack guard page was hit at 00000000e6e8b9d6 (stack is 00000000bb4de5b8..00000000d9c1ab23)")
                                              << "stack_corruption"
                                              << "BUG: stack guard page was hit"
                                              << "";
        // arch/x86/kernel/dumpstack.c __die_header() (6.9+) with nothing before it
        QTest::newRow("6.9 Oops: divide error")
            << QByteArray("Oops: divide error: 0000 [#1] PREEMPT SMP NOPTI") << "oops"
            << "divide error"
            << "";
        // kernel/panic.c warn_slowpath_common() (3.x) as a syslog collector left it: the space after "at" lost
        QTest::newRow("WARNING: at, no space")
            << QByteArray("WARNING: atarch/x86/xen/mmu.c:475 xen_make_pte+0x32/0x8e()") << "warning"
            << "WARNING in xen_make_pte"
            << "xen_make_pte";
        // lib/string_helpers.c __fortify_report() (6.8): "%s: detected buffer %s overflow"
        QTest::newRow("fortify 6.8") << QByteArray("memcpy: detected buffer write overflow") << "bug"
                                     << "fortify: detected buffer overflow"
                                     << "";
        // mm/usercopy.c report_usercopy() (4.8-4.15): lower-case "kernel memory"
        QTest::newRow("usercopy 4.8") << QByteArray(
            "usercopy: kernel memory overwrite attempt detected to ffff8800 (kmalloc-64) (128 bytes)")
                                      << "bug"
                                      << "usercopy: kernel memory overwrite attempt detected"
                                      << "";
    }

    void headlineOnly()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, kind);
        QFETCH(QString, title);
        QFETCH(QString, guilty);
        for (const QByteArray &prefix : {QByteArray(), QByteArray("[  812.441102] ")}) {
            const QList<KernelReport> reports = detectReports(prefix + line + "\n");
            QCOMPARE(reports.size(), 1);
            QCOMPARE(toString(reports[0].kind), kind);
            QCOMPARE(reports[0].title, title);
            QCOMPARE(reports[0].guiltyFunction, guilty);
        }
    }

    // Real kernel lines near the new headlines that are not reports.
    void ordinaryMessagesAreNotReports()
    {
        const QByteArray log =
            // arch/x86/kernel/traps.c gp_user_force_sig_segv()/do_trap() show_signal(): user-space traps
            "[    1.600000] traps: a.out[1234] general protection fault ip:401136 sp:7ffd2c1a5b20 error:0 in "
            "a.out[401000+1000]\n"
            "[    1.700000] traps: a.out[1235] trap stack segment ip:401136 sp:7ffd2c1a5b20 error:0 in "
            "a.out[401000+1000]\n"
            // arch/x86/mm/fault.c show_signal_msg()
            "[    1.800000] a.out[1236]: segfault at 0 ip 0000000000401136 sp 00007ffd2c1a5b20 error 6 in "
            "a.out[401000+1000]\n"
            // arch/x86/kernel/nmi.c nmi_check_duration()
            "[    1.900000] INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.234 msecs\n"
            // kernel/locking/lockdep.c lockdep_init(): the table sizes
            "[    0.700001] ... MAX_LOCKDEP_SUBCLASSES:  8\n"
            "[    0.700003] ... MAX_LOCKDEP_KEYS:        8192\n"
            // lib/fortify_kunit.c and friends: a test's own words
            "[    1.200000] fortify_kunit: detected buffer overflow test skipped\n"
            "[    1.200001]     # fortify_test_strcpy: detected buffer overflow as expected\n"
            // mm/usercopy.c set_hardened_usercopy(), lib/refcount selftests
            "[    1.000000] usercopy: hardened usercopy disabled\n"
            "[    1.000001] refcount_t: selftest passed\n"
            // drivers printing the words of a die header
            "[    2.000000] general protection fault handler ready\n";
        const QList<KernelReport> reports = detectReports(log);
        for (const KernelReport &r : reports)
            qWarning() << "false report:" << r.title;
        QVERIFY(reports.isEmpty());
    }

    // One rule each, from the traces above: what reports rather than causes is never guilty.
    void skipRules_data()
    {
        QTest::addColumn<QString>("function");
        QTest::addColumn<bool>("infrastructure");
        // 6.10+ allocation profiling: "_noprof" allocators
        for (const char *f : {"kmemdup_noprof", "__kmalloc_cache_noprof", "__kmalloc_node_track_caller_noprof",
                              "alloc_pages_mpol_noprof", "__kvmalloc_node_noprof", "krealloc_noprof"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // releasing locks (lockdep's bad unlock balance reports from inside them)
        for (const char *f :
             {"mutex_unlock", "__mutex_unlock_slowpath", "up_write", "up_read", "up", "_raw_spin_trylock",
              "_raw_spin_unlock_irqrestore", "mutex_lock_nest_lock", "local_bh_enable", "__local_bh_enable_ip"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // mm/usercopy.c checks and the user-copy allocators
        for (const char *f : {"usercopy_abort", "__check_heap_object", "__check_object_size", "memdup_user",
                              "vmemdup_user", "strndup_user"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // arm64 BUG()/WARN() via brk
        for (const char *f : {"bug_brk_handler", "call_el1_break_hook", "__fortify_report", "__fortify_panic"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // might_sleep() in allocations, ODEBUG fixups, device references, managed allocations, io copies
        for (const char *f :
             {"fs_reclaim_acquire", "slab_pre_alloc_hook", "timer_fixup_activate", "__debug_object_init", "put_device",
              "devm_kzalloc", "__devres_alloc_node", "kasprintf", "pcpu_alloc", "memcpy_fromio", "__get_user_8"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // found by fuzz_report: a syscall wrapper's prefix alone (bytes lost mid-name) names no call
        for (const char *f : {"__x64_sys_", "__se_sys_", "__arm64_sys_"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // a module's own names that merely look alike
        for (const char *f : {"prudaq_unlock", "update_stats", "upload_fw", "memdup_cfg", "prudaq_noprof_alloc"})
            QTest::newRow(f) << QString::fromLatin1(f) << false;
    }

    void skipRules()
    {
        QFETCH(QString, function);
        QFETCH(bool, infrastructure);
        QCOMPARE(GuiltyFrame::isInfrastructure(function), infrastructure);
    }
};

QTEST_GUILESS_MAIN(TestReportKinds)
#include "tst_reportkinds.moc"
