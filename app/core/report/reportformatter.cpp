#include "report/reportformatter.h"

#include "report/reportjson.h"

#include <QTextStream>

#include <algorithm>

namespace kms {

QString formatFrameSymbol(const Frame &frame)
{
    QString text = frame.function.isEmpty() && frame.address ? hexString(*frame.address) : frame.function;
    if (frame.offset) {
        text += QStringLiteral("+0x") + QString::number(*frame.offset, 16);
        if (frame.size)
            text += QStringLiteral("/0x") + QString::number(*frame.size, 16);
    }
    if (!frame.module.isEmpty())
        text += QStringLiteral(" [") + frame.module + QLatin1Char(']');
    return text;
}

QString formatFrameLocation(const Frame &frame)
{
    if (frame.file.isEmpty())
        return frame.error.isEmpty() ? QString() : QStringLiteral("(%1)").arg(frame.error);
    QString text = frame.file;
    if (frame.line > 0)
        text += QLatin1Char(':') + QString::number(frame.line);
    if (frame.column > 0)
        text += QLatin1Char(':') + QString::number(frame.column);
    if (!frame.sourceExists)
        text += QStringLiteral(" (not found here)");
    return text;
}

namespace {

QString headerFacts(const KernelReport &report)
{
    QStringList facts;
    facts << QStringLiteral("lines %1-%2").arg(report.firstLine).arg(report.lastLine);
    facts << toString(report.arch);
    if (report.cpu)
        facts << QStringLiteral("CPU %1").arg(*report.cpu);
    if (report.pid) {
        QString pid = QStringLiteral("PID %1").arg(*report.pid);
        if (!report.comm.isEmpty())
            pid += QStringLiteral(" (%1)").arg(report.comm);
        facts << pid;
    }
    if (!report.kernelRelease.isEmpty())
        facts << report.kernelRelease;
    if (!report.taint.isEmpty())
        facts << QStringLiteral("tainted: ") + report.taint.simplified();
    return facts.join(QStringLiteral(" | "));
}

QString frameTags(const Frame &frame)
{
    QStringList tags;
    const QString context = toString(frame.context);
    if (!context.isEmpty())
        tags << context;
    if (frame.exactPc)
        tags << QStringLiteral("pc");
    if (!frame.reliable)
        tags << QStringLiteral("unreliable");
    return tags.isEmpty() ? QString() : QStringLiteral("  {%1}").arg(tags.join(QLatin1Char(',')));
}

void writeFrames(QTextStream &out, const KernelReport &report)
{
    out << "  frames:\n";
    int index = 0;
    for (const Frame &frame : report.frames) {
        out << QStringLiteral("  ") << QStringLiteral("#%1").arg(index++).leftJustified(4)
            << (frame.reliable ? "  " : "? ") << formatFrameSymbol(frame) << frameTags(frame) << '\n';
        const QString location = formatFrameLocation(frame);
        if (!location.isEmpty())
            out << (frame.file.isEmpty() ? "        " : "        at ") << location
                << (frame.inlinedFunction.isEmpty() ? QString()
                                                    : QStringLiteral("  (in inlined %1)").arg(frame.inlinedFunction))
                << '\n';
        for (const InlineCaller &caller : frame.inlinedBy) {
            out << "        inlined into " << caller.function;
            if (!caller.file.isEmpty()) {
                out << " at " << caller.file;
                if (caller.line > 0)
                    out << ':' << caller.line;
                if (caller.column > 0)
                    out << ':' << caller.column;
            }
            out << '\n';
        }
    }
}

// LR printed as a function: shown with the frames, not numbered among them.
void writeRegisterFrames(QTextStream &out, const KernelReport &report)
{
    for (const Frame &frame : report.registerFrames) {
        out << "  " << frame.registerName.leftJustified(4) << "    " << formatFrameSymbol(frame) << "  {register}\n";
        const QString location = formatFrameLocation(frame);
        if (!location.isEmpty())
            out << (frame.file.isEmpty() ? "        " : "        at ") << location << '\n';
    }
}

void writeRegisters(QTextStream &out, const KernelReport &report)
{
    if (report.registers.isEmpty() && report.registerInfo.isEmpty())
        return;
    qsizetype nameWidth = 0;
    for (const Register &reg : report.registers)
        nameWidth = std::max(nameWidth, reg.name.size());
    out << "  registers:\n";
    const int perRow = report.arch == Arch::Arm || report.arch == Arch::I386 ? 5 : 3;
    QStringList row;
    for (const Register &reg : report.registers) {
        const int digits = report.arch == Arch::Arm || report.arch == Arch::I386 ? 8 : 16;
        row << QStringLiteral("%1 %2").arg(reg.name.leftJustified(nameWidth),
                                           QString::number(reg.value, 16).rightJustified(digits, QLatin1Char('0')));
        if (row.size() == perRow) {
            out << "    " << row.join(QStringLiteral("  ")) << '\n';
            row.clear();
        }
    }
    if (!row.isEmpty())
        out << "    " << row.join(QStringLiteral("  ")) << '\n';
    for (const QString &info : report.registerInfo)
        out << "    " << info << '\n';
}

void writeCode(QTextStream &out, const CodeBytes &code)
{
    out << "  code: " << QString::fromLatin1(code.bytes.toHex(' '));
    if (code.trapIndex >= 0)
        out << "  (trap at byte " << code.trapIndex << ')';
    out << '\n';
    if (!code.error.isEmpty())
        out << "    (" << code.error << ")\n";
    for (const DisassembledInstruction &insn : code.disassembly) {
        out << (insn.trapping ? "  => " : "     ") << hexString(insn.address) << ":  " << insn.text
            << (insn.beforeFunction ? "  (before the function)" : "") << '\n';
    }
}

// The explanation as an indented paragraph, wrapped for a terminal.
void writeExplanation(QTextStream &out, const FaultExplanation &explanation)
{
    const QStringList words = explanation.summary.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QString line = QStringLiteral("  explained:");
    for (const QString &word : words) {
        if (line.size() + 1 + word.size() > 100 && line.size() > 4) {
            out << line << '\n';
            line = QStringLiteral("   ");
        }
        line += QLatin1Char(' ') + word;
    }
    out << line << '\n';
}

} // namespace

QString formatReport(const KernelReport &report, const FormatOptions &options)
{
    QString text;
    QTextStream out(&text);
    out << "== " << toString(report.kind) << ": " << report.title;
    if (report.panicked)
        out << "  [panicked]";
    if (report.corrupted)
        out << "  [corrupted]";
    if (report.interleaved)
        out << "  [interleaved]";
    out << '\n';
    if (report.explanation && !report.explanation->summary.isEmpty())
        writeExplanation(out, *report.explanation);
    out << "  " << headerFacts(report) << '\n';
    if (report.faultAddress)
        out << "  fault address: " << hexString(*report.faultAddress) << '\n';
    if (!report.guiltyFunction.isEmpty()) {
        out << "  guilty: " << report.guiltyFunction;
        if (!report.guiltyModule.isEmpty())
            out << " [" << report.guiltyModule << ']';
        out << '\n';
    }
    if (!report.modules.isEmpty())
        out << "  modules linked in: " << report.modules.join(QLatin1Char(' ')) << '\n';
    writeFrames(out, report);
    writeRegisterFrames(out, report);
    if (options.registers)
        writeRegisters(out, report);
    if (options.disassembly && report.code)
        writeCode(out, *report.code);
    if (options.rawLines) {
        out << "  text:\n";
        for (const QString &line : report.lines)
            out << "    " << line << '\n';
    }
    out.flush();
    return text;
}

} // namespace kms
