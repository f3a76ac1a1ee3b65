// One case per report format a module developer meets, each log written from the kernel
// function that prints it (named in every row). tests/data/formats/README.md gives the sources.
// Expected values are what a maintainer would write: the kind, a title without addresses or
// PIDs, the function to blame (skipping what reports rather than causes) and its module.
#include "report/guiltyframe.h"
#include "report/reportdetector.h"

#include <QFile>
#include <QTest>

using namespace kms;

namespace {

QByteArray readFormat(const QString &name)
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/formats/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(name));
    return f.readAll();
}

} // namespace

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
        const QList<KernelReport> reports = detectReports(readFormat(file));
        QCOMPARE(reports.size(), count);
        const KernelReport &r = reports[index];
        QCOMPARE(toString(r.kind), kind);
        QCOMPARE(r.title, title);
        QCOMPARE(r.guiltyFunction, guilty);
        QCOMPARE(r.guiltyModule, module);
        QCOMPARE(r.panicked, panicked);
        QVERIFY(!r.interleaved);
    }
};

QTEST_GUILESS_MAIN(TestReportFormats)
#include "tst_reportformats.moc"
