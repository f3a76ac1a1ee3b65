// One case per report format a module developer meets, each log written from the kernel
// function that prints it (named in every row). tests/data/formats/README.md gives the sources.
// Expected values are what a maintainer would write: the kind, a title without addresses or
// PIDs, the function to blame (skipping what reports rather than causes) and its module.
#include "formatlogs.h"

using namespace kms;
using kms::test::readFormat;

class TestReportFormats : public QObject
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
        QTest::addColumn<QString>("module");
        QTest::addColumn<bool>("panicked");

        // mm/kmemleak.c print_unreferenced() through pr_warn() with "kmemleak: " (6.x, crc, no addresses)
        QTest::newRow("kmemleak 6.x console, first object") << "kmemleak-6x-console.log" << 0 << 2 << "kmemleak"
                                                            << "memory leak in prudaq_ring_alloc"
                                                            << "prudaq_ring_alloc"
                                                            << "prudaq" << false;
        QTest::newRow("kmemleak 6.x console, kstrdup skipped") << "kmemleak-6x-console.log" << 1 << 2 << "kmemleak"
                                                               << "memory leak in prudaq_name_channel"
                                                               << "prudaq_name_channel"
                                                               << "prudaq" << false;
        // mm/kmemleak.c print_unreferenced() into /sys/kernel/debug/kmemleak (4.x "[<%pK>] %pS")
        QTest::newRow("kmemleak 4.x debugfs") << "kmemleak-4x-debugfs.log" << 0 << 1 << "kmemleak"
                                              << "memory leak in shepherd_coord_init"
                                              << "shepherd_coord_init"
                                              << "shepherd" << false;
        // kernel/locking/lockdep.c print_circular_bug() + check_noncircular()
        QTest::newRow("lockdep circular") << "lockdep-circular-5x.log" << 0 << 1 << "lockdep"
                                          << "possible circular locking dependency detected in prudaq_reconfig"
                                          << "prudaq_reconfig"
                                          << "prudaq" << false;
        // lib/refcount.c refcount_warn_saturate(): WARN message before __warn()'s line (4.15+)
        QTest::newRow("refcount 5.x") << "refcount-5x.log" << 0 << 1 << "refcount"
                                      << "refcount_t: underflow; use-after-free in prudaq_put_dev"
                                      << "prudaq_put_dev"
                                      << "prudaq" << false;
        // lib/refcount.c refcount_sub_and_test() WARN_ONCE (4.11-4.14): message after __warn()'s line
        QTest::newRow("refcount 4.x message after WARNING") << "refcount-4x-old-order.log" << 0 << 1 << "refcount"
                                                            << "refcount_t: underflow; use-after-free in shepherd_put"
                                                            << "shepherd_put"
                                                            << "shepherd" << false;
        // lib/list_debug.c __list_del_entry_valid() with CONFIG_BUG_ON_DATA_CORRUPTION: BUG()
        QTest::newRow("list_del corruption 6.x") << "list-del-corruption-6x.log" << 0 << 1 << "list_corruption"
                                                 << "list_del corruption in prudaq_rx_complete"
                                                 << "prudaq_rx_complete"
                                                 << "prudaq" << false;
        // lib/debugobjects.c debug_print_object() (WARN with the object's type and hint)
        QTest::newRow("ODEBUG free active") << "odebug-5x.log" << 0 << 1 << "odebug"
                                            << "ODEBUG: free active timer_list in prudaq_free_dev"
                                            << "prudaq_free_dev"
                                            << "prudaq" << false;
        // mm/page_alloc.c bad_page()
        QTest::newRow("Bad page state") << "bad-page-state-5x.log" << 0 << 1 << "bug"
                                        << "BUG: Bad page state in prudaq_release_pages"
                                        << "prudaq_release_pages"
                                        << "prudaq" << false;
        // lib/smp_processor_id.c check_preemption_disabled() for smp_processor_id() and __this_cpu_*()
        QTest::newRow("smp_processor_id preemptible") << "smp-processor-id-5x.log" << 0 << 2 << "bug"
                                                      << "BUG: using smp_processor_id() in prudaq_stats_hit"
                                                      << "prudaq_stats_hit"
                                                      << "prudaq" << false;
        QTest::newRow("__this_cpu_add preemptible") << "smp-processor-id-5x.log" << 1 << 2 << "bug"
                                                    << "BUG: using __this_cpu_add() in prudaq_count_rx"
                                                    << "prudaq_count_rx"
                                                    << "prudaq" << false;
        // net/core/dev.c netdev_wait_allrefs(): a line every 10 s, no trace
        QTest::newRow("unregister_netdevice") << "unregister-netdevice.log" << 0 << 2 << "other"
                                              << "unregister_netdevice: waiting for DEV to become free"
                                              << ""
                                              << "" << false;
        // kernel/hung_task.c check_hung_task() for TASK_KILLABLE sleepers (3.x distribution kernels)
        QTest::newRow("task can't die") << "hung-task-cant-die-3x.log" << 0 << 1 << "hung_task"
                                        << "task can't die in prudaq_stop_stream"
                                        << "prudaq_stop_stream"
                                        << "prudaq" << false;
        // kernel/rcu/tree.c print_cpu_stall() (3.x: "INFO: rcu_sched self-detected stall on CPU { 1}")
        // (the interrupted spin loop is a "? " frame there: the reliable caller is named)
        QTest::newRow("RCU stall 3.x") << "rcu-stall-3x.log" << 0 << 1 << "rcu_stall"
                                       << "RCU stall in prudaq_sync_thread"
                                       << "prudaq_sync_thread"
                                       << "prudaq" << false;
        // kernel/rcu/tree_stall.h print_cpu_stall() (5.x: "rcu: INFO: ..." and an NMI backtrace)
        QTest::newRow("RCU stall 5.x") << "rcu-stall-5x.log" << 0 << 1 << "rcu_stall"
                                       << "RCU stall in prudaq_spin_wait"
                                       << "prudaq_spin_wait"
                                       << "prudaq" << false;
        // kernel/workqueue.c wq_watchdog_timer_fn() + show_workqueue_state()/show_pwq()
        QTest::newRow("workqueue lockup") << "workqueue-lockup-5x.log" << 0 << 1 << "lockup"
                                          << "BUG: workqueue lockup in prudaq_drain"
                                          << "prudaq_drain"
                                          << "" << false;
        // kernel/panic.c __stack_chk_fail() -> panic("stack-protector: ... %pB")
        QTest::newRow("stack-protector") << "stack-protector-4x.log" << 0 << 1 << "stack_corruption"
                                         << "stack-protector: Kernel stack is corrupted in prudaq_parse_cmd"
                                         << "prudaq_parse_cmd"
                                         << "prudaq" << true;
        // arch/x86/kernel/traps.c handle_stack_overflow(): guard page, then die("kernel stack overflow (double-fault)")
        QTest::newRow("stack guard page") << "stack-guard-double-fault-5x.log" << 0 << 1 << "stack_corruption"
                                          << "BUG: stack guard page was hit in prudaq_walk_tree"
                                          << "prudaq_walk_tree"
                                          << "prudaq" << true;
        // arch/x86/kernel/doublefault.c df_debug(): "PANIC: double fault", show_regs(), panic()
        QTest::newRow("double fault 4.x") << "double-fault-4x.log" << 0 << 1 << "oops"
                                          << "double fault in prudaq_deep_recurse"
                                          << "prudaq_deep_recurse"
                                          << "prudaq" << true;
        // mm/slub.c print_track() before 4.x: "INFO: Allocated in %pS age=%lu cpu=%u pid=%d"
        QTest::newRow("old SLUB poison") << "slub-old-poison-3x.log" << 0 << 1 << "bug"
                                         << "BUG kmalloc-128: Poison overwritten in prudaq_alloc_desc"
                                         << "prudaq_alloc_desc"
                                         << "prudaq" << false;
        // fs/super.c generic_shutdown_super() (to 6.5) and fs/dcache.c umount_check()
        QTest::newRow("VFS busy inodes") << "vfs-busy-inodes.log" << 0 << 2 << "bug"
                                         << "VFS: Busy inodes after unmount"
                                         << ""
                                         << "" << false;
        QTest::newRow("dentry still in use") << "vfs-busy-inodes.log" << 1 << 2 << "bug"
                                             << "BUG: Dentry still in use in prudaqfs_kill_sb"
                                             << "prudaqfs_kill_sb"
                                             << "prudaqfs" << false;
        // kernel/kcsan/report.c print_report(): both racing functions in the title
        QTest::newRow("KCSAN data-race") << "kcsan-5x.log" << 0 << 1 << "kcsan"
                                         << "KCSAN: data-race in prudaq_rx_irq / prudaq_read_head"
                                         << "prudaq_rx_irq"
                                         << "prudaq" << false;
        // kernel/panic.c warn_slowpath_common() (2.6/3.x): "WARNING: at %s:%d %pS()"
        QTest::newRow("WARNING at, 2.6") << "warning-2.6-at.log" << 0 << 1 << "warning"
                                         << "WARNING in prudaq_stop"
                                         << "prudaq_stop"
                                         << "prudaq" << false;
        // kernel/panic.c __warn() (6.18): "WARNING: %s:%d at %pS, CPU#%d: %s/%d"
        QTest::newRow("WARNING 6.x file first") << "warning-6x-new-format.log" << 0 << 1 << "warning"
                                                << "WARNING in prudaq_check_ring"
                                                << "prudaq_check_ring"
                                                << "prudaq" << false;
        // kernel/locking/lockdep.c lockdep_rcu_suspicious() and print_held_locks_bug()
        QTest::newRow("suspicious RCU usage") << "lockdep-misc-5x.log" << 0 << 2 << "lockdep"
                                              << "suspicious RCU usage in prudaq_lookup_chan"
                                              << "prudaq_lookup_chan"
                                              << "prudaq" << false;
        QTest::newRow("still has locks held") << "lockdep-misc-5x.log" << 1 << 2 << "lockdep"
                                              << "still has locks held in sys_exit_group"
                                              << "sys_exit_group"
                                              << "" << false;
        // arch/arm/kernel/traps.c die() with 6.x __show_regs() (PC/LR as functions, mem_dump_obj)
        QTest::newRow("ARM 6.x oops") << "arm32-lr-register-info-6x.log" << 0 << 1 << "oops"
                                      << "NULL pointer dereference in prudaq_ring_peek"
                                      << "prudaq_ring_peek"
                                      << "prudaq" << false;
        // arch/arm64/kernel/process.c __show_regs(): "pc : %pS", "lr : %pS"
        QTest::newRow("arm64 oops") << "arm64-lr.log" << 0 << 1 << "oops"
                                    << "NULL pointer dereference in prudaq_ring_peek"
                                    << "prudaq_ring_peek"
                                    << "prudaq" << false;
    }

    void formats()
    {
        QFETCH(QString, file);
        QFETCH(int, index);
        QFETCH(int, count);
        QFETCH(QString, kind);
        QFETCH(QString, title);
        QFETCH(QString, guilty);
        QFETCH(QString, module);
        QFETCH(bool, panicked);
        kms::test::checkFormatReport(file, index, count, kind, title, guilty, module, panicked);
    }

    // A report cut short (a harness's excerpt, a console that dropped lines): the headline
    // alone gives kind, title and guilty function.
    void headlineOnly_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("title");
        QTest::addColumn<QString>("guilty");
        QTest::addColumn<QString>("module");
        // mm/kasan/report.c print_error_description()/print_report(): "BUG: KASAN: %s in %pS"
        QTest::newRow("KASAN") << QByteArray("BUG: KASAN: use-after-free in foo+0x670/0x690") << "kasan"
                               << "KASAN: use-after-free in foo"
                               << "foo"
                               << "";
        QTest::newRow("KASAN module") << QByteArray(
            "BUG: KASAN: slab-out-of-bounds in prudaq_ring_pop+0x3c/0x80 [prudaq]")
                                      << "kasan"
                                      << "KASAN: slab-out-of-bounds in prudaq_ring_pop"
                                      << "prudaq_ring_pop"
                                      << "prudaq";
        // KASAN naming a string helper: it only touched the bad address, nothing to blame yet
        QTest::newRow("KASAN in memcpy") << QByteArray("BUG: KASAN: use-after-free in memcpy+0x20/0x60") << "kasan"
                                         << "KASAN: use-after-free"
                                         << ""
                                         << "";
        // mm/kfence/report.c kfence_report_error(): "BUG: KFENCE: %s %s in %pS"
        QTest::newRow("KFENCE") << QByteArray("BUG: KFENCE: use-after-free read in prudaq_read+0x1c/0x90 [prudaq]")
                                << "kasan"
                                << "KFENCE: use-after-free read in prudaq_read"
                                << "prudaq_read"
                                << "prudaq";
        // kernel/panic.c __warn(), three generations
        QTest::newRow("WARNING CPU") << QByteArray(
            "WARNING: CPU: 1 PID: 77 at drivers/prudaq/ring.c:42 ring_push+0x10/0x40 [prudaq]")
                                     << "warning"
                                     << "WARNING in ring_push"
                                     << "ring_push"
                                     << "prudaq";
        QTest::newRow("WARNING at") << QByteArray(
            "WARNING: at drivers/misc/prudaq.c:412 prudaq_stop+0x8c/0xa0 [prudaq]()")
                                    << "warning"
                                    << "WARNING in prudaq_stop"
                                    << "prudaq_stop"
                                    << "prudaq";
        QTest::newRow("WARNING 6.x") << QByteArray("WARNING: drivers/prudaq/main.c:218 at prudaq_check_ring+0x5e/0x70 "
                                                   "[prudaq], CPU#1: kworker/1:1/58")
                                     << "warning"
                                     << "WARNING in prudaq_check_ring"
                                     << "prudaq_check_ring"
                                     << "prudaq";
        // an ODEBUG report's title line as syzbot forwards it (lib/debugobjects.c is the printer)
        QTest::newRow("WARNING: ODEBUG bug") << QByteArray("WARNING: ODEBUG bug in prudaq_free_dev") << "odebug"
                                             << "ODEBUG bug in prudaq_free_dev"
                                             << "prudaq_free_dev"
                                             << "";
        // kernel/kcsan/report.c print_report()
        QTest::newRow("KCSAN") << QByteArray("BUG: KCSAN: data-race in prudaq_rx_irq / prudaq_read_head") << "kcsan"
                               << "KCSAN: data-race in prudaq_rx_irq / prudaq_read_head"
                               << "prudaq_rx_irq"
                               << "";
        // kernel/panic.c __stack_chk_fail()
        QTest::newRow("stack-protector") << QByteArray(
            "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "
            "prudaq_parse_cmd.isra.0+0x1a4/0x1b0 [prudaq]")
                                         << "stack_corruption"
                                         << "stack-protector: Kernel stack is corrupted in prudaq_parse_cmd"
                                         << "prudaq_parse_cmd"
                                         << "prudaq";
        // arch/x86/lib/refcount.c refcount_error_report() (4.13-5.4)
        QTest::newRow("refcount overflow x86")
            << QByteArray("refcount_t overflow at prudaq_get+0x12/0x30 [prudaq] in prudaqctl[733], uid/euid: 0/0")
            << "refcount"
            << "refcount_t overflow in prudaq_get"
            << "prudaq_get"
            << "prudaq";
        // lib/debugobjects.c debug_print_object(): the hint is the object's callback
        QTest::newRow("ODEBUG hint") << QByteArray("ODEBUG: free active (active state 0) object type: timer_list hint: "
                                                   "prudaq_watchdog_fn+0x0/0x60 [prudaq]")
                                     << "odebug"
                                     << "ODEBUG: free active timer_list in prudaq_watchdog_fn"
                                     << "prudaq_watchdog_fn"
                                     << "prudaq";
        // Titles without PIDs, addresses or counters
        QTest::newRow("scheduling while atomic")
            << QByteArray("BUG: scheduling while atomic: insmod/1234/0x00000002") << "bug"
            << "BUG: scheduling while atomic"
            << ""
            << "";
        QTest::newRow("rss-counter") << QByteArray(
            "BUG: Bad rss-counter state mm:00000000d1f1d05c type:MM_ANONPAGES val:1")
                                     << "bug"
                                     << "BUG: Bad rss-counter state"
                                     << ""
                                     << "";
        QTest::newRow("kill init") << QByteArray(
            "Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b")
                                   << "panic"
                                   << "kernel panic: Attempted to kill init!"
                                   << ""
                                   << "";
        // lib/spinlock_debug.c spin_dump()
        QTest::newRow("spinlock lockup") << QByteArray("BUG: spinlock lockup suspected on CPU#0, insmod/812")
                                         << "lockup"
                                         << "BUG: spinlock lockup suspected"
                                         << ""
                                         << "";
    }

    void headlineOnly()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, kind);
        QFETCH(QString, title);
        QFETCH(QString, guilty);
        QFETCH(QString, module);
        for (const QByteArray &prefix : {QByteArray(), QByteArray("[  812.441102] ")}) {
            const QList<KernelReport> reports = detectReports(prefix + line + "\n");
            QCOMPARE(reports.size(), 1);
            const KernelReport &r = reports[0];
            QCOMPARE(toString(r.kind), kind);
            QCOMPARE(r.title, title);
            QCOMPARE(r.guiltyFunction, guilty);
            QCOMPARE(r.guiltyModule, module);
        }
    }

    // Lines that merely contain a report's words stay ordinary lines.
    void ordinaryMessagesAreNotReports()
    {
        const QByteArray log
            = "[    1.000000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15641)\n"
              "[    1.000001] kmemleak: Automatic memory scanning thread started\n"
              "[    1.000002] ODEBUG: selftest passed\n"
              "[    1.000003] ODEBUG: 27 of 27 active objects replaced\n"
              "[    1.000004] rcu: Hierarchical RCU implementation.\n"
              "[    1.000005] rcu: \tRCU event tracing is enabled.\n"
              "[    1.000006] workqueue: round-robin CPU selection forced, expect performance impact\n"
              "[    1.000007] refcount_t selftest passed\n"
              "[    1.000008] list_lru: registered\n"
              "[    1.000009] VFS: Disk quotas dquot_6.6.0\n"
              "[    1.000010] VFS: Mounted root (ext4 filesystem) readonly on device 254:1.\n"
              "[    1.000011] Stack Depot allocating hash table of 1048576 entries with kvcalloc\n"
              "[    1.000012] WARNING: Unsupported hardware detected, performance may be degraded\n"
              "[    1.000013] unregister_netdevice_notifier: done\n"
              "[    1.000014] stackprotector: enabled\n"
              "[    1.000015] lockdep: fixing up alternatives\n"
              "[    1.000016] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar\n"
              "[    1.000017] KCSAN: enabled early\n"
              "[    1.000018] printk: console [ttyS0] enabled\n";
        const QList<KernelReport> reports = detectReports(log);
        for (const KernelReport &r : reports)
            qWarning() << "false report:" << r.title;
        QVERIFY(reports.isEmpty());
    }

    // One rule each: what reports rather than causes is never guilty.
    void skipRules_data()
    {
        QTest::addColumn<QString>("function");
        QTest::addColumn<bool>("infrastructure");
        // printk/dump_stack/panic/warn helpers
        for (const char *f :
             {"printk", "_printk", "dump_stack_lvl", "panic", "__warn", "warn_slowpath_fmt", "report_bug"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // sanitizer and checker internals
        for (const char *f :
             {"kasan_report", "__asan_load8", "kfence_report_error", "__ubsan_handle_shift_out_of_bounds",
              "lock_acquire", "check_noncircular", "refcount_warn_saturate", "__list_del_entry_valid.cold",
              "debug_print_object", "fortify_panic", "check_preemption_disabled", "kmemleak_alloc",
              "kcsan_setup_watchpoint", "__stack_chk_fail"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // memory and string helpers
        for (const char *f : {"memcpy", "strlen", "_copy_to_user", "__arch_copy_from_user", "kmemdup", "kfree"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // locking and scheduling primitives
        for (const char *f : {"__schedule", "schedule_timeout", "mutex_lock_nested", "wait_for_completion",
                              "rwsem_down_write_slowpath", "_raw_spin_lock_irqsave", "kthread_stop", "flush_workqueue"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // RCU/timer/irq/softirq/workqueue/kthread plumbing
        for (const char *f :
             {"rcu_do_batch", "rcu_core", "call_timer_fn", "__hrtimer_run_queues", "__do_softirq", "handle_irq_event",
              "process_one_work", "worker_thread", "kthread", "asm_call_irq_on_stack"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // syscall entry
        for (const char *f :
             {"entry_SYSCALL_64_after_hwframe", "do_syscall_64", "ret_fast_syscall", "el0_svc", "invoke_syscall"})
            QTest::newRow(f) << QString::fromLatin1(f) << true;
        // what a maintainer names
        for (const char *f : {"prudaq_probe", "__x64_sys_finit_module", "sys_delete_module", "device_del",
                              "print_stats_ring", "memcpy_fromio_checked"})
            QTest::newRow(f) << QString::fromLatin1(f) << false;
    }

    void skipRules()
    {
        QFETCH(QString, function);
        QFETCH(bool, infrastructure);
        QCOMPARE(GuiltyFrame::isInfrastructure(function), infrastructure);
    }

    void displayNames_data()
    {
        QTest::addColumn<QString>("function");
        QTest::addColumn<QString>("shown");
        QTest::newRow("x64 wrapper") << "__x64_sys_futex"
                                     << "sys_futex";
        QTest::newRow("se wrapper") << "__se_sys_futex"
                                    << "sys_futex";
        QTest::newRow("do_sys") << "__do_sys_futex"
                                << "sys_futex";
        QTest::newRow("4.x SyS") << "SyS_futex"
                                 << "sys_futex";
        QTest::newRow("arm64") << "__arm64_sys_read"
                               << "sys_read";
        QTest::newRow("isra") << "prudaq_put_dev.isra.0"
                              << "prudaq_put_dev";
        QTest::newRow("constprop") << "__do_sys_delete_module.constprop.0"
                                   << "sys_delete_module";
        QTest::newRow("cold") << "prudaq_drain.cold"
                              << "prudaq_drain";
        QTest::newRow("plain") << "prudaq_probe"
                               << "prudaq_probe";
        QTest::newRow("ppc64 dot symbol") << ".eeh_dev_check_failure"
                                          << "eeh_dev_check_failure";
        // Found by fuzz_report: a name of dots became the guilty function ".".
        QTest::newRow("dots only") << "..."
                                   << "";
    }

    void displayNames()
    {
        QFETCH(QString, function);
        QFETCH(QString, shown);
        QCOMPARE(GuiltyFrame::displayName(function), shown);
    }

    // Found by fuzz_report: ARM's do_DataAbort() headline cut after "Unhandled fault: " gave an
    // empty title.
    void headlineCutAfterItsMarkerHasATitle()
    {
        const QList<KernelReport> reports = detectReports("[   12.293525] Unhandled fault: \n"
                                                          "[   12.294188] Internal error: : 1b [#1] SMP ARM\n");
        QCOMPARE(reports.size(), 1);
        QCOMPARE(reports[0].title, QStringLiteral("Unhandled fault"));
    }

    // Found by fuzz_report: a frame line "..._do_call+0x12/0x12" named the guilty function ".".
    // kallsyms prints no name that starts with two dots (ppc64 prints one): no frame.
    void dotsAreNoSymbol()
    {
        const QByteArray log = "[    1.000000] BUG: unable to handle kernel paging request at 00000008\n"
                               "[    1.000001] Call Trace:\n"
                               "[    1.000002]  ..._do_call+0x12/0x12\n"
                               "[    1.000003]  prudaq_exit+0x2d/0x604 [prudaq]\n";
        const QList<KernelReport> reports = detectReports(log);
        QCOMPARE(reports.size(), 1);
        QCOMPARE(reports[0].guiltyFunction, QStringLiteral("prudaq_exit"));
        QCOMPARE(reports[0].frames.size(), 1);
    }

    // An out-of-tree module's frame below a core kernel one is the user's code: it is named.
    void taintingModulePreferred()
    {
        // kernel/sched/core.c __might_resched(): "BUG: sleeping function called from invalid context"
        const QByteArray log = "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580\n"
                               "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 812, name: rmmod\n"
                               "Modules linked in: prudaq(O) virtio_net\n"
                               "CPU: 0 PID: 812 Comm: rmmod Tainted: G           O      6.1.0-13-amd64 #1\n"
                               "Call Trace:\n"
                               " <TASK>\n"
                               " dump_stack_lvl+0x44/0x5c\n"
                               " __might_resched.cold+0xcc/0xde\n"
                               " __mutex_lock+0x4c/0x8a0\n"
                               " device_del+0x45/0x3d0\n"
                               " prudaq_remove_chan+0x2e/0x60 [prudaq]\n"
                               " prudaq_remove+0x40/0x90 [prudaq]\n"
                               " </TASK>\n";
        QList<KernelReport> reports = detectReports(log);
        QCOMPARE(reports.size(), 1);
        QCOMPARE(reports[0].guiltyFunction, QStringLiteral("prudaq_remove_chan"));
        QCOMPARE(reports[0].guiltyModule, QStringLiteral("prudaq"));
        QCOMPARE(reports[0].title,
                 QStringLiteral("BUG: sleeping function called from invalid context in prudaq_remove_chan"));
        // Without the taint flag nothing says it is the user's: the first candidate stays.
        QByteArray plain = log;
        plain.replace("prudaq(O)", "prudaq");
        reports = detectReports(plain);
        QCOMPARE(reports[0].guiltyFunction, QStringLiteral("device_del"));
    }

    // ARM "LR is at" and arm64 "lr :": rows of their own, not call-trace frames; 6.x
    // "Register rN information:" kept as a section.
    void registerFrames()
    {
        const QList<KernelReport> arm = detectReports(readFormat(QStringLiteral("arm32-lr-register-info-6x.log")));
        QCOMPARE(arm.size(), 1);
        QCOMPARE(arm[0].registerFrames.size(), 1);
        const Frame &lr = arm[0].registerFrames[0];
        QCOMPARE(lr.registerName, QStringLiteral("lr"));
        QCOMPARE(lr.function, QStringLiteral("prudaq_read"));
        QCOMPARE(lr.offset, std::optional<std::uint64_t>(0x58));
        QCOMPARE(lr.module, QStringLiteral("prudaq"));
        QVERIFY(!lr.exactPc); // a return address
        QCOMPARE(lr.address, std::optional<std::uint64_t>(0xbf0a5a80)); // from "lr : [<bf0a5a80>]"
        for (const Frame &f : arm[0].frames)
            QVERIFY(f.registerName.isEmpty());
        QCOMPARE(arm[0].registerInfo.size(), 4);
        QCOMPARE(arm[0].registerInfo[2],
                 QStringLiteral("Register r4 information: slab kmalloc-128 start c2d8a380 pointer offset 64 size 128"));

        const QList<KernelReport> arm64 = detectReports(readFormat(QStringLiteral("arm64-lr.log")));
        QCOMPARE(arm64.size(), 1);
        QCOMPARE(arm64[0].registerFrames.size(), 1);
        QCOMPARE(arm64[0].registerFrames[0].function, QStringLiteral("prudaq_read"));
        QCOMPARE(arm64[0].registerFrames[0].offset, std::optional<std::uint64_t>(0x54));
        QCOMPARE(arm64[0].frames.size(), 10); // the trace alone
    }
};

QTEST_GUILESS_MAIN(TestReportFormats)
#include "tst_reportformats.moc"
