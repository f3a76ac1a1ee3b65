#include "node/nodefetcher.h"

#include "link/sshlink.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace kms {

NodeFetcher::NodeFetcher(SshLink *link, const QString &cacheDir, QObject *parent)
    : QObject(parent)
    , m_link(link)
    , m_cacheDir(cacheDir)
{
    connect(m_link, &SshLink::commandFinished, this, &NodeFetcher::onCommandFinished);
    connect(m_link, &SshLink::fileFinished, this, &NodeFetcher::onFileFinished);
}

void NodeFetcher::fetchModule(const QString &module)
{
    // Kernel module names: what `modprobe` accepts, and nothing a shell or getopt could misread.
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_-]*$"));
    if (!valid.match(module).hasMatch()) {
        Q_EMIT fetchFailed(module, tr("'%1' is not a module name").arg(module));
        return;
    }
    const quint64 id = m_link->run({QStringLiteral("modinfo"), QStringLiteral("-n"), module});
    m_pending.insert(id, {Step::ModInfo, module, {}});
}

QString NodeFetcher::localSourcePath(const QString &remotePath) const
{
    if (!remotePath.startsWith(QLatin1Char('/')) || QDir::cleanPath(remotePath) != remotePath
        || remotePath.contains(QLatin1String("/../")) || remotePath.endsWith(QLatin1String("/..")))
        return {};
    return m_cacheDir + QStringLiteral("/sources") + remotePath;
}

void NodeFetcher::fetchSource(const QString &remotePath)
{
    const QString local = localSourcePath(remotePath);
    if (local.isEmpty()) {
        Q_EMIT fetchFailed(remotePath, tr("not an absolute, clean path: %1").arg(remotePath));
        return;
    }
    QDir().mkpath(QFileInfo(local).path());
    const quint64 id = m_link->fetchFile(remotePath, local);
    m_pending.insert(id, {Step::SourceFile, remotePath, local});
}

void NodeFetcher::onCommandFinished(quint64 id, const SshCommandResult &result)
{
    const auto it = m_pending.constFind(id);
    if (it == m_pending.cend())
        return;
    const Pending p = *it;
    m_pending.erase(it);
    const QString out = QString::fromUtf8(result.standardOutput).trimmed();
    if (!result.ok()) {
        const QString why = !result.error.isEmpty() ? result.error : QString::fromUtf8(result.standardError).trimmed();
        Q_EMIT fetchFailed(p.what,
                           tr("modinfo -n %1 on the node failed: %2")
                               .arg(p.what, why.isEmpty() ? tr("exit %1").arg(result.exitStatus) : why));
        return;
    }
    if (out == QLatin1String("(builtin)")) {
        Q_EMIT fetchFailed(p.what,
                           tr("%1 is built into the node's kernel: its frames need a debug vmlinux").arg(p.what));
        return;
    }
    if (!out.startsWith(QLatin1Char('/')) || out.contains(QLatin1Char('\n'))) {
        Q_EMIT fetchFailed(p.what, tr("modinfo -n %1 gave no module path: %2").arg(p.what, out.left(200)));
        return;
    }
    const QString local = m_cacheDir + QStringLiteral("/modules/") + QFileInfo(out).fileName();
    QDir().mkpath(QFileInfo(local).path());
    // A fresh copy each time: the module on the node may have been rebuilt since the last one.
    QFile::remove(local);
    const quint64 fileId = m_link->fetchFile(out, local);
    m_pending.insert(fileId, {Step::ModuleFile, p.what, local});
}

void NodeFetcher::onFileFinished(quint64 id, const SshFileResult &result)
{
    const auto it = m_pending.constFind(id);
    if (it == m_pending.cend())
        return;
    const Pending p = *it;
    m_pending.erase(it);
    if (!result.error.isEmpty()) {
        QFile::remove(p.localPath);
        Q_EMIT fetchFailed(p.what, tr("fetching %1 from the node: %2").arg(p.what, result.error));
        return;
    }
    if (p.step == Step::ModuleFile)
        Q_EMIT moduleFetched(p.what, p.localPath);
    else
        Q_EMIT sourceFetched(p.what, p.localPath);
}

} // namespace kms
