#include "cyclecommand.h"

#include "cycle/cyclerunner.h"
#include "link/shellquote.h"
#include "node/nodesession.h"
#include "report/reportformatter.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"
#include "telemetry/telemetrysource.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QSaveFile>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace kms::cli {

namespace {

constexpr int exitPass = 0;
constexpr int exitNotPassed = 1;
constexpr int exitUsage = 2;
constexpr int exitUnreachable = 3;

int usageError(const QString &message)
{
    QTextStream(stderr) << "kmodscope-cli cycle: " << message << "\n"
                        << "Try 'kmodscope-cli cycle --help'.\n";
    return exitUsage;
}

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

QString stepsText(const CycleResult &c)
{
    QStringList parts;
    for (const char *step : {"load", "unload", "total", "round_trip"}) {
        const auto it = c.stepMs.constFind(QLatin1String(step));
        if (it != c.stepMs.cend())
            parts << QStringLiteral("%1 %2 ms").arg(QLatin1String(step)).arg(*it, 0, 'f', 1);
    }
    if (c.telemetry && c.telemetry->opened) {
        parts << QStringLiteral("telemetry %1 samples").arg(c.telemetry->samples);
        if (c.telemetry->maxFillPct >= 0)
            parts.last() += QStringLiteral(", fill <= %1 %").arg(c.telemetry->maxFillPct, 0, 'f', 0);
    }
    if (c.slabDeltaKb)
        parts << QStringLiteral("slab %1%2 kB")
                     .arg(*c.slabDeltaKb >= 0 ? QStringLiteral("+") : QString())
                     .arg(*c.slabDeltaKb);
    return parts.join(QStringLiteral(", "));
}

bool positiveInt(const QString &text, int *value, bool allowZero = false)
{
    bool ok = false;
    *value = text.toInt(&ok);
    return ok && (*value > 0 || (allowZero && *value == 0));
}

} // namespace

