#include "bugreport.h"

#include "codelisting.h"

#include "report/reportformatter.h"

#include <QFile>
#include <QSet>
#include <QTextStream>

namespace kms::gui {

QString sourceExcerpt(const QString &file, int line, int context)
{
    QFile f(file);
    if (line <= 0 || !f.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    QString out;
    QTextStream in(&f);
    int n = 0;
    while (!in.atEnd()) {
        const QString text = in.readLine();
        ++n;
        if (n < line - context)
            continue;
        if (n > line + context)
            break;
        out += QStringLiteral("%1%2 %3\n").arg(n == line ? QLatin1Char('>') : QLatin1Char(' ')).arg(n, 5).arg(text);
    }
    return out;
}

QString bugReportMarkdown(const KernelReport &report, int excerptContext)
{
    QString md;
    QTextStream s(&md);
    s << "## " << (report.title.isEmpty() ? toString(report.kind) : report.title) << "\n\n";
    if (report.explanation && !report.explanation->summary.isEmpty())
        s << report.explanation->summary << "\n\n";
    s << "- Kind: " << toString(report.kind) << (report.panicked ? " (kernel panic)" : "")
      << (report.corrupted ? " (report truncated or interleaved)" : "") << "\n";
    if (!report.guiltyFunction.isEmpty())
        s << "- Guilty: `" << report.guiltyFunction << "`"
          << (report.guiltyModule.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(report.guiltyModule)) << "\n";
    if (report.faultAddress)
        s << "- Fault address: `0x" << QString::number(*report.faultAddress, 16) << "`\n";
    s << "- Kernel release: " << (report.kernelRelease.isEmpty() ? QStringLiteral("unknown") : report.kernelRelease)
      << "\n";
    s << "- Architecture: " << toString(report.arch) << "\n";
    if (report.cpu || report.pid || !report.comm.isEmpty())
        s << "- CPU " << (report.cpu ? QString::number(*report.cpu) : QStringLiteral("?")) << ", PID "
          << (report.pid ? QString::number(*report.pid) : QStringLiteral("?")) << ", comm " << report.comm << "\n";
    if (!report.taint.isEmpty())
        s << "- Taint: `" << report.taint << "`\n";
    if (!report.modules.isEmpty())
        s << "- Modules linked in: " << report.modules.join(QLatin1Char(' ')) << "\n";

    s << "\n### Decoded trace\n\n```\n";
    for (const Frame &f : report.frames) {
        s << (f.reliable ? "" : "? ") << formatFrameSymbol(f);
        const QString ctx = toString(f.context);
        if (!ctx.isEmpty())
            s << " {" << ctx << "}";
        s << "\n    " << formatFrameLocation(f) << "\n";
        for (const InlineCaller &c : f.inlinedBy)
            s << "    inlined by " << c.function << " at " << c.file << ":" << c.line << "\n";
    }
    s << "```\n";

    QSet<QString> done;
    bool header = false;
    for (const Frame &f : report.frames) {
        // A "?" frame is a stale address the unwinder found on the stack: listed (marked) in the
        // trace, but no excerpt of its own that would present it as part of the path.
        if (!f.reliable || f.module.isEmpty() || f.file.isEmpty() || f.line <= 0)
            continue;
        const QString key = QStringLiteral("%1:%2").arg(f.file).arg(f.line);
        if (done.contains(key))
            continue;
        done.insert(key);
        const QString excerpt = sourceExcerpt(f.file, f.line, excerptContext);
        if (excerpt.isEmpty())
            continue;
        if (!header) {
            s << "\n### Source\n";
            header = true;
        }
        s << "\n`" << f.function << "` at " << key << ":\n\n```c\n" << excerpt << "```\n";
    }

    // As the Registers and Code tabs show them: the PC line as printed, registers at their printed
    // width, code addresses as function+offset with the bytes before the function set apart.
    if (!report.registers.isEmpty() || pcFrame(report))
        s << "\n### Registers\n\n```\n" << registerListing(report, 3) << "\n```\n";
    if (report.code && !report.code->disassembly.isEmpty())
        s << "\n### Code\n\n```\n" << codeListing(report).text << "\n```\n";
    if (!report.lines.isEmpty()) {
        s << "\n<details><summary>Report as printed</summary>\n\n```\n"
          << report.lines.join(QLatin1Char('\n')) << "\n```\n</details>\n";
    }
    return md;
}

} // namespace kms::gui
