// The kernel modules (and the optional debug vmlinux) a user gave for symbolization, indexed by
// module name and by GNU build id.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

namespace kms {

class ModuleCatalog
{
public:
    struct Entry {
        QString name; // from .modinfo "name=" (else the file name), '-' replaced by '_'
        QString path;
        QByteArray buildId; // lower-case hex of the NT_GNU_BUILD_ID note, empty if none
        bool hasDebugInfo = false; // has a non-empty .debug_info
        bool compressed = false; // .ko.xz / .ko.zst (by content, not by name)
    };

    // A file must be an ELF image (plain, xz or zstd compressed), else false and *error says
    // why. A directory is searched recursively for *.ko, *.ko.xz and *.ko.zst; files in it that
    // are not ELF are skipped silently. False (and *error) when the path does not exist.
    // Compressed files found in a directory are indexed by file name and only decompressed
    // when a lookup needs them (a distribution's module tree holds thousands).
    // Pointers returned by the lookups stay valid until the next addPath().
    bool addPath(const QString &path, QString *error);
    // The debug vmlinux for core-kernel frames (any ELF with a symbol table).
    bool setVmlinux(const QString &path, QString *error);

    // '-' and '_' are equivalent in module names. With several files of the same name, the
    // first added wins here; the symbolizer prefers the one whose build id the frame names.
    const Entry *find(const QString &moduleName) const;
    // `buildId` as lower- or upper-case hex (as printed in "[mod buildid]"), or raw bytes.
    const Entry *findByBuildId(const QByteArray &buildId) const;
    QList<Entry> entries() const;
    // Every entry with this name ('-'/'_' equivalent), in the order added.
    QList<const Entry *> findAll(const QString &moduleName) const;
    const Entry *vmlinux() const { return m_vmlinux.path.isEmpty() ? nullptr : &m_vmlinux; }

    static QString normalizedName(const QString &moduleName);
    // Reads one file's metadata; false and *error when it is not a readable ELF image.
    static bool inspect(const QString &path, Entry *entry, QString *error);

private:
    enum class State { Ready, Pending, Invalid };
    struct Slot {
        Entry entry;
        State state = State::Ready;
    };
    void insert(Entry entry, State state);
    // Reads a pending slot's metadata (decompressing it); false if it is not a usable module.
    bool ensure(qsizetype index) const;
    void ensureAll() const;

    mutable QList<Slot> m_slots;
    mutable QHash<QString, QList<qsizetype>> m_byName; // normalized name -> indexes into m_slots
    mutable QHash<QByteArray, qsizetype> m_byBuildId; // first ready entry per build id
    Entry m_vmlinux;
};

} // namespace kms