int runCycle(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Loads and unloads a module on a node again and again (one SSH round trip per cycle) and\n"
                       "gives each cycle a verdict: crash > stuck > fail > leak > warning > pass. Kernel reports\n"
                       "from the serial console and dmesg are decoded with the sections of the load that crashed.\n"
                       "Exit status: 0 every cycle passed, 1 a cycle did not, 2 bad usage or input, 3 the node\n"
                       "could not be reached or its host key was refused."));
    parser.addHelpOption();
    const auto opt = [&parser](const char *name, const char *help, const char *value = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
        if (value)
            o.setValueName(QString::fromLatin1(value));
        parser.addOption(o);
        return o;
    };
    const auto ssh = opt("ssh", "the node (host or ssh config alias)", "HOST");
    const auto sshConfig = opt("ssh-config", "ssh config file (default ~/.ssh/config)", "FILE");
    const auto knownHosts = opt("known-hosts", "known_hosts file (default: from the ssh config)", "FILE");
    const auto acceptNew = opt("accept-new", "record an unknown host key (a changed one is always refused)");
    const auto module = opt("module", "the module to cycle", "NAME");
    const auto params = opt("params", "module parameters, e.g. \"fault=none rate=1000\"", "PARAMS");
    const auto insmod = opt("insmod", "load with insmod PATH (on the node) and unload with rmmod", "PATH");
    const auto count = opt("count", "cycles to run (default 10; with --until-failure: no limit)", "N");
    const auto untilFailure = opt("until-failure", "stop at the first cycle that does not pass");
    const auto continueOnCrash = opt("continue-on-crash", "wait for the node after a crash and go on");
    const auto settle = opt("settle", "time the module stays loaded before the checks (ms)", "MS");
    const auto delay = opt("delay", "time between cycles (ms)", "MS");
    const auto returnTimeout = opt("return-timeout", "wait this long for the node after a crash (s, default 120)", "S");
    const auto serial = opt("serial", "the node's serial console (a UART or pty)", "PATH");
    const auto baud = opt("baud", "serial baud rate (default 115200)", "N");
    const auto ko = opt("ko", "module .ko or a directory searched for them, for decoding; repeatable", "FILE|DIR");
    const auto json = opt("json", "write the run report as JSON to OUT (- for stdout)", "OUT");
    const auto spoolDir = opt("spool-dir",
                              "keep each finished cycle's JSON line in DIR, after the run too (default: the "
                              "user's cache directory, removed once the report is written)",
                              "DIR");
    const auto sudo = opt("sudo", "run the node-side commands with sudo -n (sections and notes are root-only)");
    const auto pre = opt("pre", "shell command on the node before each load", "CMD");
    const auto post = opt("post", "shell command on the node after each unload", "CMD");
    const auto dependents = opt("dependents", "modules unloaded before NAME, in order (comma-separated)", "A,B");
    const auto errorRegex = opt("error-regex", "console lines matching it make a cycle a warning", "RE");
    const auto leave = opt("leave", "module state after a stop or error: unloaded (default) or loaded", "STATE");
    const auto noLeakCheck = opt("no-leak-check", "do not read the slab allocation traces");
    const auto commandTimeout = opt("command-timeout", "a cycle's time limit on the node (s, default 30)", "S");
    const auto telemetryOption
        = opt("telemetry",
              "read this telemetry stream on the node during each settle, closed before the unload "
              "(PATH optional: prudaq's stream); no sample or a fill over the limit is a warning",
              "[PATH]");
    const auto fillLimit
        = opt("fill-limit", "with --telemetry: a ring fill at or over PCT is a warning (default 90)", "PCT");

    // --telemetry takes an optional value: a bare one is prudaq's stream.
    QStringList argv;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        argv << arguments[i];
        if (arguments[i] == QLatin1String("--telemetry")
            && (i + 1 == arguments.size() || arguments[i + 1].startsWith(QLatin1Char('-'))))
            argv << QString::fromLatin1(telemetry::defaultStreamPath);
    }
    argv.prepend(QStringLiteral("kmodscope-cli cycle"));
    if (!parser.parse(argv))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    if (!parser.isSet(ssh))
        return usageError(QStringLiteral("--ssh HOST is required"));
    if (!parser.isSet(module))
        return usageError(QStringLiteral("--module NAME is required"));

    CycleRunConfig config;
    config.module = parser.value(module);
    config.params = QProcess::splitCommand(parser.value(params));
    config.insmodPath = parser.value(insmod);
    config.untilFailure = parser.isSet(untilFailure);
    config.count = config.untilFailure ? 0 : 10;
    if (parser.isSet(count) && !positiveInt(parser.value(count), &config.count))
        return usageError(QStringLiteral("bad --count '%1'").arg(parser.value(count)));
    config.stopOnCrash = !parser.isSet(continueOnCrash);
    if (parser.isSet(settle) && !positiveInt(parser.value(settle), &config.settleMs, true))
        return usageError(QStringLiteral("bad --settle '%1'").arg(parser.value(settle)));
    if (parser.isSet(delay) && !positiveInt(parser.value(delay), &config.delayMs, true))
        return usageError(QStringLiteral("bad --delay '%1'").arg(parser.value(delay)));
    if (parser.isSet(returnTimeout) && !positiveInt(parser.value(returnTimeout), &config.returnTimeoutS))
        return usageError(QStringLiteral("bad --return-timeout '%1'").arg(parser.value(returnTimeout)));
    int seconds = 0;
    if (parser.isSet(commandTimeout)) {
        if (!positiveInt(parser.value(commandTimeout), &seconds))
            return usageError(QStringLiteral("bad --command-timeout '%1'").arg(parser.value(commandTimeout)));
        config.commandTimeoutMs = seconds * 1000;
    }
    config.useSudo = parser.isSet(sudo);
    config.preCommand = parser.value(pre);
    config.postCommand = parser.value(post);
    if (parser.isSet(dependents))
        config.dependents = parser.value(dependents).split(QLatin1Char(','), Qt::SkipEmptyParts);
    config.errorPattern = parser.value(errorRegex);
    if (parser.isSet(noLeakCheck))
        config.leakCheck = CycleRunConfig::LeakCheck::Off;
    if (parser.isSet(leave)) {
        if (parser.value(leave) == QLatin1String("loaded"))
            config.finalState = CycleRunConfig::FinalState::Loaded;
        else if (parser.value(leave) != QLatin1String("unloaded"))
            return usageError(QStringLiteral("--leave takes 'loaded' or 'unloaded'"));
    }
    if (parser.isSet(telemetryOption)) {
        QString why;
        const auto spec = telemetry::TelemetrySourceSpec::parse(parser.value(telemetryOption), &why);
        if (!spec)
            return usageError(QStringLiteral("bad --telemetry: %1").arg(why));
        if (spec->kind != telemetry::TelemetrySourceSpec::Kind::Stream)
            return usageError(QStringLiteral("--telemetry takes a stream file (PATH or stream:PATH)"));
        config.telemetryPath = spec->path;
    }
    if (parser.isSet(fillLimit)) {
        bool ok = false;
        config.telemetryFillLimitPct = parser.value(fillLimit).toDouble(&ok);
        if (!ok || !parser.isSet(telemetryOption))
            return usageError(ok ? QStringLiteral("--fill-limit needs --telemetry")
                                 : QStringLiteral("bad --fill-limit '%1'").arg(parser.value(fillLimit)));
    }
    int baudRate = 115200;
    if (parser.isSet(baud) && !positiveInt(parser.value(baud), &baudRate))
        return usageError(QStringLiteral("bad baud rate '%1'").arg(parser.value(baud)));
    if (const QString why = config.validate(); !why.isEmpty())
        return usageError(why);

    QString error;
    ModuleCatalog catalog;
    for (const QString &path : parser.values(ko)) {
        if (!catalog.addPath(path, &error))
            return usageError(error);
    }
    const QString jsonPath = parser.value(json);
    QFile jsonOut;
    QSaveFile jsonFile;
    if (!jsonPath.isEmpty() && jsonPath != QLatin1String("-")) {
        jsonFile.setFileName(jsonPath);
        if (!jsonFile.open(QIODevice::WriteOnly))
            return usageError(QStringLiteral("cannot write '%1': %2").arg(jsonPath, jsonFile.errorString()));
    }
    Symbolizer symbolizer(catalog);

    SshSettings sshSettings;
    sshSettings.host = parser.value(ssh);
    sshSettings.configFile = parser.value(sshConfig);
    sshSettings.knownHostsFile = parser.value(knownHosts);
    sshSettings.unknownHostKey
        = parser.isSet(acceptNew) ? SshSettings::UnknownHostKey::Accept : SshSettings::UnknownHostKey::Reject;
    // One node session (links, kernel-log stream, detection, pairing) as the GUI and `watch`
    // have; the runner drives its SSH link and reads its consoles.
    NodeSession session;
    CycleRunner runner;
    // Also without --ko: a report's fault explanation (the access, the kind of address, an
    // earlier load's sections) needs no module file.
    runner.setSymbolizer(&symbolizer);
    runner.follow(&session);
    if (parser.isSet(spoolDir))
        runner.setSpoolDir(parser.value(spoolDir), true);
    if (parser.isSet(serial)) {
        SerialSettings s;
        s.path = parser.value(serial);
        s.baudRate = baudRate;
        session.startSerial(s);
    }
    session.startSsh(sshSettings);

    QTextStream out(stdout);
    QTextStream err(stderr);
    const bool jsonToStdout = jsonPath == QLatin1String("-");
    QTextStream &human = jsonToStdout ? err : out;
    QObject::connect(&runner, &CycleRunner::message, &runner,
                     [&err](const QString &text) { err << "kmodscope-cli cycle: " << text << Qt::endl; });
    QObject::connect(&runner, &CycleRunner::cycleFinished, &runner, [&human](const CycleResult &c) {
        human << "cycle " << c.n << ": " << toString(c.verdict) << "  (" << stepsText(c) << ")\n";
        for (const Finding &f : c.findings) {
            if (f.verdict != Verdict::Pass)
                human << "    " << toString(f.verdict) << ": " << f.message << '\n';
        }
        human.flush();
    });
    QObject::connect(&runner, &CycleRunner::crashDetected, &runner, [&err](int n, const QString &what, qint64 lineNs) {
        err << "kmodscope-cli cycle: cycle " << n << " crashed";
        if (lineNs > 0)
            err << " (" << QString::number((hostTimeNowNs() - lineNs) / 1e6, 'f', 2) << " ms after its line arrived)";
        err << ": " << what << Qt::endl;
    });
    QObject::connect(&runner, &CycleRunner::runFinished, &runner, [] { QCoreApplication::exit(0); });

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0)
        return usageError(QStringLiteral("cannot set up signal handling"));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &runner, [&runner, &err] {
        char c;
        [[maybe_unused]] const ssize_t n = ::read(signalPipe[0], &c, 1);
        err << "kmodscope-cli cycle: stopping" << Qt::endl;
        runner.stop();
    });
    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    if (!runner.start(config, &error))
        return usageError(error);
    QCoreApplication::exec();
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    session.stopSerial();
    session.stopSsh();

    // The decoded reports of crashed cycles, then the summary.
    for (const CycleResult &c : runner.cycles()) {
        for (const KernelReport &r : c.reports) {
            human << "\n== cycle " << c.n << ": ";
            human << formatReport(r);
        }
        for (const LeakSite &l : c.leaks) {
            human << "\n== cycle " << c.n << ": leak: " << l.count << " x " << l.size << " bytes (" << l.cache
                  << ") at "
                  << (l.function.isEmpty() ? QStringLiteral("%1+0x%2").arg(l.section).arg(l.offset, 0, 16) : l.function)
                  << (l.line > 0 ? QStringLiteral(" %1:%2").arg(l.file).arg(l.line) : QString()) << '\n';
        }
    }
    const RunTotals totals = runner.totals();
    human << "\n" << totals.cycles << " cycles:";
    for (Verdict v : {Verdict::Pass, Verdict::Warning, Verdict::Leak, Verdict::Fail, Verdict::Stuck, Verdict::Crash}) {
        if (totals.byVerdict.value(v))
            human << ' ' << totals.byVerdict.value(v) << ' ' << toString(v);
    }
    human << " (" << toString(runner.runEnd()) << ": " << runner.runEndMessage() << ")\n";
    for (const Finding &f : runner.runFindings())
        human << toString(f.verdict) << ": " << f.message << '\n';
    if (!runner.kmemleakNote().isEmpty())
        human << runner.kmemleakNote() << '\n';
    human.flush();

    // Streamed from the run's spool, a cycle at a time. A report that cannot be written keeps
    // the spool (every cycle's JSON line) where it is, and says so.
    QString jsonError;
    if (jsonToStdout) {
        jsonOut.open(stdout, QIODevice::WriteOnly);
        if (!runner.writeRunReport(&jsonOut, &jsonError) || !jsonOut.flush())
            jsonError = jsonError.isEmpty() ? jsonOut.errorString() : jsonError;
    } else if (jsonFile.isOpen()) {
        if (!runner.writeRunReport(&jsonFile, &jsonError))
            jsonFile.cancelWriting();
        if (!jsonFile.commit() && jsonError.isEmpty())
            jsonError = jsonFile.errorString();
    }
    if (!jsonError.isEmpty()) {
        runner.keepSpool();
        err << "kmodscope-cli cycle: cannot write " << (jsonToStdout ? QStringLiteral("the report") : jsonPath) << ": "
            << jsonError << "; every cycle's JSON is kept in " << runner.spoolPath() << Qt::endl;
    }

    switch (runner.runEnd()) {
    case RunEnd::Refused:
        err << "kmodscope-cli cycle: " << runner.runEndMessage() << Qt::endl;
        return exitUsage;
    case RunEnd::Unreachable:
        err << "kmodscope-cli cycle: " << runner.runEndMessage() << Qt::endl;
        return exitUnreachable;
    default:
        break;
    }
    if (totals.cycles == 0 || totals.byVerdict.value(Verdict::Pass) != totals.cycles || !runner.runFindings().isEmpty())
        return exitNotPassed;
    return exitPass;
}

} // namespace kms::cli
