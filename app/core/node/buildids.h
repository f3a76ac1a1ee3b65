// GNU build ids of a node's running kernel and loaded modules, read over SSH from
// /sys/kernel/notes and /sys/module/NAME/notes/.note.gnu.build-id (Debian's 6.1 traces print no
// build ids). With them, debuginfod finds the debug files of exactly what runs on the node.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QObject>
#include <QString>

namespace kms {

class SshLink;
struct SshCommandResult;

struct NodeBuildIds {
    QByteArray kernel; // lower-case hex, empty when not readable
    QHash<QString, QByteArray> modules; // module name ('-' as '_') -> lower-case hex
};

namespace buildids {
// The NT_GNU_BUILD_ID descriptor, as lower-case hex, in raw ELF notes (the bytes of a
// .note.gnu.build-id section or of /sys/kernel/notes); empty when there is none. Either byte order.
QByteArray fromNotes(QByteArrayView notes);
// The fixed shell command run on the node (no user input in it), and the parser of its output.
QByteArray nodeCommand();
NodeBuildIds parseNodeListing(const QByteArray &output);
} // namespace buildids

// Reads a node's build ids over its SSH link: one command, one answer.
class BuildIdFetcher : public QObject
{
    Q_OBJECT
public:
    explicit BuildIdFetcher(SshLink *link, QObject *parent = nullptr);
    void fetch();
    bool busy() const { return m_pending != 0; }

Q_SIGNALS:
    void fetched(const kms::NodeBuildIds &ids);
    void fetchFailed(const QString &error);

private:
    void onCommandFinished(quint64 id, const kms::SshCommandResult &result);

    SshLink *m_link;
    quint64 m_pending = 0;
};

} // namespace kms
