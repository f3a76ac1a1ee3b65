#include "huntcommand.h"

#include "clisupport.h"

#include "cycle/cyclerunner.h"
#include "hunt/hunt.h"
#include "hunt/huntjson.h"
#include "hunt/huntsetup.h"
#include "hunt/runnerbackend.h"
#include "node/nodesession.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"
#include "telemetry/telemetrysource.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTextStream>

namespace kms::cli {

namespace {

int usageError(const QString &message)
{
    return cli::usageError(QStringLiteral("hunt"), message);
}

QString conditionsText(const hunt::CellResult &cell)
{
    QStringList parts;
    if (!cell.build.isEmpty())
        parts << QStringLiteral("build %1").arg(cell.build.toUpper());
    parts << QStringLiteral("settle %1 ms").arg(cell.conditions.settleMs);
    if (!cell.conditions.params.isEmpty())
        parts << hunt::formatModuleParams(cell.conditions.params);
    parts << QStringLiteral("load %1").arg(hunt::loadName(cell.conditions.load));
    if (cell.conditions.telemetry)
        parts << QStringLiteral("reader on");
    return parts.join(QStringLiteral(", "));
}

QString cellLine(const hunt::CellResult &cell)
{
    const hunt::Interval ci = cell.interval();
    QString text = QStringLiteral("%1/%2 crashed").arg(cell.crashes).arg(cell.cycles);
    if (cell.cycles > 0) {
        if (cell.crashes == 0)
            text += QStringLiteral(", rate below %1 at 95%").arg(hunt::formatPercent(ci.high));
        else
            text
                += QStringLiteral(", rate %1 (95% CI %2-%3), first at cycle %4")
                       .arg(hunt::formatPercent(cell.rate()), hunt::formatPercent(ci.low), hunt::formatPercent(ci.high))
                       .arg(*cell.firstCrashCycle);
    }
    text += QStringLiteral(", %1 s").arg(cell.wallMs / 1000.0, 0, 'f', 1);
    return text;
}

bool writeJson(const QString &path, const QJsonObject &object, QString *error)
{
    const QByteArray data = QJsonDocument(object).toJson(QJsonDocument::Indented);
    if (path == QLatin1String("-")) {
        QFile out;
        out.open(stdout, QIODevice::WriteOnly);
        out.write(data);
        out.flush();
        return true;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

bool positive(const QString &text, qint64 *value, bool allowZero = false)
{
    bool ok = false;
    *value = text.toLongLong(&ok);
    return ok && (*value > 0 || (allowZero && *value == 0));
}

} // namespace

int runHunt(const QStringList &arguments)
{
    // --compare and --compare-cmd take two values, which QCommandLineParser cannot: take them out
    // first.
    QStringList args = arguments;
    QStringList compare;
    hunt::CompareKind compareKind = hunt::CompareKind::Ko;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const bool ko = args[i] == QLatin1String("--compare");
        if (!ko && args[i] != QLatin1String("--compare-cmd"))
            continue;
        if (!compare.isEmpty())
            return usageError(QStringLiteral("give one --compare or --compare-cmd"));
        if (i + 2 >= args.size() || args[i + 1].startsWith(QLatin1String("--"))
            || args[i + 2].startsWith(QLatin1String("--")))
            return usageError(ko ? QStringLiteral("--compare takes two module files: --compare KO_A KO_B")
                                 : QStringLiteral("--compare-cmd takes two install commands: --compare-cmd "
                                                  "\"CMD_A\" \"CMD_B\""));
        compare << args[i + 1] << args[i + 2];
        compareKind = ko ? hunt::CompareKind::Ko : hunt::CompareKind::Command;
        args.remove(i, 3);
        --i;
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs reload cycles over a grid of conditions (settle time, module parameters, background load)\n"
        "to find where a race reproduces fastest, with each cell's crash rate and its 95% interval, and\n"
        "names the best reproducer. --compare runs the same hunt on two builds and tests the difference.\n"
        "Exit status: 0 every cycle passed, 1 a cycle did not, 2 bad usage or input, 3 the node could not\n"
        "be reached or its host key was refused."));
    parser.addHelpOption();
    const auto opt = [&parser](const char *name, const char *help, const char *value = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
        if (value)
            o.setValueName(QString::fromLatin1(value));
        parser.addOption(o);
        return o;
    };
    const cli::LinkOptions link = cli::LinkOptions::add(parser);
    const auto module = opt("module", "the module to cycle", "NAME");
    const auto params = opt("params", "module parameters every cell has, e.g. \"fault=unload_race\"", "PARAMS");
    const auto vary = opt("vary",
                          "a condition and its values; repeatable: settle=0,10,100 (ms), param:NAME=v1,v2, "
                          "load=none,cpu,irq, reader=off,on",
                          "SPEC");
    const auto load = opt("load", "background load on the node: none, cpu, irq (comma-separated: varied)", "LIST");
    const auto reader = opt("reader",
                            "a telemetry reader open during the settle: off, on (off,on: varied; also "
                            "--vary reader=off,on)",
                            "LIST");
    const auto readerPath = opt("reader-path", "the stream the reader opens (default prudaq's telemetry)", "PATH");
    const auto cycles = opt("cycles", "cycles per cell at most (default 100)", "N");
    const auto crashes = opt("crashes", "crashes per cell at most (default 10; 0: no limit)", "K");
    const auto budget
        = opt("budget", "stop after this many cycles in all, or this long (90s, 30m, 2h)", "CYCLES|DURATION");
    const auto order = opt("order", "adaptive (default: the most promising cell first) or grid (in order)", "ORDER");
    const auto seed = opt("seed", "seed of the adaptive order (default 1)", "N");
    const auto batch = opt("batch", "cycles per turn of a cell (default 5)", "N");
    const auto insmod = opt("insmod", "load with insmod PATH (on the node) instead of modprobe", "PATH");
    const auto json = opt("json", "write the hunt as JSON to OUT (- for stdout), rewritten after each turn", "OUT");
    const auto sudo = opt("sudo", "run the node-side commands with sudo -n");
    const auto returnTimeout = opt("return-timeout", "wait this long for the node after a crash (s, default 120)", "S");
    parser.addPositionalArgument(QStringLiteral("--compare KO_A KO_B"),
                                 QStringLiteral("the same hunt on two local builds (before, after), uploaded to "
                                                "the node and loaded with insmod in turn"));
    parser.addPositionalArgument(QStringLiteral("--compare-cmd CMD_A CMD_B"),
                                 QStringLiteral("the same hunt on two builds that these commands install on the "
                                                "node (run with sh -c before a side's cells; then modprobe, or "
                                                "--insmod PATH)"));

