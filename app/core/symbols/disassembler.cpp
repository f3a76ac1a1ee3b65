#include "symbols/disassembler.h"

#include <capstone/capstone.h>

namespace kms {

namespace {

struct Decoded {
    quint64 offset = 0; // from the first byte of the decoded range
    quint16 size = 0;
    QString text;
};

// Decodes [begin, end) of `bytes` completely; false when some bytes do not decode or the last
// instruction runs past `end`.
bool decodeRange(csh handle, const QByteArray &bytes, qsizetype begin, qsizetype end, QList<Decoded> *out,
                 bool allowTail)
{
    const auto *data = reinterpret_cast<const uint8_t *>(bytes.constData()) + begin;
    size_t size = size_t(end - begin);
    uint64_t address = uint64_t(begin);
    cs_insn *insn = cs_malloc(handle);
    bool complete = true;
    while (size > 0) {
        if (!cs_disasm_iter(handle, &data, &size, &address, insn)) {
            complete = false;
            break;
        }
        QString text = QString::fromLatin1(insn->mnemonic);
        if (insn->op_str[0])
            text += QLatin1Char(' ') + QString::fromLatin1(insn->op_str);
        out->append({insn->address, insn->size, text});
    }
    cs_free(insn, 1);
    return complete || allowTail;
}

// The earliest start in [begin, end) from which instructions end exactly at `end`.
bool decodeUpTo(csh handle, const QByteArray &bytes, qsizetype begin, qsizetype end, int step, QList<Decoded> *out)
{
    for (qsizetype start = begin; start < end; start += step) {
        QList<Decoded> decoded;
        if (decodeRange(handle, bytes, start, end, &decoded, false)) {
            out->append(decoded);
            return true;
        }
    }
    return false;
}

} // namespace

void disassemble(CodeBytes &code, Arch arch, std::optional<quint64> pc, std::optional<quint64> pcOffset)
{
    code.disassembly.clear();
    code.error.clear();
    code.functionStart = -1;
    if (code.bytes.isEmpty()) {
        code.error = QStringLiteral("no code bytes");
        return;
    }
    cs_arch csArch = CS_ARCH_X86;
    cs_mode mode = CS_MODE_64;
    int step = 1; // where an instruction may start
    switch (arch) {
    case Arch::X86_64:
        break;
    case Arch::I386:
        mode = CS_MODE_32;
        break;
    case Arch::Arm:
        csArch = CS_ARCH_ARM;
        mode = code.thumb ? CS_MODE_THUMB : CS_MODE_ARM;
        step = code.thumb ? 2 : 4;
        break;
    case Arch::Arm64:
        csArch = CS_ARCH_ARM64;
        mode = CS_MODE_ARM;
        step = 4;
        break;
    default:
        code.error = QStringLiteral("no disassembler for %1").arg(toString(arch));
        return;
    }
    csh handle = 0;
    if (cs_open(csArch, mode, &handle) != CS_ERR_OK) {
        code.error = QStringLiteral("capstone cannot disassemble %1").arg(toString(arch));
        return;
    }
    cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_OFF);

    const qsizetype total = code.bytes.size();
    const qsizetype trap = code.trapIndex >= 0 && code.trapIndex < total ? code.trapIndex : -1;
    QList<Decoded> insns;
    if (trap < 0) {
        decodeRange(handle, code.bytes, 0, total, &insns, true);
    } else {
        const qsizetype functionStart = pcOffset && *pcOffset <= quint64(trap) ? trap - qsizetype(*pcOffset) : -1;
        QList<Decoded> inFunction;
        if (functionStart >= 0
            && (functionStart == trap || decodeRange(handle, code.bytes, functionStart, trap, &inFunction, false))) {
            // The function's start is an instruction boundary: the bytes before it are another
            // function's tail or padding, decoded on their own as far as they line up.
            code.functionStart = int(functionStart);
            if (functionStart > 0)
                decodeUpTo(handle, code.bytes, 0, functionStart, step, &insns);
            insns.append(inFunction);
        } else {
            // Before the trap: the earliest start whose instructions end exactly at the trap.
            decodeUpTo(handle, code.bytes, 0, trap, step, &insns);
        }
        decodeRange(handle, code.bytes, trap, total, &insns, true);
    }
    cs_close(&handle);

    if (insns.isEmpty()) {
        code.error = QStringLiteral("the code bytes do not decode as %1").arg(toString(arch));
        return;
    }
    const qint64 shift = pc && trap >= 0 ? qint64(*pc) - qint64(trap) : 0;
    for (const Decoded &insn : std::as_const(insns)) {
        DisassembledInstruction out;
        out.address = quint64(qint64(insn.offset) + shift);
        out.text = insn.text;
        out.trapping = trap >= 0 && qint64(insn.offset) == trap;
        out.beforeFunction = code.functionStart > 0 && qint64(insn.offset) < code.functionStart;
        code.disassembly.append(out);
    }
}

} // namespace kms
