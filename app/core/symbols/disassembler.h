// Disassembly of a report's Code: bytes (capstone).
#pragma once

#include "report/kernelreport.h"

#include <QtGlobal>

#include <optional>

namespace kms {

// Fills code.disassembly (or code.error) for x86_64, i386, ARM (Thumb when code.thumb) and
// arm64, marking the instruction that starts at code.trapIndex. Instructions before the trap are
// decoded from the earliest byte that lines up exactly with it (x86 bytes before the trap may
// start mid-instruction). Addresses are pc-relative to the trap when `pc` is given (the trapping
// instruction's address), else offsets from the first byte. `pcOffset` (the trap's offset in
// its function, "f+0xd") puts the function's start within the bytes: decoding starts there (a
// certain instruction boundary), and what lies before is decoded apart and marked beforeFunction.
void disassemble(CodeBytes &code, Arch arch, std::optional<quint64> pc, std::optional<quint64> pcOffset = {});

} // namespace kms
