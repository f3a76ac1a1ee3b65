#include "symbols/modulecatalog.h"

#include "symbols/elfimage.h"

#include <QDirIterator>
#include <QFileInfo>

#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

namespace kms {

namespace {

bool isModuleFileName(const QString &fileName)
{
    return fileName.endsWith(QLatin1String(".ko")) || fileName.endsWith(QLatin1String(".ko.xz"))
        || fileName.endsWith(QLatin1String(".ko.zst"));
}

QString nameFromFileName(const QString &path)
{
    QString name = QFileInfo(path).fileName();
    for (const char *ext : {".ko.xz", ".ko.zst", ".ko"}) {
        if (name.endsWith(QLatin1String(ext))) {
            name.chop(int(qstrlen(ext)));
            break;
        }
    }
    return name;
}

// The "name=" record of .modinfo (NUL-separated key=value strings).
QString modinfoName(Elf *elf, size_t shstrndx)
{
    Elf_Scn *scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
            continue;
        const char *secname = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (!secname || qstrcmp(secname, ".modinfo") != 0)
            continue;
        Elf_Data *data = elf_getdata(scn, nullptr);
        if (!data || !data->d_buf)
            return {};
        const QByteArray info(static_cast<const char *>(data->d_buf), qsizetype(data->d_size));
        for (const QByteArray &record : info.split('\0')) {
            if (record.startsWith("name="))
                return QString::fromUtf8(record.mid(5));
        }
        return {};
    }
    return {};
}

bool hasSection(Elf *elf, size_t shstrndx, const char *wanted)
{
    Elf_Scn *scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS || shdr.sh_size == 0)
            continue;
        const char *secname = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (secname && qstrcmp(secname, wanted) == 0)
            return true;
    }
    return false;
}

QByteArray normalizedBuildId(const QByteArray &id)
{
    static const QByteArray hexDigits = QByteArrayLiteral("0123456789abcdefABCDEF");
    const bool isHex = !id.isEmpty() && id.size() % 2 == 0
        && std::all_of(id.begin(), id.end(), [](char c) { return hexDigits.contains(c); });
    return isHex ? id.toLower() : id.toHex();
}

} // namespace

QString ModuleCatalog::normalizedName(const QString &moduleName)
{
    QString name = moduleName;
    name.replace(QLatin1Char('-'), QLatin1Char('_'));
    return name;
}

bool ModuleCatalog::inspect(const QString &path, Entry *entry, QString *error)
{
    elf_version(EV_CURRENT);
    elfimage::Compression compression = elfimage::Compression::None;
    QString openError;
    const int fd = elfimage::open(path, &compression, &openError);
    if (fd < 0) {
        *error = QStringLiteral("%1: %2").arg(path, openError);
        return false;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    size_t shstrndx = 0;
    if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
        if (elf)
            elf_end(elf);
        ::close(fd);
        *error = QStringLiteral("%1: not an ELF file%2")
                     .arg(path,
                          compression == elfimage::Compression::None ? QString()
                                                                     : QStringLiteral(" (after decompression)"));
        return false;
    }
    Entry e;
    e.path = path;
    e.compressed = compression != elfimage::Compression::None;
    const QString modName = modinfoName(elf, shstrndx);
    e.name = normalizedName(modName.isEmpty() ? nameFromFileName(path) : modName);
    const void *id = nullptr;
    const ssize_t idLen = dwelf_elf_gnu_build_id(elf, &id);
    if (idLen > 0 && id)
        e.buildId = QByteArray(static_cast<const char *>(id), qsizetype(idLen)).toHex();
    e.hasDebugInfo = hasSection(elf, shstrndx, ".debug_info") || hasSection(elf, shstrndx, ".zdebug_info");
    elf_end(elf);
    ::close(fd);
    *entry = e;
    return true;
}

void ModuleCatalog::insert(Entry entry, State state)
{
    for (const Slot &existing : std::as_const(m_slots)) {
        if (existing.entry.path == entry.path)
            return; // the same file given twice
    }
    const qsizetype index = m_slots.size();
    m_byName[entry.name].append(index);
    if (state == State::Ready && !entry.buildId.isEmpty() && !m_byBuildId.contains(entry.buildId))
        m_byBuildId.insert(entry.buildId, index);
    m_slots.append({std::move(entry), state});
}

