#include "hunt/reproducer.h"

#include "link/shellquote.h"

namespace kms::hunt {

namespace {

QString quoted(const QString &word)
{
    return QString::fromUtf8(shellCommand({word}));
}

// `sh -c 'CMD'`: the user's install command kept whole, whatever it holds.
QString installStep(const ReproducerContext &context)
{
    return QString::fromUtf8(shellCommand({QStringLiteral("sh"), QStringLiteral("-c"), context.installCommand}));
}

QString sleepSeconds(int ms)
{
    return QString::number(ms / 1000.0, 'f', 3);
}

} // namespace

QString nodeCommand(const ReproducerContext &context, const Conditions &conditions)
{
    QStringList loadArgv = context.insmodPath.isEmpty() ? QStringList{QStringLiteral("modprobe"), context.module}
                                                        : QStringList{QStringLiteral("insmod"), context.insmodPath};
    for (const auto &[name, value] : conditions.params)
        loadArgv << (value.isEmpty() ? name : name + QLatin1Char('=') + value);
    const QStringList unloadArgv = context.insmodPath.isEmpty()
        ? QStringList{QStringLiteral("modprobe"), QStringLiteral("-r"), context.module}
        : QStringList{QStringLiteral("rmmod"), context.module};

    QString settle;
    if (conditions.telemetry && !context.telemetryPath.isEmpty()) {
        // The reader is closed before the unload: an open reader pins the module.
        settle = QStringLiteral("{ cat %1 >/dev/null & r=$!; sleep %2; kill $r; wait $r; :; }")
                     .arg(quoted(context.telemetryPath), sleepSeconds(conditions.settleMs));
    } else if (conditions.settleMs > 0) {
        settle = QStringLiteral("sleep ") + sleepSeconds(conditions.settleMs);
    }
    QStringList steps{QString::fromUtf8(shellCommand(loadArgv))};
    if (!settle.isEmpty())
        steps << settle;
    steps << QString::fromUtf8(shellCommand(unloadArgv));
    QString loop = QStringLiteral("while %1; do :; done").arg(steps.join(QStringLiteral(" && ")));
    if (!context.installCommand.isEmpty())
        loop = installStep(context) + QStringLiteral(" && ") + loop;
    switch (conditions.load) {
    case BackgroundLoad::None:
        return loop;
    case BackgroundLoad::Cpu:
        // renice, not nice: busybox builds often have no nice applet (Debian's has none).
        return QStringLiteral("sh -c 'while :; do :; done' & b=$!; renice -n 19 -p $b >/dev/null; %1; kill $b")
            .arg(loop);
    case BackgroundLoad::Irq:
        return loop
            + QStringLiteral("   # with network traffic to the node meanwhile, from the host: "
                             "while :; do head -c 1048576 /dev/zero; done | ssh %1 'cat >/dev/null'")
                  .arg(context.sshHost.isEmpty() ? QStringLiteral("NODE") : quoted(context.sshHost));
    }
    return loop;
}

QString cliCommand(const ReproducerContext &context, const Conditions &conditions)
{
    QStringList argv{QStringLiteral("kmodscope-cli"), QStringLiteral("cycle"), QStringLiteral("--ssh"),
                     context.sshHost};
    if (!context.sshConfig.isEmpty())
        argv << QStringLiteral("--ssh-config") << context.sshConfig;
    argv << QStringLiteral("--module") << context.module;
    if (!conditions.params.isEmpty())
        argv << QStringLiteral("--params") << formatModuleParams(conditions.params);
    if (!context.insmodPath.isEmpty())
        argv << QStringLiteral("--insmod") << context.insmodPath;
    argv << QStringLiteral("--settle") << QString::number(conditions.settleMs) << QStringLiteral("--count")
         << QString::number(context.cycles) << QStringLiteral("--continue-on-crash");
    if (!context.serialPath.isEmpty())
        argv << QStringLiteral("--serial") << context.serialPath;
    if (conditions.telemetry && !context.telemetryPath.isEmpty())
        argv << QStringLiteral("--telemetry") << context.telemetryPath;
    QString command = QString::fromUtf8(shellCommand(argv));
    if (!context.installCommand.isEmpty()) {
        // The build first, over plain ssh: the remote shell gets `sh -c 'CMD'` as one word.
        QStringList ssh{QStringLiteral("ssh")};
        if (!context.sshConfig.isEmpty())
            ssh << QStringLiteral("-F") << context.sshConfig;
        ssh << context.sshHost << installStep(context);
        command = QString::fromUtf8(shellCommand(ssh)) + QStringLiteral(" && ") + command;
    }
    if (conditions.load != BackgroundLoad::None)
        command += QStringLiteral("   # with background load: ") + loadName(conditions.load);
    return command;
}

} // namespace kms::hunt
