#include "clisupport.h"

#include "symbols/modulecatalog.h"

#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace kms::cli {

int usageError(const QString &command, const QString &message)
{
    QTextStream(stderr) << "kmodscope-cli " << command << ": " << message << "\n"
                        << "Try 'kmodscope-cli " << command << " --help'.\n";
    return exitUsage;
}

namespace {

QCommandLineOption option(QCommandLineParser &parser, const char *name, const char *help, const char *value = nullptr)
{
    QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
    if (value)
        o.setValueName(QString::fromLatin1(value));
    parser.addOption(o);
    return o;
}

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

} // namespace

LinkOptions LinkOptions::add(QCommandLineParser &parser)
{
    return {option(parser, "ssh", "the node (host or ssh config alias)", "HOST"),
            option(parser, "ssh-config", "ssh config file (default ~/.ssh/config)", "FILE"),
            option(parser, "known-hosts", "known_hosts file (default: from the ssh config)", "FILE"),
            option(parser, "accept-new", "record an unknown host key (a changed one is always refused)"),
            option(parser, "serial", "the node's serial console (a UART or pty)", "PATH"),
            option(parser, "baud", "serial baud rate (default 115200)", "N"),
            option(parser, "ko", "module .ko or a directory searched for them, for decoding; repeatable", "FILE|DIR")};
}

SshSettings LinkOptions::sshSettings(const QCommandLineParser &parser) const
{
    SshSettings s;
    s.host = parser.value(ssh);
    s.configFile = parser.value(sshConfig);
    s.knownHostsFile = parser.value(knownHosts);
    s.unknownHostKey
        = parser.isSet(acceptNew) ? SshSettings::UnknownHostKey::Accept : SshSettings::UnknownHostKey::Reject;
    return s;
}

std::optional<SerialSettings> LinkOptions::serialSettings(const QCommandLineParser &parser, QString *error) const
{
    SerialSettings s;
    s.path = parser.value(serial);
    s.baudRate = 115200;
    if (parser.isSet(baud)) {
        bool ok = false;
        const qint64 rate = parser.value(baud).toLongLong(&ok);
        if (!ok || rate <= 0 || rate > 100000000) {
            *error = QStringLiteral("bad baud rate '%1'").arg(parser.value(baud));
            return std::nullopt;
        }
        s.baudRate = int(rate);
    }
    if (!parser.isSet(serial))
        return std::nullopt;
    return s;
}

bool LinkOptions::loadModules(const QCommandLineParser &parser, ModuleCatalog &catalog, QString *error) const
{
    for (const QString &path : parser.values(ko)) {
        if (!catalog.addPath(path, error))
            return false;
    }
    return true;
}

SignalStop::SignalStop(std::function<void()> onStop)
    : m_onStop(std::move(onStop))
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0)
        return;
    m_notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(m_notifier, &QSocketNotifier::activated, m_notifier, [this] {
        char c;
        [[maybe_unused]] const ssize_t n = ::read(signalPipe[0], &c, 1);
        m_onStop();
    });
    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

SignalStop::~SignalStop()
{
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    delete m_notifier;
    for (int &fd : signalPipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

} // namespace kms::cli
