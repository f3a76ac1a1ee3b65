// The fields of a report's lines that are values rather than structure: register dumps, the
// "Code:" bytes, the faulting address, the architecture a release string names. Pure functions
// over a trimmed line, shared by ReportParser and the detector's trailer test.
#pragma once

#include "report/kernelreport.h"

#include <QByteArrayView>
#include <QList>
#include <QString>

#include <cstdint>
#include <optional>

namespace kms::reportfields {

Arch archFromRelease(const QString &release);
// "RAX: 000000000000002b RBX: ...", "r10: bf19f45c  r9 : bf19f418", "pc : [<bf19b018>] ...":
// appends the registers and returns true; false (nothing added) for any other line.
bool parseRegisterLine(QByteArrayView s, QList<Register> &out);
bool isRegisterLine(QByteArrayView s); // the same test, nothing built

// The bytes of a "Code:" line (after "Code: "), the trapping one marked.
std::optional<CodeBytes> parseCode(QByteArrayView s);
// "... at virtual address 00000174", "... dereference, address: 0000000000000174" ...
std::optional<std::uint64_t> faultAddressIn(QByteArrayView t);
bool isReleaseToken(QByteArrayView tok); // "6.1.0-13-amd64"

} // namespace kms::reportfields
