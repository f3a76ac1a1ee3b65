#include "virtualnode.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

namespace kms::gui {

namespace {

QHash<QString, QString> readKeyValues(const QString &path)
{
    QHash<QString, QString> kv;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return kv;
    for (const QByteArray &line : f.readAll().split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0) // the last assignment wins, as scripts/vnode's `tail -n 1`
            kv.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return kv;
}

// The supervisor's pid when that process runs and is this node's (its command line names the
// directory), as scripts/vnode checks before it signals anything.
bool supervisorRuns(const QString &dir)
{
    QFile pidFile(dir + QStringLiteral("/run/vnoded.pid"));
    if (!pidFile.open(QIODevice::ReadOnly))
        return false;
    bool ok = false;
    const qint64 pid = pidFile.readAll().trimmed().toLongLong(&ok);
    if (!ok || pid <= 0)
        return false;
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!cmdline.open(QIODevice::ReadOnly))
        return false;
    QByteArray args = cmdline.readAll();
    args.replace('\0', ' ');
    return args.contains(QStringLiteral("--dir %1 ").arg(dir).toUtf8());
}

} // namespace

QString defaultVirtualNodeDir()
{
    QString dir = qEnvironmentVariable("KMODSCOPE_VNODE_DIR");
    if (dir.isEmpty()) {
        QString cache = qEnvironmentVariable("XDG_CACHE_HOME");
        if (cache.isEmpty())
            cache = QDir::homePath() + QStringLiteral("/.cache");
        dir = cache + QStringLiteral("/kmodscope/vnode");
    }
    // One spelling, as scripts/vnode's realpath -m: the supervisor's command line has it.
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(QDir(dir).absolutePath()) : canonical;
}

std::optional<VirtualNode> readVirtualNode(const QString &dir, QString *why)
{
    const QHash<QString, QString> conf = readKeyValues(dir + QStringLiteral("/node.conf"));
    if (conf.isEmpty()) {
        *why = QObject::tr("No virtual node in %1 (start one with scripts/vnode up or scripts/demo).").arg(dir);
        return std::nullopt;
    }
    if (!supervisorRuns(dir)) {
        *why = QObject::tr("The virtual node in %1 is stopped (scripts/vnode up starts it).").arg(dir);
        return std::nullopt;
    }
    VirtualNode n;
    n.dir = dir;
    n.state
        = readKeyValues(dir + QStringLiteral("/run/state")).value(QStringLiteral("state"), QStringLiteral("booting"));
    n.arch = conf.value(QStringLiteral("arch"));
    n.sshPort = conf.value(QStringLiteral("ssh_port")).toInt();
    n.sshKey = dir + QStringLiteral("/keys/id_ed25519");
    n.knownHosts = dir + QStringLiteral("/keys/known_hosts");
    n.serialPty = dir + QStringLiteral("/serial");
    n.koDir = conf.value(QStringLiteral("ko_dir"));
    n.kernelRelease = conf.value(QStringLiteral("kernel_release"));
    n.kernelArgs = conf.value(QStringLiteral("kernel_args"));
    if (n.sshPort <= 0 || !QFileInfo::exists(n.sshKey)) {
        *why = QObject::tr("The virtual node in %1 has no SSH port or key yet.").arg(dir);
        return std::nullopt;
    }
    return n;
}

std::optional<VirtualNode> findVirtualNode(QString *why)
{
    return readVirtualNode(defaultVirtualNodeDir(), why);
}

Profile profileForVirtualNode(const VirtualNode &node, const QString &name)
{
    Profile p;
    p.name = name;
    p.serialPort = node.serialPty;
    p.sshHost = QStringLiteral("127.0.0.1");
    p.sshPort = node.sshPort;
    p.sshUser = QStringLiteral("root");
    p.sshKey = node.sshKey;
    p.knownHosts = node.knownHosts;
    p.modules = {QStringLiteral("prudaq")};
    if (!node.koDir.isEmpty())
        p.koPaths = {node.koDir};
    return p;
}

QString virtualNodeDirOf(const Profile &profile)
{
    if (profile.sshKey.isEmpty())
        return {};
    const QFileInfo key(profile.sshKey);
    const QDir keys = key.absoluteDir();
    if (keys.dirName() != QLatin1String("keys"))
        return {};
    const QString dir = QFileInfo(keys.absolutePath()).absolutePath();
    return QFileInfo::exists(dir + QStringLiteral("/node.conf")) ? dir : QString();
}

} // namespace kms::gui
