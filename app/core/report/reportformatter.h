// Human-readable text of a resolved report: what `kmodscope-cli decode` prints and what the
// GUI's "copy as bug report" builds on. Every frame followed by its file:line:column and its
// inline chain, like scripts/decode_stacktrace.sh, plus registers and the disassembly.
#pragma once

#include "report/kernelreport.h"

namespace kms {

struct FormatOptions {
    bool registers = true;
    bool disassembly = true;
    bool rawLines = false; // append the report's text as printed
};

QString formatReport(const KernelReport &report, const FormatOptions &options = {});
// "func+0x1c/0xf70 [mod]" as the kernel prints it
QString formatFrameSymbol(const Frame &frame);
// "file:line:column", or the reason there is none
QString formatFrameLocation(const Frame &frame);

} // namespace kms
