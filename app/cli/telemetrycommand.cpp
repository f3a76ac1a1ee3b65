#include "telemetrycommand.h"

#include "link/sshlink.h"
#include "node/nodesession.h"
#include "telemetry/telemetryhub.h"
#include "telemetry/telemetryrecorder.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace kms::cli {

namespace {

using namespace kms::telemetry;

constexpr int exitUsage = 2;
constexpr int exitNodeUnreachable = 3; // as watch and cycle

int usageError(const QString &message)
{
    QTextStream(stderr) << "kmodscope-cli telemetry: " << message << "\n"
                        << "Try 'kmodscope-cli telemetry --help'.\n";
    return exitUsage;
}

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

// Alarms, gaps, clock measurements and reports, one JSON object a line (--events).
class EventLog
{
public:
    bool open(const QString &path, QString *error)
    {
        m_file.setFileName(path);
        if (path == QLatin1String("-") ? m_file.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered)
                                       : m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            return true;
        }
        *error = QStringLiteral("cannot write %1: %2").arg(path, m_file.errorString());
        return false;
    }
    void write(const QJsonObject &o)
    {
        if (!m_file.isOpen())
            return;
        m_file.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        m_file.flush();
    }

private:
    QFile m_file;
};

QString ns(qint64 v)
{
    // 64-bit node times do not fit a JSON number exactly: as the decode JSON does for
    // addresses, they are strings of decimal digits.
    return QString::number(v);
}

} // namespace

