// The Code tab's text: the report's disassembly with addresses as `function+offset` where the
// report names the PC's symbol ("RIP: 0010:f+0xd/0x60"), the bytes before the function's start
// set apart (another function's tail or padding, not instructions of this one), the trapping
// instruction marked. And the Registers tab's: the PC line as printed, then the registers with
// their values as the kernel printed them (segment registers 4 digits, not widened to 16).
#pragma once

#include "report/kernelreport.h"

#include <QList>
#include <QString>

namespace kms::gui {

struct CodeListing {
    QString text;
    int trapLine = -1; // 0-based line of the trapping instruction, -1 when none
    QList<int> beforeLines; // lines (the note and instructions) before the function's start
};

// The frame of the PC the report printed (RIP:, pc :, PC is at...), or nullptr.
const Frame *pcFrame(const KernelReport &report);
CodeListing codeListing(const KernelReport &report);

// The report's PC line as printed ("RIP: 0010:prudaq_comm_receive_msg+0xd/0x60 [prudaq]"), or
// one made from the PC's frame; empty when the report has no PC.
QString pcLine(const KernelReport &report);
// The PC line, where it is in the source, the registers (cols a row), the fault address and the
// "Register rN information" lines.
QString registerListing(const KernelReport &report, int cols);

} // namespace kms::gui
