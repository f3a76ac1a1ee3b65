// Leak attribution from SLUB's allocation traces (slub_debug=U, /sys/kernel/debug/slab/*/
// alloc_traces on 6.1). After an unload, kallsyms no longer names the unloaded module's code,
// so its frames print as bare addresses; the script sends only the sites that have one. A site
// whose live count grew since the previous scan and whose stack has a frame inside the sections
// of the load that was just unloaded is a leak of that load. Wrappers (kstrdup, devm_kmalloc,
// kmalloc_trace) come first in the stack: the first frame in the module's sections is the site.
#pragma once

#include "cycle/cycleresult.h"
#include "cycle/cyclescript.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace kms {

class LeakTracker
{
public:
    // The scan taken before the first load (sites left by earlier loads are not this run's).
    void setBaseline(const QList<CycleScriptOutput::Trace> &traces);
    // The scan after an unload: leak sites of `load` (function/file/line not filled: the
    // caller resolves them with that load's sections).
    QList<LeakSite> scan(const QList<CycleScriptOutput::Trace> &traces, const LoadRecord &load);

    // kmemleak's report ("unreferenced object 0x... (size N):" blocks): the objects allocated
    // from the module, attributed with the first load whose sections hold a backtrace frame.
    static QList<LeakSite> parseKmemleak(const QStringList &lines, const QList<LoadRecord> &loads);

private:
    struct Site {
        QString key; // cache + caller + stack: the kernel's own aggregation
        int count = 0;
    };
    static Site site(const CycleScriptOutput::Trace &trace);
    QHash<QString, int> m_counts;
};

// A bare "0xffffffffc0a01234" (what %pS prints for an address kallsyms cannot name).
std::optional<quint64> bareAddress(QStringView text);

} // namespace kms