    QStringList argv = args;
    argv.prepend(QStringLiteral("kmodscope-cli hunt"));
    if (!parser.parse(argv))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    if (!parser.isSet(link.ssh))
        return usageError(QStringLiteral("--ssh HOST is required"));
    if (!parser.isSet(module))
        return usageError(QStringLiteral("--module NAME is required"));
    if (!compare.isEmpty() && compareKind == hunt::CompareKind::Ko && parser.isSet(insmod))
        return usageError(QStringLiteral("--compare loads its own two files: --insmod does not apply"));

    QString error;
    if (parser.isSet(load) && parser.value(load).trimmed().isEmpty())
        return usageError(QStringLiteral("--load takes none, cpu or irq (comma-separated)"));
    if (parser.isSet(reader) && parser.value(reader).trimmed().isEmpty())
        return usageError(QStringLiteral("--reader takes off, on or off,on"));
    const auto setup = hunt::parseGridSetup(parser.values(vary), parser.value(load), parser.value(reader),
                                            parser.value(params), &error);
    if (!setup)
        return usageError(error);

    hunt::HuntConfig config;
    config.conditions = setup->cells();
    if (parser.isSet(cycles) && !positive(parser.value(cycles), &config.limits.cyclesPerCell))
        return usageError(QStringLiteral("bad --cycles '%1'").arg(parser.value(cycles)));
    if (parser.isSet(crashes) && !positive(parser.value(crashes), &config.limits.crashesPerCell, true))
        return usageError(QStringLiteral("bad --crashes '%1'").arg(parser.value(crashes)));
    if (parser.isSet(batch) && !positive(parser.value(batch), &config.limits.batch))
        return usageError(QStringLiteral("bad --batch '%1'").arg(parser.value(batch)));
    if (parser.isSet(budget)) {
        const auto b = hunt::parseBudget(parser.value(budget), &error);
        if (!b)
            return usageError(error);
        config.budget = *b;
    }
    if (parser.isSet(order)) {
        const auto o = hunt::parseOrder(parser.value(order));
        if (!o)
            return usageError(QStringLiteral("--order takes 'adaptive' or 'grid'"));
        config.order = *o;
    }
    if (parser.isSet(seed)) {
        bool ok = false;
        config.seed = parser.value(seed).toULongLong(&ok);
        if (!ok)
            return usageError(QStringLiteral("bad --seed '%1'").arg(parser.value(seed)));
    }

