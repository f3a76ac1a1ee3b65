#include "watchcommand.h"

#include "link/seriallink.h"
#include "link/sshlink.h"
#include "log/dmesgreplay.h"
#include "log/sessionlog.h"
#include "report/duplicatereports.h"
#include "report/reportdetector.h"
#include "report/reportformatter.h"
#include "report/reportjson.h"
#include "symbols/modulecatalog.h"
#include "symbols/pathmap.h"
#include "symbols/symbolizer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QSocketNotifier>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace kms::cli {

namespace {

constexpr int exitUsage = 2;
constexpr int exitLinkRefused = 1;
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

class Watch : public QObject
{
public:
    Watch(Symbolizer &symbolizer, bool json)
        : m_symbolizer(symbolizer)
        , m_json(json)
    {
        m_out.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered);
        m_clock.start();
    }

    struct Source {
        std::unique_ptr<ReportDetector> detector;
        QTimer idle;
        DmesgReplayFilter replay;
    };

    Source &addSource(const QString &name)
    {
        auto source = std::make_unique<Source>();
        source->detector = std::make_unique<ReportDetector>([this](KernelReport &&r) { print(std::move(r)); });
        source->detector->setSource(name);
        source->idle.setSingleShot(true);
        source->idle.setInterval(idleFlushMs);
        ReportDetector *detector = source->detector.get();
        connect(&source->idle, &QTimer::timeout, this, [detector] { detector->flushIdle(); });
        m_sources.push_back(std::move(source));
        return *m_sources.back();
    }

    void feed(Source &source, const QList<LogLine> &lines, bool replayFilter)
    {
        if (m_log.isOpen())
            m_log.appendLines(lines);
        bool fed = false;
        for (const LogLine &line : replayFilter ? source.replay.filter(lines) : lines) {
            if (line.flags & (LogLine::Event | LogLine::Sent))
                continue;
            source.detector->feedLine(line.text);
            fed = true;
        }
        if (fed)
            source.idle.start();
    }

    void finish()
    {
        for (auto &source : m_sources)
            source->detector->finish();
        m_log.close();
    }

    void status(const QString &text) { QTextStream(stderr) << "kmodscope-cli watch: " << text << '\n'; }

    SessionLog &log() { return m_log; }

private:
    void print(KernelReport &&report)
    {
        // Serial and SSH both carry each report: print it once.
        if (m_duplicates.match(++m_lastId, report, m_clock.elapsed()) >= 0)
            return;
        m_symbolizer.resolve(report);
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

    Symbolizer &m_symbolizer;
    bool m_json;
    QFile m_out;
    SessionLog m_log;
    std::vector<std::unique_ptr<Source>> m_sources;
    DuplicateReports m_duplicates;
    QElapsedTimer m_clock;
    int m_lastId = 0;
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
    const QCommandLineOption logOption(QStringLiteral("log"), QStringLiteral("session log: every line of every source"),
                                       QStringLiteral("FILE"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("one REPORT JSON object per line"));
    parser.addOptions({serialOption, baudOption, rawOption, sshOption, sshConfigOption, knownHostsOption,
                       sshStreamOption, acceptNewOption, koOption, logOption, jsonOption});

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
    ModuleCatalog catalog;
    for (const QString &path : parser.values(koOption)) {
        if (!catalog.addPath(path, &error))
            return usageError(error);
    }
    Symbolizer symbolizer(catalog, PathMap());
    Watch watch(symbolizer, parser.isSet(jsonOption));
    if (parser.isSet(logOption) && !watch.log().open(parser.value(logOption), &error))
        return usageError(error);

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0)
        return usageError(QStringLiteral("cannot set up signal handling"));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &watch, [] { QCoreApplication::exit(0); });
    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    std::unique_ptr<SerialLink> serial;
    if (parser.isSet(serialOption)) {
        SerialSettings settings;
        settings.path = parser.value(serialOption);
        settings.baudRate = baud;
        settings.rawCapturePath = parser.value(rawOption);
        serial = std::make_unique<SerialLink>(settings);
        Watch::Source &source = watch.addSource(QStringLiteral("serial"));
        QObject::connect(serial.get(), &SerialLink::linesReceived, &watch,
                         [&watch, &source](const QList<LogLine> &lines) { watch.feed(source, lines, false); });
        QObject::connect(serial.get(), &SerialLink::stateChanged, &watch,
                         [&watch, path = settings.path](SerialLink::State state, const QString &detail) {
                             watch.status(QStringLiteral("serial %1: %2%3")
                                              .arg(path, serialStateText(state),
                                                   detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail)));
                         });
        serial->start();
    }

    std::unique_ptr<SshLink> ssh;
    if (parser.isSet(sshOption)) {
        SshSettings settings;
        settings.host = parser.value(sshOption);
        settings.configFile = parser.value(sshConfigOption);
        settings.knownHostsFile = parser.value(knownHostsOption);
        // Headless: nobody to ask, and no secret is ever stored.
        settings.unknownHostKey
            = parser.isSet(acceptNewOption) ? SshSettings::UnknownHostKey::Accept : SshSettings::UnknownHostKey::Reject;
        ssh = std::make_unique<SshLink>(settings);
        Watch::Source &source = watch.addSource(QStringLiteral("ssh"));
        QObject::connect(ssh.get(), &SshLink::streamLines, &watch,
                         [&watch, &source](quint64, const QList<LogLine> &lines) { watch.feed(source, lines, true); });
        const bool serialToo = serial != nullptr;
        QObject::connect(ssh.get(), &SshLink::stateChanged, &watch,
                         [&watch, host = settings.host, serialToo](SshLink::State state, const QString &detail) {
                             watch.status(QStringLiteral("ssh %1: %2%3")
                                              .arg(host, sshStateText(state),
                                                   detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail)));
                             const bool final = state == SshLink::State::AuthFailed
                                 || state == SshLink::State::HostKeyUnknown || state == SshLink::State::HostKeyChanged
                                 || state == SshLink::State::Error;
                             if (final && !serialToo)
                                 QCoreApplication::exit(exitLinkRefused);
                         });
        const QByteArray stream
            = parser.isSet(sshStreamOption) ? parser.value(sshStreamOption).toUtf8() : defaultDmesgStreamCommand();
        ssh->startShellStream(stream, QStringLiteral("ssh-dmesg"));
        ssh->start();
    }

    const int status = QCoreApplication::exec();
    serial.reset();
    ssh.reset();
    watch.finish();
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    return status;
}

} // namespace kms::cli
