// The facts a report's header states about the machine and the task: CPU, PID and command,
// taint flags and kernel release, the loaded modules (with the ones that taint: the user's own
// code), the faulting address. Read line by line by ReportParser; internal to the report area.
#pragma once

#include "report/kernelreport.h"

#include <QByteArrayView>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace kms {

class ReportHeaderReader
{
public:
    explicit ReportHeaderReader(KernelReport &r)
        : m_r(r)
    {
    }

    // One trimmed line of the report (lineIndex: 1-based within the report).
    void line(QByteArrayView t, int lineIndex);
    // printk splits a long "Modules linked in:" list: true when raw continues it (taken).
    bool continuesModules(QByteArrayView raw, QByteArrayView t);
    void endModules() { m_modulesOpen = false; }
    // "Modules linked in: foo(O) bar(E)": the out-of-tree, unsigned, proprietary and staging ones.
    const QStringList &taintingModules() const { return m_taintingModules; }

    // The lone "CR2:" line printed after the trace is the faulting address; the one in the
    // register block may be stale (it is read again after the oops printing).
    std::optional<std::uint64_t> cr2Alone;

private:
    void appendModules(QByteArrayView list);

    KernelReport &m_r;
    bool m_modulesOpen = false; // the previous line was (part of) "Modules linked in:"
    QStringList m_taintingModules;
};

} // namespace kms