    CycleRunConfig runConfig;
    runConfig.module = parser.value(module);
    runConfig.insmodPath = parser.value(insmod);
    runConfig.useSudo = parser.isSet(sudo);
    runConfig.leakCheck = CycleRunConfig::LeakCheck::Off; // a hunt counts crashes
    runConfig.kmemleakScan = false;
    runConfig.telemetryPath
        = parser.isSet(readerPath) ? parser.value(readerPath) : QString::fromLatin1(telemetry::defaultStreamPath);
    qint64 value = 0;
    if (parser.isSet(returnTimeout)) {
        if (!positive(parser.value(returnTimeout), &value) || value > 86400)
            return usageError(QStringLiteral("bad --return-timeout '%1'").arg(parser.value(returnTimeout)));
        runConfig.returnTimeoutS = int(value);
    }
    if (const QString why = runConfig.validate(); !why.isEmpty())
        return usageError(why);
    error.clear();
    const std::optional<SerialSettings> serialSettings = link.serialSettings(parser, &error);
    if (!error.isEmpty())
        return usageError(error);

    ModuleCatalog catalog;
    if (!link.loadModules(parser, catalog, &error))
        return usageError(error);
    for (const QString &text : compare) {
        if (compareKind == hunt::CompareKind::Ko ? !catalog.addPath(text, &error)
                                                 : !hunt::isValidInstallCommand(text, &error))
            return usageError(error);
    }
    const QString jsonPath = parser.value(json);
    if (!jsonPath.isEmpty() && jsonPath != QLatin1String("-")) {
        QSaveFile probe(jsonPath); // can it be written at all? (nothing is written yet)
        if (!probe.open(QIODevice::WriteOnly))
            return usageError(QStringLiteral("cannot write '%1': %2").arg(jsonPath, probe.errorString()));
        probe.cancelWriting();
    }
    Symbolizer symbolizer(catalog);

    const SshSettings sshSettings = link.sshSettings(parser);
    // One node session (links, kernel-log stream, detection, pairing) as `cycle` has; the runner
    // drives its SSH link and reads its consoles, run after run.
    NodeSession session;
    CycleRunner runner;
    if (!catalog.entries().isEmpty())
        runner.setSymbolizer(&symbolizer);
    runner.follow(&session);
    if (serialSettings)
        session.startSerial(*serialSettings);
    session.startSsh(sshSettings);

    hunt::RunnerBackend backend(&runner, &session, sshSettings, runConfig);
    if (!compare.isEmpty()) {
        const bool ok = compareKind == hunt::CompareKind::Ko ? backend.setBuilds(compare, &error)
                                                             : backend.setInstallCommands(compare, &error);
        if (!ok)
            return usageError(error);
        config.builds = compare;
        config.compareKind = compareKind;
        for (const hunt::NodeBuild &b : backend.builds())
            config.buildNodePaths << b.nodePath;
    }
    config.reproducer.module = runConfig.module;
    config.reproducer.insmodPath = runConfig.insmodPath;
    config.reproducer.sshHost = sshSettings.host;
    config.reproducer.sshConfig = sshSettings.configFile;
    config.reproducer.serialPath = parser.value(link.serial);
    config.reproducer.telemetryPath = runConfig.telemetryPath;
    config.reproducer.cycles = config.limits.cyclesPerCell;

