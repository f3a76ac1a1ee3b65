// The debuginfod options `decode` and `watch` share: which servers, how long to wait, and the
// build ids a trace does not print.
#pragma once

#include <QCommandLineOption>
#include <QList>
#include <QString>

#include <memory>

class QCommandLineParser;

namespace kms {
class DebuginfodClient;
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
    // The client apply() made, null when debuginfod is off.
    const std::shared_ptr<DebuginfodClient> &client() const { return m_client; }

private:
    QList<QCommandLineOption> m_options;
    std::shared_ptr<DebuginfodClient> m_client;
};

// "MOD=HEX" (MOD "vmlinux" for the kernel); false and *error when malformed.
bool parseBuildIdSpec(const QString &text, QString *module, QByteArray *buildId, QString *error);

} // namespace kms::cli
