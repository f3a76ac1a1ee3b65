// One stack-trace line -> frames, for every format the kernel prints: x86 ("func+0x1c/0xf70
// [mod]", "[<addr>] ? func+..."), arm64 ("f+0x28/0x94 [mod] (P)"), ARM32 ("[<a>] (f [mod]) from
// [<b>] (g+0x9c/0x374 [mod])"), ppc64 ("[sp] [pc] .func+0x../0x.. (unreliable)"), s390x
// ("([<addr>] func+..)") and bare addresses.
#pragma once

#include "report/kernelreport.h"

#include <QByteArrayView>

#include <optional>

namespace kms {

class FrameLineParser
{
public:
    struct Result {
        // For the ARM32 pair form, `where` is the frame the line is about (its printed symbol
        // has no offset on current kernels) and `frame` the "from" part, its return address.
        std::optional<Frame> where;
        Frame frame;
    };

    // A frame as views into the parsed line: what the detector needs to classify a line
    // without allocating (it runs on every line of an open report); toFrame() copies it out.
    struct FrameView {
        QByteArrayView function;
        QByteArrayView module;
        QByteArrayView buildId; // as printed (any case)
        std::optional<std::uint64_t> offset;
        std::optional<std::uint64_t> size;
        std::optional<std::uint64_t> address;
        bool reliable = true;
        bool exactPc = false;
        Frame toFrame() const;
    };
    struct ResultView {
        std::optional<FrameView> where;
        FrameView frame;
    };

    // line: trimmed, context markers already removed. Returns nothing for lines that are no frame.
    static std::optional<Result> parse(QByteArrayView line);
    static std::optional<ResultView> parseView(QByteArrayView line);

    // "func+0x9c/0x374 [mod buildid]" or "func [mod]" or "func": what the kernel prints for a
    // symbol (%pS / %ps). Also used for "PC is at", "RIP: 0010:", "pc : ".
    static std::optional<Frame> parseSymbol(QByteArrayView text, bool requireOffset);
    static std::optional<FrameView> parseSymbolView(QByteArrayView text, bool requireOffset);
};

} // namespace kms
