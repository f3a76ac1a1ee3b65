#include "codelisting.h"

#include "report/reportformatter.h"

#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>

namespace kms::gui {

namespace {

QString signedHex(qint64 v)
{
    return (v < 0 ? QStringLiteral("-0x") : QStringLiteral("+0x")) + QString::number(qAbs(v), 16);
}

} // namespace

const Frame *pcFrame(const KernelReport &report)
{
    // The parser places the PC line's frame first among the exact ones (merged with the trace's
    // first frame when that is the same function); interrupted PCs come later.
    for (const Frame &f : report.frames) {
        if (f.exactPc && f.registerName.isEmpty())
            return &f;
    }
    return nullptr;
}

CodeListing codeListing(const KernelReport &report)
{
    CodeListing out;
    if (!report.code) {
        out.text = QObject::tr("(no Code: line in this report)");
        return out;
    }
    const CodeBytes &code = *report.code;
    if (code.disassembly.isEmpty()) {
        out.text = code.error.isEmpty() ? QObject::tr("(not disassembled yet)") : code.error;
        return out;
    }
    const DisassembledInstruction *trap = nullptr;
    for (const DisassembledInstruction &ins : code.disassembly) {
        if (ins.trapping)
            trap = &ins;
    }
    const Frame *pc = pcFrame(report);
    const bool symbolic = trap && pc && !pc->function.isEmpty() && pc->offset;
    // The disassembler gives absolute addresses when the report printed the PC's value.
    const bool absolute = trap && pc && pc->address && trap->address == *pc->address;

    QStringList labels;
    int width = 0;
    for (const DisassembledInstruction &ins : code.disassembly) {
        QString label;
        if (symbolic) {
            const qint64 offset = qint64(*pc->offset) + qint64(ins.address) - qint64(trap->address);
            label = pc->function + signedHex(offset);
            if (absolute)
                label = QStringLiteral("%1 <%2>").arg(ins.address, 16, 16, QLatin1Char('0')).arg(label);
        } else {
            label = QStringLiteral("%1").arg(ins.address, 8, 16, QLatin1Char('0'));
        }
        label += QLatin1Char(':');
        width = qMax(width, int(label.size()));
        labels.append(label);
    }
    QStringList lines;
    bool wasBefore = false;
    for (qsizetype i = 0; i < code.disassembly.size(); ++i) {
        const DisassembledInstruction &ins = code.disassembly[i];
        if (symbolic && ins.beforeFunction && !wasBefore) {
            out.beforeLines.append(int(lines.size()));
            lines.append(
                QObject::tr("   ; before %1 starts: the end of the function before it, or padding").arg(pc->function));
        }
        if (symbolic && !ins.beforeFunction && (wasBefore || i == 0) && code.functionStart >= 0)
            lines.append(QStringLiteral("   %1:").arg(pc->function));
        wasBefore = ins.beforeFunction;
        if (ins.trapping)
            out.trapLine = int(lines.size());
        if (ins.beforeFunction)
            out.beforeLines.append(int(lines.size()));
        lines.append(QStringLiteral("%1%2 %3")
                         .arg(ins.trapping ? QStringLiteral("=> ") : QStringLiteral("   "))
                         .arg(labels[i], -width)
                         .arg(ins.text));
    }
    out.text = lines.join(QLatin1Char('\n'));
    return out;
}

QString pcLine(const KernelReport &report)
{
    const Frame *pc = pcFrame(report);
    if (!pc)
        return {};
    // The line as the kernel printed it ("RIP: 0010:f+0xd/0x60 [m]", "pc : f+0x28/0x94",
    // "PC is at f+0x28/0x94"): the one that names the PC's function first.
    static const QRegularExpression pcPrefix(
        QStringLiteral("^(?:\\[[^\\]]*\\])?\\s*((?:RIP:|EIP:|pc :|PC is at|NIP|epc :|Krnl PSW|IP:).*)$"));
    for (const QString &l : report.lines) {
        const QRegularExpressionMatch m = pcPrefix.match(l);
        if (m.hasMatch() && (pc->function.isEmpty() || l.contains(pc->function)))
            return m.captured(1).trimmed();
    }
    return QStringLiteral("PC: %1").arg(formatFrameSymbol(*pc));
}

QString registerListing(const KernelReport &report, int cols)
{
    QStringList out;
    const QString pcText = pcLine(report);
    if (!pcText.isEmpty()) {
        out.append(pcText);
        const Frame *pc = pcFrame(report);
        if (pc && !pc->file.isEmpty())
            out.append(QStringLiteral("    at %1:%2").arg(QFileInfo(pc->file).fileName()).arg(pc->line));
        out.append(QString());
    }
    QStringList cells;
    int nameWidth = 0;
    int valueWidth = 0;
    const int fullWidth = report.arch == Arch::Arm || report.arch == Arch::I386 ? 8 : 16;
    auto value = [fullWidth](const Register &reg) {
        return reg.printed.isEmpty() ? QStringLiteral("%1").arg(reg.value, fullWidth, 16, QLatin1Char('0'))
                                     : reg.printed;
    };
    // Columns as wide as most names and values ("RAX: " and 16 digits): a longer one ("EFLAGS",
    // "RSP: 0018:ffff...") shifts its own row rather than widening every column past the tab.
    QHash<int, int> names;
    QHash<int, int> values;
    for (const Register &reg : report.registers) {
        ++names[int(reg.name.size())];
        ++values[int(value(reg).size())];
    }
    const auto mostCommon = [](const QHash<int, int> &counts) {
        int best = 0;
        for (auto it = counts.begin(); it != counts.end(); ++it) {
            if (it.value() > counts.value(best) || (it.value() == counts.value(best) && it.key() > best))
                best = it.key();
        }
        return best;
    };
    nameWidth = mostCommon(names);
    valueWidth = mostCommon(values);
    QString row;
    int col = 0;
    for (const Register &reg : report.registers) {
        const QString cell = QStringLiteral("%1: %2").arg(reg.name, nameWidth).arg(value(reg), -valueWidth);
        row += (col ? QStringLiteral("  ") : QString()) + cell;
        if (++col == cols) {
            out.append(row);
            row.clear();
            col = 0;
        }
    }
    if (!row.isEmpty())
        out.append(row);
    for (QString &l : out) {
        while (l.endsWith(QLatin1Char(' ')))
            l.chop(1);
    }
    if (report.faultAddress)
        out.append(QStringLiteral("\nfault address: 0x%1").arg(*report.faultAddress, 0, 16));
    if (!report.registerInfo.isEmpty())
        out.append(QLatin1Char('\n') + report.registerInfo.join(QLatin1Char('\n')));
    return out.join(QLatin1Char('\n'));
}

} // namespace kms::gui
