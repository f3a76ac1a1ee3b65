#include "debuginfodoptions.h"

#include "node/nodesession.h"
#include "symbols/debuginfod.h"
#include "symbols/symbolizer.h"

#include <QCommandLineParser>
#include <QRegularExpression>

namespace kms::cli {

namespace {
enum Option { Urls, Off, Timeout, BuildId };
} // namespace

DebuginfodOptions::DebuginfodOptions()
    : m_options{
        QCommandLineOption(QStringLiteral("debuginfod-urls"),
                           QStringLiteral("debuginfod servers (space-separated), instead of $DEBUGINFOD_URLS;\n"
                                          "debug files are fetched by build id when $DEBUGINFOD_URLS is set"),
                           QStringLiteral("URLS")),
        QCommandLineOption(QStringLiteral("no-debuginfod"), QStringLiteral("never ask a debuginfod server")),
        QCommandLineOption(QStringLiteral("debuginfod-timeout"),
                           QStringLiteral("give up a fetch that receives nothing for this long\n"
                                          "(default $DEBUGINFOD_TIMEOUT, else 15)"),
                           QStringLiteral("SECONDS")),
        QCommandLineOption(QStringLiteral("build-id"),
                           QStringLiteral("build id of a module the trace does not print (MOD vmlinux: the\n"
                                          "kernel's, from /sys/kernel/notes); repeatable"),
                           QStringLiteral("MOD=HEX")),
    }
{
}

void DebuginfodOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions(m_options);
}

bool parseBuildIdSpec(const QString &text, QString *module, QByteArray *buildId, QString *error)
{
    static const QRegularExpression re(QStringLiteral("^([A-Za-z0-9_-]+)=([0-9A-Fa-f]+)$"));
    const QRegularExpressionMatch m = re.match(text.trimmed());
    if (!m.hasMatch() || m.capturedLength(2) % 2 != 0 || m.capturedLength(2) < 8) {
        *error = QStringLiteral("bad --build-id '%1' (expected MOD=HEX, e.g. vmlinux=3f1c...)").arg(text);
        return false;
    }
    *module = m.captured(1);
    *buildId = m.captured(2).toLower().toLatin1();
    return true;
}

bool DebuginfodOptions::parse(const QCommandLineParser &parser, Settings *settings, QString *error) const
{
    for (const QString &text : parser.values(m_options[BuildId])) {
        QString module;
        QByteArray id;
        if (!parseBuildIdSpec(text, &module, &id, error))
            return false;
        settings->buildIds.insert(module, id);
    }
    if (parser.isSet(m_options[Timeout])) {
        bool ok = false;
        const double seconds = parser.value(m_options[Timeout]).toDouble(&ok);
        if (!ok || seconds <= 0 || seconds > 3600) {
            *error
                = QStringLiteral("bad --debuginfod-timeout '%1' (seconds, > 0)").arg(parser.value(m_options[Timeout]));
            return false;
        }
        settings->stallTimeoutMs = int(seconds * 1000);
    }
    settings->on = !parser.isSet(m_options[Off]);
    // libdebuginfod reads its servers from the environment only; nothing else runs yet.
    if (settings->on && parser.isSet(m_options[Urls]))
        qputenv("DEBUGINFOD_URLS", parser.value(m_options[Urls]).toLocal8Bit());
    return true;
}

bool DebuginfodOptions::apply(const QCommandLineParser &parser, Symbolizer &symbolizer, int waitMs, QString *error)
{
    Settings settings;
    if (!parse(parser, &settings, error))
        return false;
    for (auto it = settings.buildIds.cbegin(); it != settings.buildIds.cend(); ++it)
        symbolizer.setBuildId(it.key(), it.value());
    if (!settings.on)
        return true;
    auto client = std::make_shared<DebuginfodClient>(settings.stallTimeoutMs);
    if (client->enabled())
        symbolizer.setDebuginfod(client, waitMs);
    return true;
}

bool DebuginfodOptions::apply(const QCommandLineParser &parser, NodeSession &session, QString *error)
{
    Settings settings;
    if (!parse(parser, &settings, error))
        return false;
    session.setBuildIds(settings.buildIds);
    session.setDebuginfod(settings.on, settings.stallTimeoutMs);
    return true;
}

} // namespace kms::cli
