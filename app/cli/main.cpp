#include "cyclecommand.h"
#include "decodecommand.h"
#include "huntcommand.h"
#include "telemetrycommand.h"
#include "watchcommand.h"

#include <QCoreApplication>
#include <QTextStream>

namespace {

void printUsage(QTextStream &out)
{
    out << "usage: kmodscope-cli COMMAND [OPTIONS]\n"
           "\n"
           "commands:\n"
           "  decode   find kernel reports in a log and resolve every frame to file:line\n"
           "  watch    follow a node's serial console and/or dmesg over SSH, print reports live\n"
           "  telemetry  record a node's telemetry (prudaq stream, polled files, printk values) as CSV\n"
           "  cycle    load and unload a module on a node again and again, a verdict per cycle\n"
           "  hunt     find the conditions that reproduce a crash fastest; compare two builds\n"
           "\n"
           "'kmodscope-cli COMMAND --help' describes a command.\n";
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("kmodscope-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(KMS_VERSION));

    QStringList arguments = QCoreApplication::arguments().mid(1);
    if (arguments.isEmpty()) {
        QTextStream err(stderr);
        printUsage(err);
        return 2;
    }
    const QString command = arguments.takeFirst();
    if (command == QLatin1String("decode"))
        return kms::cli::runDecode(arguments);
    if (command == QLatin1String("watch"))
        return kms::cli::runWatch(arguments);
    if (command == QLatin1String("telemetry"))
        return kms::cli::runTelemetry(arguments);
    if (command == QLatin1String("hunt"))
        return kms::cli::runHunt(arguments);
    if (command == QLatin1String("cycle"))
        return kms::cli::runCycle(arguments);
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help")) {
        QTextStream out(stdout);
        printUsage(out);
        return 0;
    }
    if (command == QLatin1String("--version")) {
        QTextStream(stdout) << "kmodscope-cli " << KMS_VERSION << '\n';
        return 0;
    }
    QTextStream err(stderr);
    err << "kmodscope-cli: unknown command '" << command << "'\n";
    printUsage(err);
    return 2;
}
