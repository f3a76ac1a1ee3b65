// The memory access of a report's trapping instruction: its operand decoded with capstone and
// evaluated with the register values the report printed.
#pragma once

#include "explain/faultexplanation.h"
#include "report/kernelreport.h"

namespace kms {

// The access of report.code's trapping instruction (x86_64, i386, ARM/Thumb, arm64). On failure
// nullopt and *error says why ("the report has no Code: line", "the Code: bytes do not decode as
// arm", ...). A register the report did not print leaves its value and the address unset.
std::optional<MemoryAccess> decodeAccess(const KernelReport &report, QString *error);

// The value of a register as capstone names it ("eax", "r8d", "sb", "w3", "x30") from the
// report's registers ("RAX", "R08", "r9", "x3", "lr"), truncated to the named width.
std::optional<std::uint64_t> registerValue(const QList<Register> &registers, Arch arch, const QString &capstoneName,
                                           QString *reportName);

} // namespace kms
