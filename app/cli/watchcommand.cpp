#include "watchcommand.h"

#include "debuginfodoptions.h"

#include "node/nodesession.h"
#include "report/reportformatter.h"
#include "report/reportjson.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QMap>
#include <QSet>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace kms::cli {

namespace {

constexpr int exitUsage = 2;
// The node could not be reached, or its host key or our login was refused (as `cycle`).
constexpr int exitUnreachable = 3;
// A report without end marker (or waiting for a "Kernel panic" line that may never come) is
// printed after this much quiet on its source.
constexpr int idleFlushMs = 1000;

int usageError(const QString &message)
{
    QTextStream(stderr) << "kmodscope-cli watch: " << message << "\n"
                        << "Try 'kmodscope-cli watch --help'.\n";
    return exitUsage;
}

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

void status(const QString &text)
{
    QTextStream(stderr) << "kmodscope-cli watch: " << text << '\n';
}

// Prints each report of the session once, as soon as it is resolved (a copy on another source
// is never resolved, so never printed).
class ReportPrinter : public QObject
{
public:
    ReportPrinter(NodeSession &session, bool json)
        : m_json(json)
    {
        m_out.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered);
        // Every detection is resolved once; a read of the node's build ids that changed them
        // resolves every kept report again. Only the latest requested resolution is printed:
        // one made with the old build ids may still be on its way (the worker can be busy for
        // seconds loading a debug vmlinux) when the read ends.
        connect(&session, &NodeSession::reportDetected, this, [this](int id) { m_pending[id] = 1; });
        connect(&session, &NodeSession::reportResolved, this, [this, &session](int id, const KernelReport &report) {
            if (m_printed.contains(id))
                return;
            int &pending = m_pending[id];
            if (pending > 0)
                --pending;
            if (pending > 0)
                return;
            // The node's build ids are being read again for this report (its module may have
            // been loaded since): when they changed, the report comes again, resolved with them.
            if (session.readingBuildIds()) {
                m_held.insert(id, report);
                return;
            }
            print(id, report);
        });
        connect(&session, &NodeSession::buildIdsRead, this, [this](bool changed) {
            const QMap<int, KernelReport> held = std::exchange(m_held, {});
            if (changed) {
                for (auto it = m_pending.begin(); it != m_pending.end(); ++it)
                    ++it.value();
                return;
            }
            for (auto it = held.cbegin(); it != held.cend(); ++it)
                print(it.key(), it.value());
        });
    }

private:
    void print(int id, KernelReport report)
    {
        // A debug file still being fetched: the report comes again when the fetch ends (the
        // stall timeout bounds that).
        if (m_printed.contains(id) || waitsForDebuginfod(report))
            return;
        m_printed.insert(id);
        m_pending.remove(id);
        // watch has named its SSH source "ssh" since it shipped; the session log keeps the
        // stream's own label.
        if (report.source == QLatin1String(NodeSession::kernelLogSource))
            report.source = QStringLiteral("ssh");
        QByteArray text;
        if (m_json) {
            text = QJsonDocument(toJson(report)).toJson(QJsonDocument::Compact) + '\n';
        } else {
            text = formatReport(report).toUtf8();
            if (!text.endsWith('\n'))
                text += '\n';
            text += '\n';
        }
        m_out.write(text);
        m_out.flush();
    }

    bool m_json;
    QFile m_out;
    QSet<int> m_printed;
    QMap<int, KernelReport> m_held; // resolved while the node's build ids were being read
    QHash<int, int> m_pending; // unprinted reports: resolutions requested and not yet arrived
};

QString serialStateText(SerialLink::State state)
{
    switch (state) {
    case SerialLink::State::Closed:
        return QStringLiteral("closed");
    case SerialLink::State::Waiting:
        return QStringLiteral("waiting for the device");
    case SerialLink::State::Open:
        return QStringLiteral("open");
    case SerialLink::State::Lost:
        return QStringLiteral("lost, waiting for it to come back");
    case SerialLink::State::Error:
        return QStringLiteral("error");
    }
    return {};
}

QString sshStateText(SshLink::State state)
{
    switch (state) {
    case SshLink::State::Disconnected:
        return QStringLiteral("disconnected");
    case SshLink::State::Connecting:
        return QStringLiteral("connecting");
    case SshLink::State::Up:
        return QStringLiteral("up");
    case SshLink::State::Lost:
        return QStringLiteral("lost, reconnecting");
    case SshLink::State::AuthFailed:
        return QStringLiteral("authentication failed");
    case SshLink::State::HostKeyUnknown:
        return QStringLiteral("unknown host key");
    case SshLink::State::HostKeyChanged:
        return QStringLiteral("host key changed");
    case SshLink::State::Error:
        return QStringLiteral("error");
    }
    return {};
}

} // namespace

