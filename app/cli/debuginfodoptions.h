// The debuginfod options `decode` and `watch` share: which servers, how long to wait, and the
// build ids a trace does not print.
#pragma once

#include <QByteArray>
#include <QCommandLineOption>
#include <QHash>
#include <QList>
#include <QString>

#include <memory>

class QCommandLineParser;

namespace kms {
class DebuginfodClient;
class NodeSession;
class Symbolizer;
} // namespace kms

namespace kms::cli {

class DebuginfodOptions
{
public:
    DebuginfodOptions();
    void addTo(QCommandLineParser &parser) const;
    // After parsing: sets up `symbolizer` (a resolve waits up to waitMs per build id, negative:
    // until the fetch ends). False and *error on a bad value.
    bool apply(const QCommandLineParser &parser, Symbolizer &symbolizer, int waitMs, QString *error);
    // The same for a live session (`watch`): its report worker has its own client.
    bool apply(const QCommandLineParser &parser, NodeSession &session, QString *error);

private:
    struct Settings {
        bool on = true;
        int stallTimeoutMs = 0;
        QHash<QString, QByteArray> buildIds;
    };
    bool parse(const QCommandLineParser &parser, Settings *settings, QString *error) const;

    QList<QCommandLineOption> m_options;
};

// "MOD=HEX" (MOD "vmlinux" for the kernel); false and *error when malformed.
bool parseBuildIdSpec(const QString &text, QString *module, QByteArray *buildId, QString *error);

} // namespace kms::cli
