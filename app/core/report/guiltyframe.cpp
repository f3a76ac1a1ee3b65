#include "report/guiltyframe.h"

#include <QSet>
#include <QString>

#include <array>

namespace kms {

namespace {

// Whole names (after dropping compiler suffixes such as ".isra.0" or ".cold").
const QSet<QString> &exactNames()
{
    static const QSet<QString> names = [] {
        // clang-format off
        const char *const list[] = {
            // printing a report
            "printk", "_printk", "vprintk", "vprintk_emit", "vprintk_default", "vprintk_func",
            "vprintk_deferred", "console_unlock", "dump_stack", "dump_stack_lvl", "__dump_stack",
            "show_stack", "show_stack_log_lvl", "show_trace_log_lvl", "show_regs", "__show_regs",
            "show_registers", "print_trace_address", "printk_stack_address", "unwind_backtrace",
            "walk_stackframe", "arch_stack_walk", "dump_backtrace", "dump_backtrace_entry",
            "dump_backtrace_log_lvl", "dump_mem", "sched_show_task", "show_state_filter",
            "print_modules", "dump_cpu_task",
            // oops / BUG / WARN machinery
            "panic", "nmi_panic", "__warn", "__warn_printk", "report_bug", "fixup_bug", "handle_bug",
            "die", "__die", "__die_body", "oops_end", "oops_begin", "die_kernel_fault", "bug_handler",
            "do_trap", "do_error_trap", "do_invalid_op", "invalid_op", "exc_invalid_op",
            "asm_exc_invalid_op", "do_undefinstr", "call_undef_hook", "brk_handler", "call_break_hook",
            "do_debug_exception", "el1_dbg", "el1_undef", "el1_inv", "do_el1_undef", "do_el1_bti",
            "math_error", "do_divide_error", "exc_divide_error", "do_double_fault", "exc_double_fault",
            "refcount_warn_saturate", "warn_alloc", "warn_bogus_irq_restore",
            // page faults
            "no_context", "__bad_area_nosemaphore", "bad_area_nosemaphore", "bad_area",
            "__bad_area", "bad_area_access_error", "do_page_fault", "__do_page_fault",
            "page_fault", "exc_page_fault", "asm_exc_page_fault", "do_user_addr_fault",
            "do_kern_addr_fault", "kernelmode_fixup_or_oops", "page_fault_oops", "spurious_kernel_fault",
            "do_DataAbort", "do_PrefetchAbort", "do_translation_fault", "do_sect_fault", "do_bad_area",
            "__do_kernel_fault", "do_alignment", "do_mem_abort", "el1_abort", "el1_da", "el1_ia",
            "el1_sync", "el1_sync_handler", "el1h_64_sync", "el1h_64_sync_handler", "do_bad",
            "general_protection", "exc_general_protection", "asm_exc_general_protection",
            "do_general_protection", "bad_page_fault", "handle_page_fault", "program_check_exception",
            "program_check_common", "_exception", "_exception_pkey", "do_report_trap", "illegal_op",
            "pgm_check_handler", "do_no_context", "do_low_address", "do_dat_exception",
            "__dabt_svc", "__und_svc", "__pabt_svc", "__dabt_usr", "__und_usr", "__pabt_usr",
            // locking debug and might_sleep
            "lock_acquire", "lock_release", "__lock_acquire", "lock_acquired", "lock_contended",
            "mark_lock", "mark_held_locks", "validate_chain", "check_prev_add", "check_prevs_add",
            "check_noncircular", "check_deadlock", "print_usage_bug", "print_circular_bug",
            "print_deadlock_bug", "valid_state", "mark_lock_irq", "debug_check_no_locks_freed",
            "trace_hardirqs_on", "trace_hardirqs_off", "trace_hardirqs_on_caller",
            "trace_hardirqs_off_caller", "check_flags", "register_lock_class", "__might_sleep",
            "___might_sleep", "__might_resched", "__might_fault", "might_fault", "__schedule_bug",
            "schedule_debug", "do_raw_spin_lock", "do_raw_spin_unlock", "do_raw_read_lock",
            "do_raw_write_lock", "spin_dump", "spin_bug", "__spin_lock_debug",
            "queued_spin_lock_slowpath", "native_queued_spin_lock_slowpath",
            "__list_add_valid", "__list_del_entry_valid", "__list_add_valid_or_report",
            "__list_del_entry_valid_or_report",
            // sanitizers
            "print_address_description", "print_report", "check_memory_region",
            "check_memory_region_inline", "ubsan_epilogue", "ubsan_prologue",
            // hard and soft interrupt entry, timers
            "__hrtimer_run_queues", "hrtimer_interrupt", "hrtimer_run_queues", "__run_hrtimer",
            "handle_irq", "__handle_irq_event_percpu", "handle_irq_event_percpu", "handle_irq_event",
            "handle_level_irq", "handle_edge_irq", "handle_fasteoi_irq", "handle_percpu_devid_irq",
            "handle_percpu_irq", "generic_handle_irq", "generic_handle_irq_desc",
            "generic_handle_domain_irq", "__handle_domain_irq", "handle_domain_irq",
            "handle_irq_desc", "gic_handle_irq", "omap_intc_handle_irq", "__irq_svc", "__irq_usr",
            "irq_exit", "irq_exit_rcu", "__irq_exit_rcu", "do_IRQ", "common_interrupt",
            "asm_common_interrupt", "ret_from_intr", "smp_apic_timer_interrupt",
            "apic_timer_interrupt", "local_apic_timer_interrupt", "__sysvec_apic_timer_interrupt",
            "timer_interrupt", "arch_timer_handler_phys", "arch_timer_handler_virt",
            "el1_interrupt", "el1_irq", "el1h_64_irq", "el1h_64_irq_handler", "call_on_irq_stack",
            "do_interrupt_handler", "handle_arch_irq", "tick_sched_handle", "tick_sched_timer",
            "tick_nohz_handler", "tick_handle_periodic", "update_process_times",
            "__do_softirq", "do_softirq", "invoke_softirq", "run_ksoftirqd", "handle_softirqs",
            "do_softirq_own_stack", "__do_softirq_own_stack", "call_timer_fn", "expire_timers",
            "__run_timers", "run_timer_softirq", "tasklet_action", "tasklet_action_common",
            "tasklet_hi_action", "nmi_handle", "default_do_nmi", "do_nmi", "exc_nmi",
            "asm_exc_nmi", "end_repeat_nmi", "nmi_cpu_backtrace", "nmi_cpu_backtrace_handler",
            "nmi_trigger_cpumask_backtrace", "arch_trigger_cpumask_backtrace",
            "trigger_single_cpu_backtrace", "watchdog_timer_fn", "watchdog_overflow_callback",
            "rcu_sched_clock_irq", "rcu_pending", "print_cpu_stall", "print_other_cpu_stall",
            "check_cpu_stall", "rcu_dump_cpu_stacks", "rcu_check_callbacks", "rcu_check_gp_kthread_starvation",
            "check_hung_task", "check_hung_uninterruptible_tasks", "watchdog", "hung_task_panic",
            // system calls, kernel threads
            "do_syscall_64", "do_syscall_32_irqs_on", "do_fast_syscall_32", "do_int80_syscall_32",
            "system_call_fastpath", "system_call", "sysenter_do_call", "syscall_call",
            "ret_fast_syscall", "ret_from_fork", "ret_from_fork_asm", "kernel_thread_helper",
            "kernel_thread_exit", "invoke_syscall", "el0_svc", "el0_svc_common", "el0_svc_handler",
            "do_el0_svc", "el0_sync", "el0_sync_handler", "el0t_64_sync", "el0t_64_sync_handler",
            "el0_svc_naked", "__sys_trace_return", "vector_swi", "__sys_trace", "x64_sys_call",
            "exit_to_usermode_loop", "prepare_exit_to_usermode", "syscall_exit", "sysc_tracego",
            "sysc_nr_ok", "system_call_common", "kthread", "worker_thread", "process_one_work",
            "process_scheduled_works", "smpboot_thread_fn",
            // waiting (hung tasks report where a task sleeps, not why)
            "__schedule", "schedule", "schedule_timeout", "schedule_preempt_disabled",
            "io_schedule", "io_schedule_timeout", "schedule_hrtimeout", "schedule_hrtimeout_range",
            "schedule_hrtimeout_range_clock", "__mutex_lock", "__mutex_lock_common",
            "__mutex_lock_slowpath", "mutex_lock", "mutex_lock_nested", "mutex_lock_interruptible",
            "mutex_lock_killable", "__down", "__down_common", "__down_interruptible", "down",
            "down_interruptible", "down_timeout", "down_read", "down_write", "down_read_killable",
            "down_write_killable", "rwsem_down_read_slowpath", "rwsem_down_write_slowpath",
            "rwsem_down_read_failed", "rwsem_down_write_failed", "call_rwsem_down_read_failed",
            "call_rwsem_down_write_failed", "wait_for_completion", "wait_for_completion_timeout",
            "wait_for_completion_interruptible", "wait_for_completion_killable",
            "wait_for_common", "__wait_for_common", "do_wait_for_common", "__wait_on_bit",
            "__wait_on_bit_lock", "out_of_line_wait_on_bit", "out_of_line_wait_on_bit_lock",
            "bit_wait", "bit_wait_io", "__flush_work", "flush_work", "synchronize_rcu",
            "synchronize_rcu_expedited", "__synchronize_srcu", "synchronize_srcu", "msleep",
            "usleep_range", "usleep_range_state", "do_nanosleep", "hrtimer_nanosleep",
            "rt_mutex_slowlock", "__rt_mutex_slowlock", "rt_mutex_lock", "wait_woken",
            "prepare_to_wait_event", "finish_wait",
            // copying and string helpers: the fault is in their caller's arguments
            "memcpy", "memset", "memmove", "memcmp", "__memcpy", "__memset", "__memmove",
            "memcpy_orig", "memset_orig", "strcmp", "strncmp", "strlen", "strnlen", "strcpy",
            "strncpy", "strscpy", "strcat", "strchr", "_copy_to_user", "_copy_from_user",
            "copy_user_generic", "copy_user_generic_unrolled", "copy_user_generic_string",
            "copy_user_enhanced_fast_string", "__copy_user_nocache", "raw_copy_to_user",
            "raw_copy_from_user", "__arch_copy_to_user", "__arch_copy_from_user",
            "__copy_to_user", "__copy_from_user", "rep_movs_alternative",
            // slab debugging: the object's user is the interesting caller
            "__slab_alloc", "___slab_alloc", "__slab_free", "slab_err", "object_err",
            "check_bytes_and_report", "check_object", "free_debug_processing",
            "alloc_debug_processing", "print_trailer", "kfree", "kmem_cache_free",
            // freeing: ODEBUG and bad page state complain from inside the free
            "kvfree", "vfree", "__vfree", "slab_free", "slab_free_hook", "slab_free_freelist_hook",
            "do_slab_free", "__kmem_cache_free", "__debug_check_no_obj_freed",
            "debug_check_no_obj_freed", "bad_page", "check_new_page_bad", "check_new_pages",
            "check_new_page", "free_pages_prepare", "free_pcp_prepare", "free_unref_page",
            "free_unref_page_prepare", "__free_pages_ok", "free_page_is_bad", "check_free_page",
            "check_free_page_bad", "free_the_page", "__free_pages", "free_pages", "__put_page",
            "put_page", "__folio_put", "folio_put", "release_pages", "free_pages_check",
            "free_pages_check_bad", "__free_one_page", "prep_new_page", "get_page_from_freelist",
            "kmemdup", "kstrdup", "kstrndup", "kmemdup_nul", "slab_post_alloc_hook", "slab_alloc",
            "slab_alloc_node", "__kmem_cache_alloc_node", "__kmem_cache_alloc_lru",
            // checkers that print the report
            "check_preemption_disabled", "debug_smp_processor_id", "__this_cpu_preempt_check",
            "__stack_chk_fail", "__list_add", "list_add", "list_add_tail", "list_del",
            "__list_del_entry", "list_del_init", "list_del_rcu", "list_move", "list_move_tail",
            "hlist_del", "__hlist_del", "hlist_del_init", "kref_put", "kref_get", "debug_print_object",
            "print_lock", "print_held_locks_bug", "print_unlock_imbalance_bug",
            "print_unlock_inbalance_bug", "lock_release_non_nested", "__lock_release",
            "print_bad_irq_dependency", "print_irq_inversion_bug", "check_irq_usage", "check_usage",
            "print_lock_nested_lock_not_held", "print_freed_lock_bug", "print_lockdep_off", "debug_check_no_locks_held", "kobject_put",
            "kobject_release", "kobject_get", "handle_stack_overflow", "__stack_chk_fail_local",
            "report_stack_overflow", "kernel_stack_overflow", "panic_bad_stack", "handle_bad_stack",
            "mem_dump_obj",
            // waiting, more of it
            "schedule_timeout_uninterruptible", "schedule_timeout_interruptible",
            "schedule_timeout_killable", "schedule_timeout_idle", "preempt_schedule",
            "preempt_schedule_common", "preempt_schedule_irq", "preempt_schedule_thunk",
            "___preempt_schedule", "_cond_resched", "__cond_resched", "context_switch",
            "__switch_to", "__switch_to_asm", "finish_task_switch", "do_task_dead",
            "__mutex_lock_killable_slowpath", "__mutex_lock_interruptible_slowpath",
            "mutex_lock_io", "ww_mutex_lock", "__ww_mutex_lock", "down_killable", "__down_killable",
            "__down_timeout", "__down_write", "__down_read", "__down_write_common",
            "__down_read_common", "down_write_nested", "down_read_nested", "percpu_down_write",
            "percpu_rwsem_wait", "__percpu_down_read", "percpu_down_read", "rwbase_write_lock",
            "rt_spin_lock", "wait_for_completion_io", "wait_for_completion_io_timeout",
            "wait_for_completion_state", "wait_for_completion_killable_timeout",
            "wait_for_completion_interruptible_timeout", "__wait_rcu_gp", "flush_workqueue",
            "__flush_workqueue", "drain_workqueue", "flush_delayed_work", "__cancel_work_timer",
            "__cancel_work", "cancel_work_sync", "cancel_delayed_work_sync", "kthread_stop",
            "kthread_park", "folio_wait_bit_common", "folio_wait_bit", "__folio_lock",
            "__lock_page", "wait_on_page_bit_common", "wait_on_page_bit", "__lock_page_killable",
            "io_schedule_prepare", "bit_wait_timeout", "__wait_on_buffer", "wait_on_buffer",
            "__wait_var_event", "pipe_wait", "futex_wait_queue_me", "futex_wait_queue",
            "do_wait", "kernel_wait4", "do_signal_stop", "get_signal", "do_signal",
            "arch_do_signal_or_restart", "do_exit", "do_group_exit", "exit_to_user_mode_loop",
            // idle CPUs in NMI backtraces
            "do_idle", "cpu_startup_entry", "start_secondary", "secondary_startup_64",
            "secondary_startup_64_no_verify", "x86_64_start_kernel", "x86_64_start_reservations",
            "start_kernel", "rest_init", "arch_call_rest_init", "default_idle", "default_idle_call",
            "arch_cpu_idle", "arch_cpu_idle_enter", "native_safe_halt", "safe_halt",
            "pv_native_safe_halt", "mwait_idle", "intel_idle", "acpi_idle_enter",
            "acpi_idle_do_entry", "acpi_safe_halt", "cpu_idle_poll", "cpu_idle", "secondary_start_kernel",
            "cpu_do_idle", "__cpu_do_idle", "cpu_v7_do_idle",
            // timers, softirq and workqueue plumbing
            "hrtimer_wakeup", "irq_work_run", "irq_work_run_list", "irq_work_single",
            "flush_smp_call_function_queue", "generic_smp_call_function_single_interrupt",
            "__flush_smp_call_function_queue", "smp_call_function_single", "smp_call_function_many",
            "smp_call_function_many_cond", "on_each_cpu_cond_mask", "queue_work_on", "__queue_work",
            "delayed_work_timer_fn", "call_timer_fn", "rcu_do_batch", "rcu_core", "rcu_core_si",
            "wq_watchdog_timer_fn", "kthread_worker_fn",
            // releasing a lock: lockdep's "bad unlock balance" reports from inside the unlock
            "mutex_unlock", "__mutex_unlock_slowpath", "up", "up_read", "up_write", "__up_read",
            "__up_write", "downgrade_write", "rt_mutex_unlock", "mutex_trylock", "down_trylock",
            "local_bh_enable", "__local_bh_enable_ip", "_local_bh_enable", "local_bh_disable",
            "__local_bh_disable_ip",
            // mm/usercopy.c: the copy's caller passed the bad size
            "usercopy_abort", "usercopy_warn", "__check_heap_object", "check_heap_object",
            "check_page_span", "check_bogus_address",
            // allocators that copy from user space: the caller asked
            "memdup_user", "memdup_user_nul", "vmemdup_user", "strndup_user", "kvmemdup",
            "kmemdup_array",
            // arm64 BUG()/WARN() through a brk: the handler's frames above the caller
            "bug_brk_handler", "call_el1_break_hook", "el1_brk64", "do_el1_brk64", "early_brk64",
            "__report_bug",
            // might_sleep() in allocations: the reclaim annotation and the slab hooks
            "fs_reclaim_acquire", "fs_reclaim_release", "slab_pre_alloc_hook", "might_alloc",
            // ODEBUG's fixups and static-object checks, and more ways to free
            "timer_fixup_activate", "timer_fixup_free", "timer_fixup_init", "timer_fixup_assert_init",
            "work_fixup_free", "work_fixup_init", "hrtimer_fixup_free", "hrtimer_fixup_init",
            "hrtimer_fixup_activate", "timer_is_static_object", "work_is_static_object",
            "free_large_kmalloc", "kmem_cache_free_bulk", "kfree_sensitive", "kvfree_sensitive", "kzfree",
            "free_unref_page_list", "free_unref_folios", "folios_put_refs", "free_unref_page_commit",
            "__free_pages_prepare", "free_page_and_swap_cache",
            // destroying a cache that still has objects: its caller did
            "kmem_cache_destroy", "__kmem_cache_shutdown", "kmem_cache_close", "list_slab_objects",
            "shutdown_cache",
            // device references: put_device() ends in kobject_put()'s refcount report
            "put_device", "get_device",
            // managed and formatted allocations: the driver asked for them
            "devm_kmalloc", "devm_kzalloc", "devm_kcalloc", "devm_kmalloc_array", "devm_krealloc",
            "devm_kmemdup", "devm_kstrdup", "devm_kasprintf", "devm_kvasprintf", "__devres_alloc_node",
            "alloc_dr", "kasprintf", "kvasprintf", "kvasprintf_const", "kstrdup_const",
            // more copy and string helpers
            "memcpy_erms", "memset_erms", "memcpy_fromio", "memcpy_toio", "memset_io", "__memcpy_fromio",
            "__memcpy_toio", "strncpy_from_user", "strnlen_user", "clear_user", "__clear_user",
            "csum_partial_copy_generic", "copy_page", "clear_page_erms", "clear_page_rep",
        };
        // clang-format on
        QSet<QString> set;
        for (const char *n : list)
            set.insert(QString::fromLatin1(n));
        return set;
    }();
    return names;
}

// Families named by prefix: each member is infrastructure too.
// clang-format off
constexpr std::array prefixes{
    "warn_slowpath", "lockdep_", "kasan_", "__kasan_", "__asan_", "__sanitizer", "kfence_", "__kfence_",
    "kmsan_", "__msan_", "kcsan_", "__kcsan_", "__ubsan_handle_", "ubsan_", "__hwasan_",
    "sysvec_", "asm_sysvec_", "asm_", "entry_SYSCALL", "entry_SYSENTER", "entry_INT80",
    "exit_to_user_mode", "syscall_exit_to_user_mode", "_raw_spin_lock", "_raw_spin_unlock",
    "_raw_read_lock", "_raw_read_unlock", "_raw_write_lock", "_raw_write_unlock",
    "__raw_spin_lock", "debug_object", "do_raw_spin", "stack_trace_",
    // allocators: a failing or warning allocation is its caller's request
    "__alloc_pages", "alloc_pages", "kmalloc_order", "__kmalloc", "kmalloc", "kmem_cache_alloc",
    "__get_free_pages", "__vmalloc", "vmalloc", "krealloc", "kzalloc", "kcalloc", "kvmalloc", "warn_alloc",
    "kmemleak_", "kvzalloc", "vzalloc", "__kmalloc", "kmalloc_trace", "kmalloc_node", "__kmem_cache_alloc",
    "kmem_cache_alloc", "refcount_", "__refcount_", "kcsan_", "rcu_", "__rcu_", "srcu_", "__srcu_",
    "tick_", "hrtimer_", "__hrtimer_", "cpuidle_", "__cpuidle_", "dump_stack",
    "debug_object", "check_stack_object", "__check_object_size", "check_object_size", "fortify_",
    "__fortify_", "__write_overflow", "__read_overflow", "kfree_", "stack_depot_", "save_stack",
    "__kvmalloc", "mutex_lock", "__mutex_", "_raw_", "__raw_", "rwsem_", "__rwsem_", "percpu_down_",
    "percpu_up_", "ww_mutex_", "__ww_mutex_", "rt_mutex_", "__rt_mutex_", "__debug_object", "pcpu_alloc",
    "__alloc_percpu", "__get_user_", "__put_user_",
};
// clang-format on

} // namespace

namespace {

// System call wrappers across versions and architectures, outermost first.
constexpr const char *syscallWrappers[] = {
    "__x64_sys_",  "__ia32_sys_",  "__x32_compat_sys_", "__arm64_sys_", "__arm_sys_", "__s390x_sys_",
    "__s390_sys_", "__riscv_sys_", "__se_sys_",         "__do_sys_",    "SyS_",
};

} // namespace

QString GuiltyFrame::displayName(QStringView function)
{
    QStringView base = function;
    // ppc64's ELFv1 dot symbols name the entry of the function; no kernel name is dots alone.
    while (base.startsWith(u'.'))
        base = base.sliced(1);
    const qsizetype dot = base.indexOf(u'.');
    if (dot >= 0)
        base = base.first(dot);
    for (const char *w : syscallWrappers) {
        const QLatin1StringView prefix(w);
        if (base.startsWith(prefix) && base.size() > prefix.size())
            return QStringLiteral("sys_") + base.sliced(prefix.size()).toString();
    }
    return base.toString();
}

bool GuiltyFrame::isInfrastructure(QStringView function)
{
    QStringView base = function;
    // "wdev_priv.part.8", "foo.cold": a compiler-made clone of the function named before the dot.
    const qsizetype dot = base.indexOf(u'.', 1);
    if (dot > 0)
        base = base.first(dot);
    // 6.10+ memory allocation profiling renames the allocators ("kmemdup_noprof",
    // "__kmalloc_cache_noprof", "alloc_pages_mpol_noprof"): the same functions.
    if (base.endsWith(u"_noprof"))
        base.chop(7);
    if (exactNames().contains(base.toString()))
        return true;
    // A wrapper's prefix alone ("__x64_sys_+0xa6/0xf0", a console that lost bytes) names no call.
    for (const char *w : syscallWrappers) {
        if (base == QLatin1StringView(w))
            return true;
    }
    for (const char *p : prefixes) {
        if (base.startsWith(QLatin1StringView(p)))
            return true;
    }
    return false;
}

int GuiltyFrame::find(const QList<Frame> &frames, const QStringList &preferredModules)
{
    // Reliable frames first; a "? func" only when the unwinder was sure of nothing.
    for (const bool needReliable : {true, false}) {
        for (int i = 0; i < frames.size(); ++i) {
            const Frame &f = frames[i];
            if (f.function.isEmpty() || (needReliable && !f.reliable))
                continue;
            if (isInfrastructure(f.function))
                continue;
            if (f.module.isEmpty() && !preferredModules.isEmpty()) {
                // Core code that the user's module called into with bad arguments.
                for (int j = i + 1; j < frames.size(); ++j) {
                    const Frame &m = frames[j];
                    if (!m.module.isEmpty() && m.reliable && !m.function.isEmpty()
                        && preferredModules.contains(m.module) && !isInfrastructure(m.function))
                        return j;
                }
            }
            return i;
        }
    }
    // Only reporting and entry code (a panic's own stack): naming one of them would mislead.
    return -1;
}

} // namespace kms