int runTelemetry(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Records a node's telemetry over SSH, headless, as CSV: a header of the keys, t_ns (the node's\n"
                       "CLOCK_MONOTONIC) first, one row per sample set. Runs for --duration seconds or until\n"
                       "SIGINT/SIGTERM. Alarms (buffer fill, sync error, timestamp jumps) and source gaps are printed\n"
                       "on stderr and, with --events, written as JSON lines with kernel reports of the serial console\n"
                       "placed on the same clock."));
    parser.addHelpOption();
    const QCommandLineOption sshOption(QStringLiteral("ssh"), QStringLiteral("node (host or ssh config alias)"),
                                       QStringLiteral("HOST"));
    const QCommandLineOption sshConfigOption(QStringLiteral("ssh-config"),
                                             QStringLiteral("ssh config file (default ~/.ssh/config)"),
                                             QStringLiteral("FILE"));
    const QCommandLineOption knownHostsOption(
        QStringLiteral("known-hosts"),
        QStringLiteral("known_hosts file (default: from the ssh config, ~/.ssh/known_hosts)"), QStringLiteral("FILE"));
    const QCommandLineOption acceptNewOption(
        QStringLiteral("accept-new"), QStringLiteral("record an unknown host key (a changed one is always refused)"));
    const QCommandLineOption sourceOption(
        QStringLiteral("source"),
        QStringLiteral("stream:PATH | poll:PATH[,PATH...]@MS | regex:PATTERN; repeatable (default: stream:%1)")
            .arg(QString::fromLatin1(defaultStreamPath)),
        QStringLiteral("SPEC"));
    const QCommandLineOption csvOption(QStringLiteral("csv"), QStringLiteral("CSV output (default: stdout)"),
                                       QStringLiteral("OUT"));
    const QCommandLineOption durationOption(
        QStringLiteral("duration"), QStringLiteral("seconds to record (default: until SIGINT)"), QStringLiteral("S"));
    const QCommandLineOption recordOption(QStringLiteral("record"),
                                          QStringLiteral("also keep the compact recording (rotated at 256 MB)"),
                                          QStringLiteral("FILE"));
    const QCommandLineOption eventsOption(QStringLiteral("events"),
                                          QStringLiteral("alarms, gaps, clock offsets, reports as JSON lines"),
                                          QStringLiteral("FILE"));
    const QCommandLineOption fillOption(QStringLiteral("fill-alarm"),
                                        QStringLiteral("buffer fill alarm threshold in % (default 90)"),
                                        QStringLiteral("PCT"), QStringLiteral("90"));
    const QCommandLineOption syncOption(QStringLiteral("sync-alarm-us"),
                                        QStringLiteral("|sync error| alarm limit in us (default 100)"),
                                        QStringLiteral("US"), QStringLiteral("100"));
    const QCommandLineOption clockOption(
        QStringLiteral("clock-interval"),
        QStringLiteral("seconds between printk/CLOCK_MONOTONIC offset measurements (default 30)"), QStringLiteral("S"),
        QStringLiteral("30"));
    const QCommandLineOption serialOption(
        QStringLiteral("serial"), QStringLiteral("the node's serial console: its kernel reports go into --events too"),
        QStringLiteral("PATH"));
    const QCommandLineOption baudOption(QStringLiteral("baud"), QStringLiteral("baud rate (default 115200)"),
                                        QStringLiteral("N"), QStringLiteral("115200"));
    parser.addOptions({sshOption, sshConfigOption, knownHostsOption, acceptNewOption, sourceOption, csvOption,
                       durationOption, recordOption, eventsOption, fillOption, syncOption, clockOption, serialOption,
                       baudOption});

    QStringList argv = arguments;
    argv.prepend(QStringLiteral("kmodscope-cli telemetry"));
    if (!parser.parse(argv))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    if (!parser.isSet(sshOption))
        return usageError(QStringLiteral("give the node: --ssh HOST"));

    QList<TelemetrySourceSpec> specs;
    for (const QString &text : parser.values(sourceOption)) {
        QString error;
        const auto spec = TelemetrySourceSpec::parse(text, &error);
        if (!spec)
            return usageError(error);
        specs.append(*spec);
    }
    if (specs.isEmpty())
        specs.append(*TelemetrySourceSpec::parse(QStringLiteral("stream:")));

    bool ok = false;
    double duration = -1;
    if (parser.isSet(durationOption)) {
        duration = parser.value(durationOption).toDouble(&ok);
        if (!ok || duration <= 0 || duration > 1e7)
            return usageError(QStringLiteral("bad duration '%1'").arg(parser.value(durationOption)));
    }
    AlarmSettings alarms;
    alarms.fillThresholdPct = parser.value(fillOption).toDouble(&ok);
    if (!ok || alarms.fillThresholdPct <= 0 || alarms.fillThresholdPct > 100)
        return usageError(QStringLiteral("bad --fill-alarm '%1' (1..100)").arg(parser.value(fillOption)));
    alarms.syncErrorLimitNs = parser.value(syncOption).toDouble(&ok) * 1e3;
    if (!ok || alarms.syncErrorLimitNs < 0)
        return usageError(QStringLiteral("bad --sync-alarm-us '%1'").arg(parser.value(syncOption)));
    const double clockInterval = parser.value(clockOption).toDouble(&ok);
    if (!ok || clockInterval < 1)
        return usageError(QStringLiteral("bad --clock-interval '%1' (at least 1 s)").arg(parser.value(clockOption)));
    const int baud = parser.value(baudOption).toInt(&ok);
    if (!ok || baud <= 0)
        return usageError(QStringLiteral("bad baud rate '%1'").arg(parser.value(baudOption)));

    // The CSV is exported from the recording at the end: its header then holds every key seen.
    QTemporaryDir scratch;
    const QString recording
        = parser.isSet(recordOption) ? parser.value(recordOption) : scratch.filePath(QStringLiteral("telemetry"));
    if (!parser.isSet(recordOption) && !scratch.isValid())
        return usageError(QStringLiteral("no temporary directory for the recording"));
    QFile csv;
    const QString csvPath = parser.value(csvOption);
    if (csvPath.isEmpty() || csvPath == QLatin1String("-")) {
        csv.open(stdout, QIODevice::WriteOnly);
    } else {
        csv.setFileName(csvPath);
        if (!csv.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return usageError(QStringLiteral("cannot write %1: %2").arg(csvPath, csv.errorString()));
    }
    EventLog events;
    QString error;
    if (parser.isSet(eventsOption) && !events.open(parser.value(eventsOption), &error))
        return usageError(error);
    if (parser.isSet(recordOption))
        QFile::remove(recording); // a fresh recording (rotated files of an older one stay apart)

    TelemetryHub hub;
    hub.setSources(specs);
    hub.setAlarmSettings(alarms);
    hub.setClockIntervalMs(int(clockInterval * 1000));
    if (!hub.startRecording(recording, &error))
        return usageError(error);

    QTextStream err(stderr);
    const auto say = [&err](const QString &text) {
        err << "kmodscope-cli telemetry: " << text << '\n';
        err.flush();
    };
    qint64 samples = 0;
    QObject::connect(&hub, &TelemetryHub::samples, &hub,
                     [&samples](const QList<TelemetrySet> &sets) { samples += sets.size(); });
    QObject::connect(&hub, &TelemetryHub::status, &hub, say);
    QObject::connect(&hub, &TelemetryHub::alarm, &hub, [&](const TelemetryAlarm &a) {
        say(a.text + QStringLiteral(" (t_ns %1)").arg(a.tNs));
        events.write({{"type", "alarm"},
                      {"t_ns", ns(a.tNs)},
                      {"kind", a.kind},
                      {"key", a.key},
                      {"value", a.value},
                      {"text", a.text}});
    });
    QObject::connect(&hub, &TelemetryHub::gap, &hub, [&](const TelemetryGap &g) {
        say(QStringLiteral("gap in %1 after t_ns %2: %3").arg(g.source).arg(g.tNs).arg(g.reason));
        events.write({{"type", "gap"}, {"t_ns", ns(g.tNs)}, {"source", g.source}, {"reason", g.reason}});
    });
    QObject::connect(&hub, &TelemetryHub::clockMeasured, &hub, [&](const QString &boot, const ClockMeasurement &m) {
        events.write({{"type", "clock"},
                      {"boot_id", boot},
                      {"printk_ns", ns(m.printkNs)},
                      {"offset_ns", ns(m.offsetNs)},
                      {"uncertainty_ns", ns(m.uncertaintyNs)}});
    });
    QObject::connect(&hub, &TelemetryHub::clockFailed, &hub, [&](const QString &why) {
        say(QStringLiteral("printk clock offset not measured: %1").arg(why));
        events.write({{"type", "clock_error"}, {"error", why}});
    });

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0)
        return usageError(QStringLiteral("cannot set up signal handling"));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &hub, [] { QCoreApplication::exit(0); });
    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    SshSettings settings;
    settings.host = parser.value(sshOption);
    settings.configFile = parser.value(sshConfigOption);
    settings.knownHostsFile = parser.value(knownHostsOption);
    settings.unknownHostKey
        = parser.isSet(acceptNewOption) ? SshSettings::UnknownHostKey::Accept : SshSettings::UnknownHostKey::Reject;
    // The node session: the SSH link (its kernel log feeds regex sources), the serial console
    // if given, and report detection on both; the hub runs through it.
    NodeSession session;
    hub.attach(&session);
    bool sshWasUp = false;
    QObject::connect(&session, &NodeSession::sshStateChanged, &hub, [&](SshLink::State state, const QString &detail) {
        say(QStringLiteral("ssh %1: state %2%3")
                .arg(settings.host, QString::fromLatin1(QMetaEnum::fromType<SshLink::State>().valueToKey(int(state))),
                     detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail)));
        // Refused, or never reached at all: nothing to record. Once the node was up, a lost
        // link is followed (the node may be rebooting after a panic).
        if (state == SshLink::State::Up)
            sshWasUp = true;
        if (state == SshLink::State::AuthFailed || state == SshLink::State::HostKeyUnknown
            || state == SshLink::State::HostKeyChanged || state == SshLink::State::Error
            || (state == SshLink::State::Lost && !sshWasUp))
            QCoreApplication::exit(exitNodeUnreachable);
    });
    // Kernel reports (a copy another source printed is one report), placed on the node's
    // CLOCK_MONOTONIC when they are detected: the printk offset of the boot they come from.
    QObject::connect(&session, &NodeSession::reportDetected, &hub, [&](int, const KernelReport &r) {
        QJsonObject o{{"type", "report"}, {"source", r.source}, {"title", r.title}};
        if (r.timestamp) {
            o.insert(QStringLiteral("printk_s"), *r.timestamp);
            if (const auto e = hub.printkEstimate(*r.timestamp)) {
                o.insert(QStringLiteral("t_ns"), ns(e->printkNs + e->offsetNs));
                o.insert(QStringLiteral("t_uncertainty_ns"), ns(e->uncertaintyNs));
            }
        }
        say(QStringLiteral("kernel report on %1: %2").arg(r.source, r.title));
        events.write(o);
    });
    if (parser.isSet(serialOption)) {
        SerialSettings ss;
        ss.path = parser.value(serialOption);
        ss.baudRate = baud;
        session.startSerial(ss);
    }
    session.startSsh(settings);
    if (duration > 0)
        QTimer::singleShot(int(duration * 1000), &hub, [] { QCoreApplication::exit(0); });
    int status = QCoreApplication::exec();

    session.finishReports();
    hub.stop();
    hub.stopRecording();
    const TelemetryParseStats stats = hub.stats();
    QJsonObject statsEvent{{"type", "stats"}, {"samples", double(samples)}};
    for (auto [source, s] : hub.statsBySource().asKeyValueRange())
        statsEvent.insert(source, s.summary());
    events.write(statsEvent);
    say(QStringLiteral("%1 sample sets; %2").arg(samples).arg(stats.summary()));
    session.stopSerial();
    session.stopSsh();
    if (!exportTelemetryCsv(recording, &csv, &error)) {
        say(QStringLiteral("CSV not written: %1").arg(error));
        if (status == 0)
            status = 1;
    }
    csv.close();
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    return status;
}

} // namespace kms::cli
