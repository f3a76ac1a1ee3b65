#include "decodecommand.h"

#include "debuginfodoptions.h"
#include "sectionspec.h"

#include "log/linesplitter.h"
#include "report/reportdetector.h"
#include "report/reportformatter.h"
#include "report/reportjson.h"
#include "symbols/modulecatalog.h"
#include "symbols/pathmap.h"
#include "symbols/symbolizer.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

#include <cstdio>

namespace kms::cli {

namespace {

constexpr int exitUsage = 2;

int usageError(const QString &message)
{
    QTextStream(stderr) << "kmodscope-cli decode: " << message << "\n"
                        << "Try 'kmodscope-cli decode --help'.\n";
    return exitUsage;
}

// Prints reports as they complete, so a 100 MB log is never held in memory.
class ReportPrinter
{
public:
    ReportPrinter(Symbolizer &symbolizer, bool json)
        : m_symbolizer(symbolizer)
        , m_json(json)
    {
        m_out.open(stdout, QIODevice::WriteOnly);
        if (m_json)
            m_out.write("{\"reports\": [");
    }

    void print(KernelReport &&report)
    {
        m_symbolizer.resolve(report);
        if (m_json) {
            if (m_count > 0)
                m_out.write(",");
            m_out.write("\n");
            m_out.write(QJsonDocument(toJson(report)).toJson(QJsonDocument::Compact));
        } else {
            if (m_count > 0)
                m_out.write("\n");
            m_out.write(formatReport(report).toUtf8());
        }
        ++m_count;
        m_out.flush();
    }

    void finish()
    {
        if (m_json)
            m_out.write(m_count > 0 ? "\n]}\n" : "]}\n");
        else if (m_count == 0)
            m_out.write("no kernel report found\n");
        m_out.flush();
    }

private:
    Symbolizer &m_symbolizer;
    bool m_json;
    QFile m_out;
    int m_count = 0;
};

bool openInput(QFile &file, const QString &path, QString *error)
{
    const bool ok = path == QLatin1String("-") ? file.open(stdin, QIODevice::ReadOnly)
                                               : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!ok)
        *error = QStringLiteral("cannot read '%1': %2").arg(path, file.errorString());
    return ok;
}

} // namespace

int runDecode(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Finds the kernel reports (Oops, BUG, WARNING, panic, KASAN, ...) in a console log and\n"
                       "resolves every frame to file:line from the modules' DWARF."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("LOG"),
                                 QStringLiteral("console log to read, or - for stdin (default)"));
    const QCommandLineOption koOption(
        QStringLiteral("ko"),
        QStringLiteral("module .ko (.ko.xz, .ko.zst) or a directory searched for them; repeatable"),
        QStringLiteral("FILE|DIR"));
    const QCommandLineOption vmlinuxOption(
        QStringLiteral("vmlinux"), QStringLiteral("debug vmlinux for core kernel frames"), QStringLiteral("FILE"));
    const QCommandLineOption sectionsOption(
        QStringLiteral("sections"),
        QStringLiteral("load addresses for absolute-address frames, e.g.\n"
                       "prudaq:.text=0xffffffffc0a00000,.exit.text=0xffffffffc0a05000"),
        QStringLiteral("MOD:SECTION=ADDR[,...]"));
    const QCommandLineOption srcMapOption(QStringLiteral("src-map"),
                                          QStringLiteral("rewrite source paths (longest prefix wins); repeatable"),
                                          QStringLiteral("OLD=NEW"));
    const QCommandLineOption jsonOption(QStringLiteral("json"),
                                        QStringLiteral("print one JSON object {\"reports\": [...]}"));
    parser.addOptions({koOption, vmlinuxOption, sectionsOption, srcMapOption, jsonOption});
    DebuginfodOptions debuginfod;
    debuginfod.addTo(parser);

    QStringList argv = arguments;
    argv.prepend(QStringLiteral("kmodscope-cli decode"));
    if (!parser.parse(argv))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        return usageError(QStringLiteral("one log at a time (got %1)").arg(positional.size()));

    QString error;
    ModuleCatalog catalog;
    for (const QString &path : parser.values(koOption)) {
        if (!catalog.addPath(path, &error))
            return usageError(error);
    }
    if (parser.isSet(vmlinuxOption) && !catalog.setVmlinux(parser.value(vmlinuxOption), &error))
        return usageError(error);

    PathMap paths;
    for (const QString &text : parser.values(srcMapOption)) {
        const auto map = parseSourceMap(text, &error);
        if (!map)
            return usageError(error);
        paths.add(map->first, map->second);
    }

    Symbolizer symbolizer(catalog, paths);
    for (const QString &text : parser.values(sectionsOption)) {
        const auto spec = parseSectionSpec(text, &error);
        if (!spec)
            return usageError(error);
        symbolizer.setSectionAddresses(spec->module, spec->sections);
    }
    // A batch decode waits for each fetch to end: the stall timeout bounds a dead server.
    if (!debuginfod.apply(parser, symbolizer, -1, &error))
        return usageError(error);

    QFile input;
    const QString inputPath = positional.value(0, QStringLiteral("-"));
    if (!openInput(input, inputPath, &error))
        return usageError(error);

    ReportPrinter printer(symbolizer, parser.isSet(jsonOption));
    ReportDetector detector([&printer](KernelReport &&report) { printer.print(std::move(report)); });
    detector.setSource(inputPath == QLatin1String("-") ? QStringLiteral("stdin") : inputPath);
    LineSplitter splitter;
    const auto feedLine = [&detector](QByteArrayView line, bool) {
        detector.feedLine(line);
    };

    QByteArray chunk(1 << 20, Qt::Uninitialized);
    for (;;) {
        const qint64 n = input.read(chunk.data(), chunk.size());
        if (n < 0) {
            QTextStream(stderr) << "kmodscope-cli decode: read error on '" << inputPath << "': " << input.errorString()
                                << '\n';
            return exitUsage;
        }
        if (n == 0)
            break;
        splitter.feed(QByteArrayView(chunk.constData(), n), feedLine);
    }
    splitter.finish(feedLine);
    detector.finish();
    printer.finish();
    return 0;
}

} // namespace kms::cli
