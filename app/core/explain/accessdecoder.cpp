#include "explain/accessdecoder.h"

#include <QHash>

#include <capstone/capstone.h>

namespace kms {

namespace {

std::optional<std::uint64_t> lookup(const QList<Register> &registers, QStringList names, QString *found)
{
    for (const QString &name : names) {
        for (const Register &reg : registers) {
            if (reg.name.compare(name, Qt::CaseInsensitive) == 0) {
                *found = reg.name;
                return reg.value;
            }
        }
    }
    *found = names.first();
    return std::nullopt;
}

// x86: "eax" -> ("rax", 32 bits, shift 0); "ah" -> ("rax", 8, 8); "r9w" -> ("r9", 16, 0).
void x86Family(const QString &name, QString *full, int *bits, int *shift)
{
    *bits = 64;
    *shift = 0;
    static const char *const legacy[][5] = {
        {"rax", "eax", "ax", "al", "ah"},       {"rbx", "ebx", "bx", "bl", "bh"},
        {"rcx", "ecx", "cx", "cl", "ch"},       {"rdx", "edx", "dx", "dl", "dh"},
        {"rsi", "esi", "si", "sil", nullptr},   {"rdi", "edi", "di", "dil", nullptr},
        {"rbp", "ebp", "bp", "bpl", nullptr},   {"rsp", "esp", "sp", "spl", nullptr},
        {"rip", "eip", "ip", nullptr, nullptr},
    };
    for (const auto &row : legacy) {
        for (int i = 0; i < 5; ++i) {
            if (row[i] && name == QLatin1String(row[i])) {
                *full = QLatin1String(row[0]);
                *bits = i == 0 ? 64 : i == 1 ? 32 : i == 2 ? 16 : 8;
                *shift = i == 4 ? 8 : 0;
                return;
            }
        }
    }
    *full = name;
    if (name.startsWith(QLatin1Char('r')) && name.size() > 1 && name.at(1).isDigit()) {
        qsizetype digits = 1;
        while (digits < name.size() && name.at(digits).isDigit())
            ++digits;
        const QString suffix = name.mid(digits);
        *full = name.left(digits);
        *bits = suffix == QLatin1String("d") ? 32
            : suffix == QLatin1String("w")   ? 16
            : suffix == QLatin1String("b")   ? 8
                                             : 64;
    }
}

} // namespace

std::optional<std::uint64_t> registerValue(const QList<Register> &registers, Arch arch, const QString &capstoneName,
                                           QString *reportName)
{
    const QString name = capstoneName.toLower();
    QString found;
    std::optional<std::uint64_t> value;
    int bits = 64;
    int shift = 0;
    switch (arch) {
    case Arch::X86_64:
    case Arch::I386: {
        QString full;
        x86Family(name, &full, &bits, &shift);
        QStringList names{full.toUpper()};
        if (arch == Arch::I386 && full.startsWith(QLatin1Char('r')) && !full.at(1).isDigit())
            names.prepend(QLatin1Char('E') + full.mid(1).toUpper());
        if (full.size() == 2 && full.at(1).isDigit()) // r8 -> R08 as x86 prints it
            names.prepend(QStringLiteral("R0") + full.at(1));
        value = lookup(registers, names, &found);
        break;
    }
    case Arch::Arm: {
        static const QHash<QString, QString> alias{
            {QStringLiteral("sb"), QStringLiteral("r9")},  {QStringLiteral("sl"), QStringLiteral("r10")},
            {QStringLiteral("r11"), QStringLiteral("fp")}, {QStringLiteral("r12"), QStringLiteral("ip")},
            {QStringLiteral("r13"), QStringLiteral("sp")}, {QStringLiteral("r14"), QStringLiteral("lr")},
            {QStringLiteral("r15"), QStringLiteral("pc")}};
        value = lookup(registers, {alias.value(name, name)}, &found);
        bits = 32;
        break;
    }
    case Arch::Arm64: {
        QString x = name;
        if (name.startsWith(QLatin1Char('w')) && name.size() > 1 && name.at(1).isDigit()) {
            x = QLatin1Char('x') + name.mid(1);
            bits = 32;
        } else if (name == QLatin1String("wsp")) {
            x = QStringLiteral("sp");
            bits = 32;
        }
        if (x == QLatin1String("xzr") || x == QLatin1String("wzr")) {
            *reportName = name;
            return 0;
        }
        if (x == QLatin1String("x30"))
            value = lookup(registers, {QStringLiteral("lr"), x}, &found);
        else if (x == QLatin1String("x29"))
            value = lookup(registers, {x, QStringLiteral("fp")}, &found);
        else
            value = lookup(registers, {x}, &found);
        break;
    }
    default:
        found = name;
        break;
    }
    *reportName = found;
    if (!value)
        return std::nullopt;
    std::uint64_t v = *value >> shift;
    if (bits < 64)
        v &= (std::uint64_t(1) << bits) - 1;
    return v;
}

namespace {

// ARM and arm64 load/store width from the mnemonic ("ldrb", "strh", "ldrsw", "ldrd", "ldp").
int armAccessSize(QString m, Arch arch, const cs_insn *insn, csh handle)
{
    m = m.toLower();
    const QString op = m.left(3);
    QString rest = m.mid(3);
    if (op != QLatin1String("ldr") && op != QLatin1String("str") && op != QLatin1String("lda")
        && op != QLatin1String("stl") && op != QLatin1String("ldx") && op != QLatin1String("stx"))
        return 0;
    if (rest.startsWith(QLatin1String("ex")))
        rest = rest.mid(2);
    if (rest.startsWith(QLatin1Char('r')) && (op == QLatin1String("lda") || op == QLatin1String("stl")))
        rest = rest.mid(1);
    if (rest.startsWith(QLatin1String("sb")) || rest.startsWith(QLatin1Char('b')))
        return 1;
    if (rest.startsWith(QLatin1String("sh")) || rest.startsWith(QLatin1Char('h')))
        return 2;
    if (rest.startsWith(QLatin1String("sw")))
        return 4;
    if (arch == Arch::Arm)
        return rest.startsWith(QLatin1Char('d')) ? 8 : 4;
    // arm64: the width of the first register operand (w: 4, x: 8, b/h/s/d/q: 1..16).
    const cs_arm64 &a = insn->detail->arm64;
    if (a.op_count > 0 && a.operands[0].type == ARM64_OP_REG) {
        const QString r = QString::fromLatin1(cs_reg_name(handle, a.operands[0].reg));
        const QChar c = r.isEmpty() ? QLatin1Char('x') : r.at(0);
        return c == QLatin1Char('w') ? 4
            : c == QLatin1Char('b')  ? 1
            : c == QLatin1Char('h')  ? 2
            : c == QLatin1Char('s')  ? 4
            : c == QLatin1Char('q')  ? 16
                                     : 8;
    }
    return 8;
}

QString hex(std::uint64_t v)
{
    return QStringLiteral("0x") + QString::number(v, 16);
}

QString term(const QString &reg, std::optional<std::uint64_t> value)
{
    return value ? QStringLiteral("%1 (%2)").arg(reg, hex(*value)) : QStringLiteral("%1 (not printed)").arg(reg);
}

} // namespace

std::optional<MemoryAccess> decodeAccess(const KernelReport &report, QString *error)
{
    if (!report.code || report.code->bytes.isEmpty()) {
        *error = QStringLiteral("the report has no Code: line");
        return std::nullopt;
    }
    const CodeBytes &code = *report.code;
    if (code.trapIndex < 0 || code.trapIndex >= code.bytes.size()) {
        *error = QStringLiteral("the Code: line does not mark the trapping instruction");
        return std::nullopt;
    }
    cs_arch csArch = CS_ARCH_X86;
    cs_mode mode = CS_MODE_64;
    switch (report.arch) {
    case Arch::X86_64:
        break;
    case Arch::I386:
        mode = CS_MODE_32;
        break;
    case Arch::Arm:
        csArch = CS_ARCH_ARM;
        mode = code.thumb ? CS_MODE_THUMB : CS_MODE_ARM;
        break;
    case Arch::Arm64:
        csArch = CS_ARCH_ARM64;
        mode = CS_MODE_ARM;
        break;
    default:
        *error = QStringLiteral("no instruction decoder for %1").arg(toString(report.arch));
        return std::nullopt;
    }
    csh handle = 0;
    if (cs_open(csArch, mode, &handle) != CS_ERR_OK) {
        *error = QStringLiteral("capstone cannot decode %1").arg(toString(report.arch));
        return std::nullopt;
    }
    cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
    const auto *data = reinterpret_cast<const uint8_t *>(code.bytes.constData()) + code.trapIndex;
    size_t size = size_t(code.bytes.size() - code.trapIndex);
    uint64_t address = 0;
    cs_insn *insn = cs_malloc(handle);
    std::optional<MemoryAccess> result;
    if (!cs_disasm_iter(handle, &data, &size, &address, insn)) {
        *error = QStringLiteral("the trapping Code: bytes do not decode as %1").arg(toString(report.arch));
    } else {
        MemoryAccess a;
        a.instruction = QString::fromLatin1(insn->mnemonic);
        if (insn->op_str[0])
            a.instruction += QLatin1Char(' ') + QString::fromLatin1(insn->op_str);
        QString baseCs;
        QString indexCs;
        bool found = false;
        int shiftIndex = 0;
        if (csArch == CS_ARCH_X86) {
            const cs_x86 &x = insn->detail->x86;
            for (int i = 0; i < x.op_count && !found; ++i) {
                const cs_x86_op &op = x.operands[i];
                if (op.type != X86_OP_MEM)
                    continue;
                found = true;
                if (op.mem.segment == X86_REG_GS || op.mem.segment == X86_REG_FS)
                    a.expression = QStringLiteral("%1-relative (per-CPU) ")
                                       .arg(QString::fromLatin1(cs_reg_name(handle, op.mem.segment)));
                if (op.mem.base != X86_REG_INVALID)
                    baseCs = QString::fromLatin1(cs_reg_name(handle, op.mem.base));
                if (op.mem.index != X86_REG_INVALID)
                    indexCs = QString::fromLatin1(cs_reg_name(handle, op.mem.index));
                a.scale = op.mem.scale;
                a.displacement = op.mem.disp;
                a.size = op.size;
                a.write = (op.access & CS_AC_WRITE) != 0;
            }
        } else if (csArch == CS_ARCH_ARM) {
            const cs_arm &r = insn->detail->arm;
            for (int i = 0; i < r.op_count && !found; ++i) {
                const cs_arm_op &op = r.operands[i];
                if (op.type != ARM_OP_MEM)
                    continue;
                found = true;
                if (op.mem.base != ARM_REG_INVALID)
                    baseCs = QString::fromLatin1(cs_reg_name(handle, op.mem.base));
                if (op.mem.index != ARM_REG_INVALID)
                    indexCs = QString::fromLatin1(cs_reg_name(handle, op.mem.index));
                a.scale = (op.subtracted || op.mem.scale < 0) ? -1 : 1;
                a.displacement = op.mem.disp;
                if (op.subtracted && op.mem.index == ARM_REG_INVALID)
                    a.displacement = -std::abs(op.mem.disp);
                shiftIndex = op.mem.lshift;
            }
            const QString m = QString::fromLatin1(insn->mnemonic).toLower();
            a.size = armAccessSize(m, report.arch, insn, handle);
            a.write = m.startsWith(QLatin1String("st"));
            if (!found
                && (m.startsWith(QLatin1String("ldm")) || m.startsWith(QLatin1String("stm"))
                    || m.startsWith(QLatin1String("pop")) || m.startsWith(QLatin1String("push")))) {
                // Block transfers: the first word goes to/from the base register's address.
                found = r.op_count > 0 && r.operands[0].type == ARM_OP_REG;
                baseCs = m.startsWith(QLatin1String("p")) ? QStringLiteral("sp")
                                                          : QString::fromLatin1(cs_reg_name(handle, r.operands[0].reg));
                a.size = 4;
            }
        } else {
            const cs_arm64 &r = insn->detail->arm64;
            for (int i = 0; i < r.op_count && !found; ++i) {
                const cs_arm64_op &op = r.operands[i];
                if (op.type != ARM64_OP_MEM)
                    continue;
                found = true;
                if (op.mem.base != ARM64_REG_INVALID)
                    baseCs = QString::fromLatin1(cs_reg_name(handle, op.mem.base));
                if (op.mem.index != ARM64_REG_INVALID) {
                    indexCs = QString::fromLatin1(cs_reg_name(handle, op.mem.index));
                    if (op.shift.type == ARM64_SFT_LSL)
                        shiftIndex = int(op.shift.value);
                }
                a.displacement = op.mem.disp;
            }
            const QString m = QString::fromLatin1(insn->mnemonic).toLower();
            a.size = armAccessSize(m, report.arch, insn, handle);
            if (m.startsWith(QLatin1String("ldp")) || m.startsWith(QLatin1String("stp")))
                a.size *= 2;
            a.write = m.startsWith(QLatin1String("st"));
        }
        if (shiftIndex > 0)
            a.scale *= 1 << shiftIndex;
        if (!found) {
            *error = QStringLiteral("the trapping instruction (%1) has no memory operand").arg(a.instruction);
        } else {
            QStringList parts;
            std::optional<std::uint64_t> sum = 0;
            if (!baseCs.isEmpty()) {
                a.baseValue = registerValue(report.registers, report.arch, baseCs, &a.base);
                // A PC-relative operand uses the address of the next instruction (x86) or the
                // instruction + 8 (ARM) / + 4 (Thumb), not the PC register.
                const QString lower = baseCs.toLower();
                if (a.baseValue && (lower == QLatin1String("rip") || lower == QLatin1String("pc")))
                    *a.baseValue += csArch == CS_ARCH_X86 ? insn->size : code.thumb ? 4 : csArch == CS_ARCH_ARM ? 8 : 0;
                parts << term(a.base, a.baseValue);
                sum = a.baseValue ? std::optional(*sum + *a.baseValue) : std::nullopt;
            }
            if (!indexCs.isEmpty()) {
                a.indexValue = registerValue(report.registers, report.arch, indexCs, &a.index);
                QString t = term(a.index, a.indexValue);
                if (a.scale != 1 && a.scale != -1)
                    t += QStringLiteral(" * %1").arg(std::abs(a.scale));
                parts << (a.scale < 0 ? QStringLiteral("- ") + t : t);
                if (sum && a.indexValue)
                    sum = *sum + *a.indexValue * std::uint64_t(std::int64_t(a.scale)); // wraps, as the CPU does
                else
                    sum = std::nullopt;
            }
            if (a.displacement != 0 || parts.isEmpty()) {
                parts << (a.displacement < 0 ? QStringLiteral("- %1").arg(hex(0 - std::uint64_t(a.displacement)))
                                             : hex(std::uint64_t(a.displacement)));
                if (sum)
                    sum = *sum + std::uint64_t(a.displacement);
            }
            QString expr = parts.join(QStringLiteral(" + "));
            expr.replace(QStringLiteral("+ - "), QStringLiteral("- "));
            a.expression += expr;
            if (report.arch == Arch::Arm || report.arch == Arch::I386) {
                if (sum)
                    sum = *sum & 0xffffffffu;
            }
            if (!a.expression.contains(QLatin1String("per-CPU")))
                a.address = sum;
            if (a.address && report.faultAddress)
                a.matchesFault = *a.address == *report.faultAddress;
            result = a;
        }
    }
    cs_free(insn, 1);
    cs_close(&handle);
    return result;
}

} // namespace kms
