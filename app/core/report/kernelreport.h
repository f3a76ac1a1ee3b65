// The data model of one kernel report (oops, BUG, WARNING, panic, ...), shared by the detector,
// the parser, the symbolizer, the JSON writer and the GUI. Plain values, no behaviour beyond
// naming: the pieces that fill it live next to it.
#pragma once

#include "explain/faultexplanation.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <utility>

namespace kms {

enum class ReportKind {
    Oops,
    Bug,
    Panic,
    Warning,
    Kasan, // KASAN and KFENCE
    Gpf,
    HungTask,
    RcuStall,
    SoftLockup,
    Ubsan,
    Lockdep,
    Mce,
    Kmemleak, // "unreferenced object" (kmemleak)
    Lockup, // workqueue lockups, spinlock lockups
    ListCorruption, // lib/list_debug.c
    Refcount, // refcount_t saturation/underflow warnings
    Kcsan, // data races
    Odebug, // lib/debugobjects.c
    StackCorruption, // stack-protector, stack guard page, stack end corrupted
    Other,
};

enum class Arch { X86_64, I386, Arm, Arm64, Ppc64, S390x, Riscv64, Unknown };

// Where a frame ran. None when the trace does not say.
enum class FrameContext { None, Task, Irq, SoftIrq, Nmi };

// Names as used by the JSON contract (docs/ and ../shared/DESIGN.md).
QString toString(ReportKind kind);
QString toString(Arch arch);
QString toString(FrameContext context); // empty for None
std::optional<ReportKind> reportKindFromString(const QString &name);
std::optional<Arch> archFromString(const QString &name);

// One enclosing function of an inlined call, outward from the innermost location.
struct InlineCaller {
    QString function;
    QString file;
    int line = 0;
    int column = 0;
    QString buildFile; // `file` as DWARF records it, before path mapping (where the node has it)
};

struct Frame {
    // --- as parsed from the log ---
    QString function; // may be empty when only an address is printed
    std::optional<std::uint64_t> offset; // func+OFFSET
    std::optional<std::uint64_t> size; // /SIZE: kallsyms' guess, a hint only
    QString module; // empty for the core kernel
    QString buildId; // lower-case hex from "[mod buildid]", empty if not printed
    std::optional<std::uint64_t> address; // absolute address when printed
    bool reliable = true; // false for "? " frames
    // True for a PC that was executing (RIP, pc :, PC is at, the interrupted PC after an
    // exception entry); false for return addresses, which are looked up at address-1.
    bool exactPc = false;
    FrameContext context = FrameContext::None;
    int inputLine = 0; // 1-based line of the input this frame was read from
    // For a function printed as a register's value ("LR is at f+0x1/0x2", arm64 "lr : f+..."):
    // the register's name ("lr"). Such rows live in KernelReport::registerFrames.
    QString registerName;

    // --- filled by the symbolizer ---
    QString file; // innermost location, after path mapping
    QString buildFile; // `file` as DWARF records it (the build machine's path), before mapping
    int line = 0;
    int column = 0;
    bool sourceExists = false;
    // When file:line lies in inlined code: the inlined function it belongs to (the frame's
    // symbol is the function it was inlined into, outermost). Empty otherwise.
    QString inlinedFunction;
    QList<InlineCaller> inlinedBy; // outward
    QString error; // why file/line is missing, empty when resolved
};

struct Register {
    QString name;
    std::uint64_t value = 0;
    // The value as the kernel printed it ("0010", "0018:ffffc90000003eb8", "00007f3c1e8b2740(0000)"):
    // segment registers are 16 bits wide, not 64. Empty when not read from a log (JSON). The
    // initializer keeps {name, value} aggregate initializations free of missing-field warnings.
    QString printed = {};
};

struct DisassembledInstruction {
    std::uint64_t address = 0; // relative to the start of the Code: bytes unless the PC is known
    QString text; // "mov rax, qword ptr [rdi + 8]"
    bool trapping = false;
    // The bytes lie before the start of the PC's function (the end of the function before it, or
    // padding): decoded on their own, not instructions of the function the report names.
    bool beforeFunction = false;
};

struct CodeBytes {
    QByteArray bytes; // in memory order
    int trapIndex = -1; // byte index of the trapping instruction, -1 when not marked
    bool thumb = false; // ARM: units were printed as 2-byte halfwords
    // Byte index where the PC's function starts (trapIndex minus the PC's offset in it), when
    // the report names that offset and it falls within the bytes; -1 otherwise.
    int functionStart = -1;
    QList<DisassembledInstruction> disassembly;
    QString error; // why there is no disassembly
};

struct KernelReport {
    ReportKind kind = ReportKind::Other;
    QString title; // "<what> in <guilty>"
    QString guiltyFunction;
    QString guiltyModule; // empty = null
    Arch arch = Arch::Unknown;
    bool panicked = false;
    bool corrupted = false; // truncated or interleaved
    bool interleaved = false; // foreign lines came between the report's trace lines (kept out)
    int firstLine = 0; // 1-based, in the input
    int lastLine = 0;
    std::optional<double> timestamp; // kernel time of the first line (seconds), when printed
    std::optional<std::uint64_t> faultAddress;
    std::optional<int> cpu;
    std::optional<int> pid;
    QString comm;
    QString taint; // "G           O" as printed, trimmed; empty if not printed
    QString kernelRelease;
    QStringList modules; // "Modules linked in"
    QList<Register> registers; // in print order
    std::optional<CodeBytes> code;
    QList<Frame> frames;
    // Registers that hold code addresses, printed as functions (ARM "LR is at", arm64 "lr :"):
    // return addresses shown with the frames but not part of the call trace.
    QList<Frame> registerFrames;
    // 6.x "Register rN information: ..." lines (what each register points to), as printed.
    QStringList registerInfo;
    // What the bad access means (which pointer, which member, which kind of address); filled
    // after symbolization for reports with a trapping instruction or a fault address.
    std::optional<FaultExplanation> explanation;

    QString source; // which stream it came from ("serial", "ssh", file name), may be empty
    QStringList lines; // the report's text, console prefixes removed, firstLine..lastLine
};

} // namespace kms
