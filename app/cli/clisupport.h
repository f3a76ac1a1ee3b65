// What the node-facing commands (cycle, hunt, watch, telemetry) share: the exit statuses, the
// usage message, the options for the node's links (--ssh, --ssh-config, --known-hosts,
// --accept-new, --serial, --baud) and for decoding (--ko), and SIGINT/SIGTERM as a stop request
// delivered on the event loop.
#pragma once

#include "link/seriallink.h"
#include "link/sshlink.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QObject>

#include <functional>
#include <optional>

class QSocketNotifier;

namespace kms {
class ModuleCatalog;
}

namespace kms::cli {

inline constexpr int exitPass = 0;
inline constexpr int exitNotPassed = 1;
inline constexpr int exitUsage = 2;
inline constexpr int exitUnreachable = 3;

// "kmodscope-cli COMMAND: MESSAGE" and the hint to --help, on stderr; exitUsage.
int usageError(const QString &command, const QString &message);

struct LinkOptions {
    QCommandLineOption ssh, sshConfig, knownHosts, acceptNew, serial, baud, ko;

    // Adds them to the parser (the help texts every command shares).
    static LinkOptions add(QCommandLineParser &parser);
    // --ssh and friends as SshSettings (an unknown host key is refused unless --accept-new).
    SshSettings sshSettings(const QCommandLineParser &parser) const;
    // --serial and --baud; nullopt without --serial, or with *error set for a bad baud rate.
    std::optional<SerialSettings> serialSettings(const QCommandLineParser &parser, QString *error) const;
    // Each --ko into the catalog; false with *error for one that cannot be read.
    bool loadModules(const QCommandLineParser &parser, ModuleCatalog &catalog, QString *error) const;
};

// SIGINT and SIGTERM call onStop on the event loop (once per signal) while this lives; the
// default handlers are restored after.
class SignalStop
{
public:
    explicit SignalStop(std::function<void()> onStop);
    ~SignalStop();
    bool ok() const { return m_notifier != nullptr; }

private:
    std::function<void()> m_onStop;
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace kms::cli
