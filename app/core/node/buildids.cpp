#include "node/buildids.h"

#include "link/sshlink.h"

#include <QtEndian>

namespace kms {

namespace buildids {

namespace {

constexpr quint32 ntGnuBuildId = 3;

quint32 word(QByteArrayView bytes, qsizetype at, bool bigEndian)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.data() + at);
    return bigEndian ? qFromBigEndian<quint32>(p) : qFromLittleEndian<quint32>(p);
}

QByteArray scan(QByteArrayView notes, bool bigEndian)
{
    // Elf_Nhdr: namesz, descsz, type; then the name and the descriptor, each 4-byte aligned
    // (the kernel's notes are 4-byte aligned on 64-bit machines too).
    qsizetype at = 0;
    while (at + 12 <= notes.size()) {
        const quint32 nameSize = word(notes, at, bigEndian);
        const quint32 descSize = word(notes, at + 4, bigEndian);
        const quint32 type = word(notes, at + 8, bigEndian);
        const qsizetype name = at + 12;
        const qsizetype desc = name + ((qsizetype(nameSize) + 3) & ~qsizetype(3));
        const qsizetype end = desc + ((qsizetype(descSize) + 3) & ~qsizetype(3));
        if (nameSize > 4096 || descSize > 4096 || desc + qsizetype(descSize) > notes.size())
            return {};
        if (type == ntGnuBuildId && nameSize == 4 && notes.sliced(name, 4) == QByteArrayView("GNU\0", 4)
            && descSize > 0)
            return notes.sliced(desc, descSize).toByteArray().toHex();
        at = end;
    }
    return {};
}

QByteArray parseOd(const QList<QByteArray> &lines)
{
    QByteArray bytes;
    for (const QByteArray &line : lines) {
        for (const QByteArray &word : line.simplified().split(' ')) {
            bool ok = false;
            const uint value = word.toUInt(&ok, 16);
            if (ok && word.size() == 2)
                bytes.append(char(value));
        }
    }
    return bytes;
}

} // namespace

QByteArray fromNotes(QByteArrayView notes)
{
    const QByteArray little = scan(notes, false);
    return little.isEmpty() ? scan(notes, true) : little;
}

QByteArray nodeCommand()
{
    // od is in coreutils and in busybox; notes are root-only for modules: unreadable ones are
    // left out rather than failing the whole listing.
    return QByteArrayLiteral(
        "echo kernel; od -An -v -tx1 /sys/kernel/notes 2>/dev/null; "
        "for f in /sys/module/*/notes/.note.gnu.build-id; do "
        "[ -r \"$f\" ] || continue; m=${f#/sys/module/}; echo \"module ${m%%/*}\"; od -An -v -tx1 \"$f\"; "
        "done; true");
}

NodeBuildIds parseNodeListing(const QByteArray &output)
{
    NodeBuildIds ids;
    QString current;
    bool inKernel = false;
    QList<QByteArray> block;
    const auto flush = [&] {
        const QByteArray id = fromNotes(parseOd(block));
        if (inKernel)
            ids.kernel = id;
        else if (!current.isEmpty() && !id.isEmpty())
            ids.modules.insert(current, id);
        block.clear();
    };
    for (const QByteArray &line : output.split('\n')) {
        if (line == "kernel" || line.startsWith("module ")) {
            flush();
            inKernel = line == "kernel";
            current = inKernel ? QString() : QString::fromUtf8(line.mid(7)).replace(QLatin1Char('-'), QLatin1Char('_'));
            continue;
        }
        block.append(line);
    }
    flush();
    return ids;
}

} // namespace buildids

BuildIdFetcher::BuildIdFetcher(SshLink *link, QObject *parent)
    : QObject(parent)
    , m_link(link)
{
    connect(m_link, &SshLink::commandFinished, this, &BuildIdFetcher::onCommandFinished);
}

void BuildIdFetcher::fetch()
{
    m_pending = m_link->runShell(buildids::nodeCommand());
}

void BuildIdFetcher::onCommandFinished(quint64 id, const SshCommandResult &result)
{
    if (id != m_pending)
        return;
    m_pending = 0;
    if (!result.ok()) {
        const QString why = !result.error.isEmpty() ? result.error : QString::fromUtf8(result.standardError).trimmed();
        Q_EMIT fetchFailed(tr("reading build ids on the node failed: %1")
                               .arg(why.isEmpty() ? tr("exit %1").arg(result.exitStatus) : why));
        return;
    }
    Q_EMIT fetched(buildids::parseNodeListing(result.standardOutput));
}

} // namespace kms
