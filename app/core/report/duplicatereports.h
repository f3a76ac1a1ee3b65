// The same kernel report printed on two sources: the serial console and `dmesg -w` over SSH both
// carry every oops, and a user watching both wants one report, not two. A copy is told from a
// repeat (the same WARN firing again) by the kernel timestamp of its first line, or, where no
// timestamp is printed, by its whole text; each report pairs with at most one report of each
// other source, and only within a time window (a late, unrelated repeat is a report of its own).
#pragma once

#include "report/kernelreport.h"

#include <QString>
#include <QStringList>

#include <deque>

namespace kms {

class DuplicateReports
{
public:
    explicit DuplicateReports(qint64 windowMs = 120000);

    // The id of the earlier report that `report` is a copy of, or -1: then it is new and is
    // remembered under `id`. nowMs: any monotonic clock in ms.
    int match(int id, const KernelReport &report, qint64 nowMs);

private:
    struct Seen {
        int id = 0;
        QString key;
        qint64 atMs = 0;
        QStringList sources; // the first one's, then each source that matched it
    };
    static QString key(const KernelReport &report);

    qint64 m_windowMs;
    std::deque<Seen> m_recent; // newest last, bounded
};

} // namespace kms