bool ModuleCatalog::ensure(qsizetype index) const
{
    Slot &slot = m_slots[index];
    if (slot.state != State::Pending)
        return slot.state == State::Ready;
    Entry entry;
    QString ignored;
    if (!inspect(slot.entry.path, &entry, &ignored)) {
        slot.state = State::Invalid;
        return false;
    }
    if (entry.name != slot.entry.name) // .modinfo disagrees with the file name: index both
        m_byName[entry.name].append(index);
    slot.entry = entry;
    slot.state = State::Ready;
    if (!entry.buildId.isEmpty()) {
        // Keep "first added wins" for build ids too.
        const auto it = m_byBuildId.constFind(entry.buildId);
        if (it == m_byBuildId.cend() || *it > index)
            m_byBuildId.insert(entry.buildId, index);
    }
    return true;
}

void ModuleCatalog::ensureAll() const
{
    for (qsizetype i = 0; i < m_slots.size(); ++i)
        ensure(i);
}

QList<ModuleCatalog::Entry> ModuleCatalog::entries() const
{
    ensureAll();
    QList<Entry> result;
    for (const Slot &slot : std::as_const(m_slots)) {
        if (slot.state == State::Ready)
            result.append(slot.entry);
    }
    return result;
}

bool ModuleCatalog::addPath(const QString &path, QString *error)
{
    QString dummy;
    QString &err = error ? *error : dummy;
    const QFileInfo info(path);
    if (!info.exists()) {
        err = QStringLiteral("%1: no such file or directory").arg(path);
        return false;
    }
    if (info.isDir()) {
        QStringList files;
        QDirIterator it(path, QDir::Files | QDir::Readable,
                        QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
        while (it.hasNext()) {
            const QString file = it.next();
            if (isModuleFileName(it.fileName()))
                files.append(file);
        }
        files.sort(); // the same order whatever the file system's
        for (const QString &file : std::as_const(files)) {
            if (!file.endsWith(QLatin1String(".ko"))) {
                Entry pending;
                pending.path = file;
                pending.name = normalizedName(nameFromFileName(file));
                pending.compressed = true;
                insert(std::move(pending), State::Pending);
                continue;
            }
            Entry entry;
            QString ignored;
            if (inspect(file, &entry, &ignored))
                insert(std::move(entry), State::Ready);
        }
        return true;
    }
    Entry entry;
    if (!inspect(info.filePath(), &entry, &err))
        return false;
    insert(std::move(entry), State::Ready);
    return true;
}

bool ModuleCatalog::setVmlinux(const QString &path, QString *error)
{
    QString dummy;
    QString &err = error ? *error : dummy;
    if (!QFileInfo(path).isFile()) {
        err = QStringLiteral("%1: no such file").arg(path);
        return false;
    }
    Entry entry;
    if (!inspect(path, &entry, &err))
        return false;
    entry.name = QStringLiteral("vmlinux");
    m_vmlinux = entry;
    return true;
}

const ModuleCatalog::Entry *ModuleCatalog::find(const QString &moduleName) const
{
    const QList<const Entry *> all = findAll(moduleName);
    return all.isEmpty() ? nullptr : all.first();
}

QList<const ModuleCatalog::Entry *> ModuleCatalog::findAll(const QString &moduleName) const
{
    QList<const Entry *> result;
    const auto it = m_byName.constFind(normalizedName(moduleName));
    if (it == m_byName.cend())
        return result;
    const QList<qsizetype> indexes = *it; // ensure() may add to m_byName
    const QString wanted = normalizedName(moduleName);
    for (qsizetype index : indexes) {
        if (ensure(index) && m_slots.at(index).entry.name == wanted)
            result.append(&m_slots.at(index).entry);
    }
    return result;
}

const ModuleCatalog::Entry *ModuleCatalog::findByBuildId(const QByteArray &buildId) const
{
    if (buildId.isEmpty())
        return nullptr;
    ensureAll();
    const auto it = m_byBuildId.constFind(normalizedBuildId(buildId));
    return it == m_byBuildId.cend() ? nullptr : &m_slots.at(*it).entry;
}

} // namespace kms
