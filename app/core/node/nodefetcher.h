// What decoding needs from the node, fetched over its SshLink into a local cache directory:
// a module's .ko (from where `modinfo -n` says the running kernel loads it) and source files
// (at the path DWARF records, for modules built on the node itself). Results come as signals;
// every failure says what was tried and what the node answered.
#pragma once

#include <QHash>
#include <QObject>
#include <QString>

namespace kms {

class SshLink;
struct SshCommandResult;
struct SshFileResult;

class NodeFetcher : public QObject
{
    Q_OBJECT
public:
    // `cacheDir` is this node's own directory; files land in cacheDir/modules and
    // cacheDir/sources/<absolute remote path>.
    NodeFetcher(SshLink *link, const QString &cacheDir, QObject *parent = nullptr);

    void fetchModule(const QString &module);
    void fetchSource(const QString &remotePath);
    // Where fetchSource puts remotePath (empty for a path it refuses: relative, or with "..").
    QString localSourcePath(const QString &remotePath) const;
    bool busy() const { return !m_pending.isEmpty(); }

Q_SIGNALS:
    void moduleFetched(const QString &module, const QString &localPath);
    void sourceFetched(const QString &remotePath, const QString &localPath);
    // `what` is the module name or the remote path.
    void fetchFailed(const QString &what, const QString &error);

private:
    enum class Step { ModInfo, ModuleFile, SourceFile };
    struct Pending {
        Step step;
        QString what; // module name or remote path
        QString localPath;
    };
    void onCommandFinished(quint64 id, const kms::SshCommandResult &result);
    void onFileFinished(quint64 id, const kms::SshFileResult &result);

    SshLink *m_link;
    QString m_cacheDir;
    QHash<quint64, Pending> m_pending;
};

} // namespace kms