    QTextStream out(stdout);
    QTextStream err(stderr);
    const bool jsonToStdout = jsonPath == QLatin1String("-");
    QTextStream &human = jsonToStdout ? err : out;
    hunt::Hunt hunt(&backend, config);
    human << "hunt: " << hunt.cells().size() << " cells, " << config.limits.cyclesPerCell << " cycles or "
          << config.limits.crashesPerCell << " crashes each, " << hunt::orderName(config.order) << " order (seed "
          << config.seed << ")\n";
    human.flush();
    QObject::connect(&backend, &hunt::HuntBackend::message, &hunt,
                     [&err](const QString &text) { err << "kmodscope-cli hunt: " << text << Qt::endl; });
    QObject::connect(&hunt, &hunt::Hunt::batchStarted, &hunt, [&](qsizetype cell, qint64 n) {
        human << "cell " << cell + 1 << " (" << conditionsText(hunt.cells()[cell]) << "): " << n << " cycles\n";
        human.flush();
    });
    QObject::connect(&runner, &CycleRunner::crashDetected, &hunt, [&err](int, const QString &what, qint64) {
        err << "kmodscope-cli hunt: crash: " << what << Qt::endl;
    });
    // The JSON so far after every turn: a hunt of hours loses at most one turn.
    QObject::connect(&hunt, &hunt::Hunt::batchFinished, &hunt, [&](qsizetype) {
        if (!jsonPath.isEmpty() && !jsonToStdout) {
            QString why;
            writeJson(jsonPath, hunt::huntToJson(hunt.result()), &why);
        }
    });
    std::optional<hunt::HuntResult> result;
    QObject::connect(&hunt, &hunt::Hunt::finished, &hunt, [&](const hunt::HuntResult &r) {
        result = r;
        backend.cleanUp([] { QCoreApplication::exit(0); });
    });

    const cli::SignalStop signalStop([&hunt, &err] {
        err << "kmodscope-cli hunt: stopping" << Qt::endl;
        hunt.stop();
    });
    if (!signalStop.ok())
        return usageError(QStringLiteral("cannot set up signal handling"));

    hunt.start();
    QCoreApplication::exec();
    session.stopSerial();
    session.stopSsh();
    if (!result)
        result = hunt.result();

    human << "\n";
    for (qsizetype i = 0; i < result->cells.size(); ++i) {
        const hunt::CellResult &cell = result->cells[i];
        human << "cell " << i + 1 << " (" << conditionsText(cell) << "): " << cellLine(cell) << '\n';
        for (const QString &title : cell.titles)
            human << "    " << title << '\n';
    }
    human << "\n" << result->totalCycles << " cycles in " << result->wallMs / 1000.0 << " s";
    if (result->firstCrashTotalCycle)
        human << ", first crash at cycle " << *result->firstCrashTotalCycle;
    human << " (" << hunt::endReasonName(result->ended)
          << (result->endDetail.isEmpty() ? QString() : QStringLiteral(": ") + result->endDetail) << ")\n";
    if (result->best) {
        human << "\nbest reproducer: cell " << result->best->cell + 1 << " ("
              << conditionsText(result->cells[result->best->cell]) << ")\n  on the node:  " << result->best->nodeCommand
              << "\n  with kmodscope:  " << result->best->cliCommand << '\n';
    } else {
        human << "\nno crash found\n";
    }
    if (result->compare)
        human << "\ncompare (A " << result->compare->koA << ", B " << result->compare->koB << "):\n  "
              << result->compare->statement << '\n';
    human.flush();

    if (!jsonPath.isEmpty() && !writeJson(jsonPath, hunt::huntToJson(*result), &error))
        err << "kmodscope-cli hunt: cannot write " << jsonPath << ": " << error << Qt::endl;

    if (result->ended == hunt::EndReason::Error && result->totalCycles == 0) {
        err << "kmodscope-cli hunt: " << result->endDetail << Qt::endl;
        return backend.lastRunEnd() == RunEnd::Unreachable ? cli::exitUnreachable : cli::exitUsage;
    }
    if (result->ended == hunt::EndReason::NodeLost && backend.lastRunEnd() == RunEnd::Unreachable
        && result->totalCycles == 0) {
        err << "kmodscope-cli hunt: " << result->endDetail << Qt::endl;
        return cli::exitUnreachable;
    }
    for (const hunt::CellResult &cell : result->cells) {
        if (cell.verdicts.value(QStringLiteral("pass")) != cell.cycles)
            return cli::exitNotPassed;
    }
    return result->totalCycles > 0 && result->ended != hunt::EndReason::NodeLost
            && result->ended != hunt::EndReason::Error
        ? cli::exitPass
        : cli::exitNotPassed;
}

} // namespace kms::cli