int runWatch(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Watches a node's serial console and/or its kernel log over SSH, headless, and prints each\n"
                       "kernel report as soon as it is complete, resolved with the given modules. Runs until\n"
                       "SIGINT/SIGTERM; a serial device that disappears is picked up again when it returns."));
    parser.addHelpOption();
    const QCommandLineOption serialOption(QStringLiteral("serial"),
                                          QStringLiteral("serial device (a pty, /dev/serial/by-id/...)"),
                                          QStringLiteral("PATH"));
    const QCommandLineOption baudOption(QStringLiteral("baud"), QStringLiteral("baud rate (default 115200)"),
                                        QStringLiteral("N"), QStringLiteral("115200"));
    const QCommandLineOption rawOption(
        QStringLiteral("raw"), QStringLiteral("also keep the exact serial bytes in FILE"), QStringLiteral("FILE"));
    const QCommandLineOption sshOption(QStringLiteral("ssh"),
                                       QStringLiteral("node to follow `dmesg -w` on (host or ssh config alias)"),
                                       QStringLiteral("HOST"));
    const QCommandLineOption sshConfigOption(QStringLiteral("ssh-config"),
                                             QStringLiteral("ssh config file (default ~/.ssh/config)"),
                                             QStringLiteral("FILE"));
    const QCommandLineOption knownHostsOption(
        QStringLiteral("known-hosts"),
        QStringLiteral("known_hosts file (default: from the ssh config, ~/.ssh/known_hosts)"), QStringLiteral("FILE"));
    const QCommandLineOption sshStreamOption(
        QStringLiteral("ssh-stream"),
        QStringLiteral("shell command on the node whose output is watched (default: dmesg -w, or /dev/kmsg)"),
        QStringLiteral("COMMAND"));
    const QCommandLineOption acceptNewOption(
        QStringLiteral("accept-new"), QStringLiteral("record an unknown host key (a changed one is always refused)"));
    const QCommandLineOption koOption(QStringLiteral("ko"),
                                      QStringLiteral("module .ko or a directory searched for them; repeatable"),
                                      QStringLiteral("FILE|DIR"));
    const QCommandLineOption vmlinuxOption(
        QStringLiteral("vmlinux"),
        QStringLiteral("vmlinux for core kernel frames (debug, or stripped: see debuginfod)"), QStringLiteral("FILE"));
    const QCommandLineOption logOption(QStringLiteral("log"), QStringLiteral("session log: every line of every source"),
                                       QStringLiteral("FILE"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("one REPORT JSON object per line"));
    parser.addOptions({serialOption, baudOption, rawOption, sshOption, sshConfigOption, knownHostsOption,
                       sshStreamOption, acceptNewOption, koOption, vmlinuxOption, logOption, jsonOption});
    DebuginfodOptions debuginfod;
    debuginfod.addTo(parser);

    QStringList argv = arguments;
    argv.prepend(QStringLiteral("kmodscope-cli watch"));
    if (!parser.parse(argv))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    if (!parser.isSet(serialOption) && !parser.isSet(sshOption))
        return usageError(QStringLiteral("nothing to watch: give --serial PATH and/or --ssh HOST"));
    bool baudOk = false;
    const int baud = parser.value(baudOption).toInt(&baudOk);
    if (!baudOk || baud <= 0)
        return usageError(QStringLiteral("bad baud rate '%1'").arg(parser.value(baudOption)));

    QString error;
    {
        // Checked here so that a bad path is a usage error; the session reads them again.
        ModuleCatalog catalog;
        for (const QString &path : parser.values(koOption)) {
            if (!catalog.addPath(path, &error))
                return usageError(error);
        }
        if (parser.isSet(vmlinuxOption) && !catalog.setVmlinux(parser.value(vmlinuxOption), &error))
            return usageError(error);
    }
    NodeSession session(idleFlushMs);
    session.setVmlinux(parser.value(vmlinuxOption));
    session.setSymbolConfig(parser.values(koOption), {});
    if (!debuginfod.apply(parser, session, &error))
        return usageError(error);
    ReportPrinter printer(session, parser.isSet(jsonOption));
    if (parser.isSet(logOption) && !session.openSessionLog(parser.value(logOption), &error))
        return usageError(error);

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0)
        return usageError(QStringLiteral("cannot set up signal handling"));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &session, [] { QCoreApplication::exit(0); });
    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    const bool serialToo = parser.isSet(serialOption);
    if (serialToo) {
        SerialSettings settings;
        settings.path = parser.value(serialOption);
        settings.baudRate = baud;
        settings.rawCapturePath = parser.value(rawOption);
        QObject::connect(&session, &NodeSession::serialStateChanged, &session,
                         [path = settings.path](SerialLink::State state, const QString &detail) {
                             status(QStringLiteral("serial %1: %2%3")
                                        .arg(path, serialStateText(state),
                                             detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail)));
                         });
        session.startSerial(settings);
    }

    if (parser.isSet(sshOption)) {
        SshSettings settings;
        settings.host = parser.value(sshOption);
        settings.configFile = parser.value(sshConfigOption);
        settings.knownHostsFile = parser.value(knownHostsOption);
        // Headless: nobody to ask, and no secret is ever stored.
        settings.unknownHostKey
            = parser.isSet(acceptNewOption) ? SshSettings::UnknownHostKey::Accept : SshSettings::UnknownHostKey::Reject;
        QObject::connect(&session, &NodeSession::sshStateChanged, &session,
                         [&session, host = settings.host, serialToo](SshLink::State state, const QString &detail) {
                             status(QStringLiteral("ssh %1: %2%3")
                                        .arg(host, sshStateText(state),
                                             detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail)));
                             // Refusals are final; a node that does not answer the first time is
                             // not there (once it was up, a loss is followed: it reboots).
                             const bool refused = state == SshLink::State::AuthFailed
                                 || state == SshLink::State::HostKeyUnknown || state == SshLink::State::HostKeyChanged
                                 || state == SshLink::State::Error;
                             const bool unreachable = state == SshLink::State::Lost && !session.sshWasUp();
                             if ((refused || unreachable) && !serialToo)
                                 QCoreApplication::exit(exitUnreachable);
                         });
        session.startSsh(settings, parser.value(sshStreamOption).toUtf8());
    }

    const int exitCode = QCoreApplication::exec();
    // Stopping is not news.
    QObject::disconnect(&session, &NodeSession::serialStateChanged, nullptr, nullptr);
    QObject::disconnect(&session, &NodeSession::sshStateChanged, nullptr, nullptr);
    session.stopSerial();
    session.stopSsh();
    session.finishReports();
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    return exitCode;
}

} // namespace kms::cli
