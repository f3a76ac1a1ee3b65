// Picks the frame a kernel developer should look at first: the first one that is not the
// kernel's own error reporting, exception/interrupt/syscall entry, or generic infrastructure
// (locking, scheduling, copying) that merely passed the fault on. The lists follow the ideas of
// syzkaller's pkg/report and satyr's koops normalization, written for this project.
#pragma once

#include "report/kernelreport.h"

#include <QStringView>

namespace kms {

class GuiltyFrame
{
public:
    // True for functions that never are the answer (printk, dump_stack, __warn, entry code ...).
    static bool isInfrastructure(QStringView function);
    // Index into frames, or -1 when no frame qualifies. A frame of one of preferredModules (the
    // out-of-tree, unsigned or otherwise tainting modules: the user's own code) is taken over a
    // core kernel frame above it.
    static int find(const QList<Frame> &frames, const QStringList &preferredModules = {});
    // The name a maintainer writes: compiler clones' suffixes dropped ("f.isra.0", "f.cold" ->
    // "f") and a system call's wrappers folded ("__x64_sys_futex", "__se_sys_futex",
    // "__do_sys_futex", "SyS_futex" -> "sys_futex").
    static QString displayName(QStringView function);
};

} // namespace kms
