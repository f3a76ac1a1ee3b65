#include "symbols/loadedmodule.h"

#include "symbols/elfimage.h"
#include "symbols/symbolizer.h"

#include <QDir>
#include <QFile>

#include <dwarf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kms {

namespace {

char *debuginfoPath = nullptr;

// Offline reporting: every section of a relocatable .ko gets its own address range and the
// DWARF relocations are applied (dwfl_offline_section_address), so .text, .init.text,
// .exit.text and .text.unlikely no longer all start at 0.
const Dwfl_Callbacks offlineCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfoPath,
};

QString dieName(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    return name ? QString::fromUtf8(name) : QString();
}

} // namespace

const Dwfl_Callbacks LoadedModule::relocatableCallbacks = {
    .find_elf = LoadedModule::findElf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = LoadedModule::sectionAddress,
    .debuginfo_path = &debuginfoPath,
};

LoadedModule::~LoadedModule()
{
    if (m_dwfl)
        dwfl_end(m_dwfl); // ends m_elf too, once handed over
    else if (m_elf)
        elf_end(m_elf);
    if (m_image)
        munmap(m_image, m_imageSize);
}

bool LoadedModule::load(const QString &name, const QString &path)
{
    elfimage::Compression compression;
    const int fd = elfimage::open(path, &compression, &m_error);
    if (fd < 0)
        return false;
    // Only relocatable files (.ko) are relocated in place; a vmlinux (hundreds of MB) is
    // left to libdwfl, which maps it without copying.
    unsigned char ident[EI_NIDENT + 2] = {};
    const bool relocatable = ::pread(fd, ident, sizeof ident, 0) == ssize_t(sizeof ident)
        && memcmp(ident, ELFMAG, SELFMAG) == 0
        && (ident[EI_DATA] == ELFDATA2MSB ? ident[EI_NIDENT] == 0 && ident[EI_NIDENT + 1] == ET_REL
                                          : ident[EI_NIDENT] == ET_REL && ident[EI_NIDENT + 1] == 0);
    if (!relocatable)
        return reportOffline(name, path, fd);
    if (!loadImage(fd)) {
        // Not mappable: let libdwfl open and lay the file out itself.
        if (m_error.isEmpty())
            return reportOffline(name, path, fd);
        ::close(fd);
        return false;
    }
    ::close(fd);
    return reportRelocatable(name, path);
}

bool LoadedModule::loadImage(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
        return false;
    m_imageSize = size_t(st.st_size);
    void *image = mmap(nullptr, m_imageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (image == MAP_FAILED)
        return false;
    m_image = image;
    elf_version(EV_CURRENT);
    m_elf = elf_memory(static_cast<char *>(m_image), m_imageSize);
    if (!m_elf || elf_kind(m_elf) != ELF_K_ELF) {
        m_error = QStringLiteral("not an ELF file");
        return false;
    }
    return true;
}

bool LoadedModule::reportOffline(const QString &name, const QString &path, int fd)
{
    m_dwfl = dwfl_begin(&offlineCallbacks);
    if (!m_dwfl) {
        if (fd >= 0)
            ::close(fd);
        m_error = QString::fromUtf8(dwfl_errmsg(-1));
        return false;
    }
    dwfl_report_begin(m_dwfl);
    // libdwfl takes the descriptor over (closed by dwfl_end, or on failure).
    m_mod = dwfl_report_offline(m_dwfl, name.toUtf8().constData(), QFile::encodeName(path).constData(), fd);
    if (!m_mod || dwfl_report_end(m_dwfl, nullptr, nullptr) != 0) {
        m_error = QStringLiteral("libdwfl: %1").arg(QString::fromUtf8(dwfl_errmsg(-1)));
        m_mod = nullptr;
        return false;
    }
    return finishLoad();
}

bool LoadedModule::reportRelocatable(const QString &name, const QString &path)
{
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(m_elf, &shstrndx) != 0) {
        m_error = QStringLiteral("no section headers");
        return false;
    }
    constexpr GElf_Addr layoutBase = 0x10000;
    GElf_Addr end = layoutBase;
    Elf_Scn *scn = nullptr;
    while ((scn = elf_nextscn(m_elf, scn)) != nullptr) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_ALLOC))
            continue;
        const GElf_Xword align = shdr.sh_addralign > 1 ? shdr.sh_addralign : 1;
        end = (end + align - 1) & ~(align - 1);
        m_layout.insert(GElf_Word(elf_ndxscn(scn)), end);
        end += shdr.sh_size;
    }
    m_dwfl = dwfl_begin(&relocatableCallbacks);
    if (!m_dwfl) {
        m_error = QString::fromUtf8(dwfl_errmsg(-1));
        return false;
    }
    m_path = QFile::encodeName(path);
    dwfl_report_begin(m_dwfl);
    m_mod = dwfl_report_module(m_dwfl, name.toUtf8().constData(), layoutBase, std::max(end, layoutBase + 1));
    if (!m_mod || dwfl_report_end(m_dwfl, nullptr, nullptr) != 0) {
        m_error = QStringLiteral("libdwfl: %1").arg(QString::fromUtf8(dwfl_errmsg(-1)));
        m_mod = nullptr;
        return false;
    }
    void **userdata = nullptr;
    dwfl_module_info(m_mod, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    *userdata = this;
    GElf_Addr bias = 0;
    if (!dwfl_module_getelf(m_mod, &bias)) { // hands m_elf over through findElf
        m_error = QStringLiteral("libdwfl: %1").arg(QString::fromUtf8(dwfl_errmsg(-1)));
        return false;
    }
    return finishLoad();
}

bool LoadedModule::finishLoad()
{
    indexSections();
    indexSymbols();
    return true;
}

int LoadedModule::findElf(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, char **fileName, Elf **elfp)
{
    auto *self = static_cast<LoadedModule *>(*userdata);
    if (!self || !self->m_elf)
        return -1;
    *elfp = self->m_elf; // libdwfl owns it from now on
    self->m_elf = nullptr;
    *fileName = strdup(self->m_path.constData());
    return -1;
}

int LoadedModule::sectionAddress(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, const char *,
                                 GElf_Word shndx, const GElf_Shdr *, Dwarf_Addr *addr)
{
    auto *self = static_cast<LoadedModule *>(*userdata);
    const auto it = self ? self->m_layout.constFind(shndx) : decltype(self->m_layout)::const_iterator();
    if (!self || it == self->m_layout.cend())
        return -1;
    *addr = *it;
    return 0;
}

int LoadedModule::machine() const
{
    GElf_Addr bias = 0;
    Elf *elf = m_mod ? dwfl_module_getelf(m_mod, &bias) : nullptr;
    GElf_Ehdr ehdr;
    return elf && gelf_getehdr(elf, &ehdr) ? ehdr.e_machine : 0;
}

bool LoadedModule::sectionAt(quint64 address, const QList<QPair<QString, quint64>> &loaded, QString *section,
                             quint64 *offset) const
{
    for (const auto &[name, base] : loaded) {
        const auto it = m_sections.constFind(name);
        if (it != m_sections.cend() && address >= base && address - base < std::max<GElf_Xword>(it->size, 1)) {
            *section = name;
            *offset = address - base;
            return true;
        }
    }
    return false;
}

std::optional<GElf_Addr> LoadedModule::symbolAddress(const QString &function, quint64 offset) const
{
    const auto it = m_symbols.constFind(function.toUtf8());
    if (it == m_symbols.cend() || it->isEmpty())
        return std::nullopt;
    // Several symbols of one name (static functions in different files): prefer a
    // function the offset fits in; kallsyms' /size is not the ELF size, so it cannot help.
    const Symbol *best = &it->first();
    for (const Symbol &s : *it) {
        if (s.function && offset < s.size) {
            best = &s;
            break;
        }
    }
    return best->address + offset;
}

std::optional<GElf_Addr> LoadedModule::fromLoadAddress(quint64 address,
                                                       const QList<QPair<QString, quint64>> &loaded) const
{
    std::optional<GElf_Addr> result;
    quint64 bestBase = 0;
    for (const auto &[name, base] : loaded) {
        const auto it = m_sections.constFind(name);
        if (it == m_sections.cend() || address < base || address - base >= it->size)
            continue;
        if (!result || base > bestBase) {
            bestBase = base;
            result = it->address + (address - base);
        }
    }
    return result;
}

std::optional<GElf_Off> LoadedModule::symbolOffset(GElf_Addr address) const
{
    GElf_Off offset = 0;
    GElf_Sym sym;
    if (!dwfl_module_addrinfo(m_mod, address, &offset, &sym, nullptr, nullptr, nullptr))
        return std::nullopt;
    return offset;
}

std::optional<QPair<QString, GElf_Off>> LoadedModule::symbolAt(GElf_Addr address) const
{
    GElf_Off offset = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(m_mod, address, &offset, &sym, nullptr, nullptr, nullptr);
    if (!name)
        return std::nullopt;
    return qMakePair(QString::fromUtf8(name), offset);
}

const SourceLocation &LoadedModule::locate(GElf_Addr address)
{
    auto it = m_cache.find(address);
    if (it == m_cache.end())
        it = m_cache.insert(address, computeLocation(address));
    return *it;
}

void LoadedModule::indexSections()
{
    GElf_Addr bias = 0;
    Elf *elf = dwfl_module_getelf(m_mod, &bias);
    size_t shstrndx = 0;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return;
    Elf_Scn *scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_ALLOC))
            continue;
        const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
        const auto laid = m_layout.constFind(GElf_Word(elf_ndxscn(scn)));
        const GElf_Addr address = laid != m_layout.cend() ? *laid : shdr.sh_addr + bias;
        if (name && !m_sections.contains(QString::fromUtf8(name)))
            m_sections.insert(QString::fromUtf8(name), {address, shdr.sh_size});
    }
}

void LoadedModule::indexSymbols()
{
    const int count = dwfl_module_getsymtab(m_mod);
    for (int i = 1; i < count; ++i) {
        GElf_Sym sym;
        GElf_Addr address = 0;
        GElf_Word shndx = 0;
        const char *name = dwfl_module_getsym_info(m_mod, i, &sym, &address, &shndx, nullptr, nullptr);
        if (!name || !*name || name[0] == '$') // ARM/arm64 mapping symbols ($a, $d, $x)
            continue;
        const int type = GELF_ST_TYPE(sym.st_info);
        if (shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE)
            continue;
        Symbol s{address, sym.st_size, type == STT_FUNC};
        auto &list = m_symbols[QByteArray(name)];
        // Functions first: a data symbol of the same name is a last resort.
        if (s.function) {
            auto pos = std::find_if(list.begin(), list.end(), [](const Symbol &o) { return !o.function; });
            list.insert(pos, s);
        } else {
            list.append(s);
        }
    }
}

QString LoadedModule::absolutePath(const char *name, const QString &compDir)
{
    QString path = QString::fromUtf8(name);
    if (!path.startsWith(QLatin1Char('/')) && !compDir.isEmpty())
        path = compDir + QLatin1Char('/') + path;
    return QDir::cleanPath(path);
}

SourceLocation LoadedModule::computeLocation(GElf_Addr address)
{
    SourceLocation loc;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = dwfl_module_addrdie(m_mod, address, &bias);
    if (!cudie) {
        loc.error = symbolerror::NoLineInfo;
        return loc;
    }
    Dwarf_Attribute attr;
    const char *compDirC = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr));
    const QString compDir = compDirC ? QString::fromUtf8(compDirC) : QString();

    if (Dwfl_Line *line = dwfl_module_getsrc(m_mod, address)) {
        int lineNo = 0;
        int column = 0;
        if (const char *src = dwfl_lineinfo(line, nullptr, &lineNo, &column, nullptr, nullptr)) {
            loc.file = absolutePath(src, compDir);
            loc.line = lineNo;
            loc.column = column;
        }
    }
    if (loc.file.isEmpty()) {
        loc.error = symbolerror::NoLineInfo;
        return loc;
    }

    // The inline chain, innermost scope first.
    QList<Dwarf_Die> scopes = scopesAt(cudie, address - bias);
    Dwarf_Files *files = nullptr;
    if (scopes.size() > 1 && dwarf_getsrcfiles(cudie, &files, nullptr) == 0) {
        for (qsizetype i = 0; i < scopes.size(); ++i) {
            Dwarf_Die *die = &scopes[i];
            if (dwarf_tag(die) != DW_TAG_inlined_subroutine)
                continue;
            if (loc.inlinedBy.isEmpty())
                loc.inlinedFunction = dieName(die);
            InlineCaller caller;
            for (qsizetype j = i + 1; j < scopes.size(); ++j) {
                const int tag = dwarf_tag(&scopes[j]);
                if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
                    caller.function = dieName(&scopes[j]);
                    break;
                }
            }
            Dwarf_Word value = 0;
            if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &value) == 0) {
                if (const char *file = dwarf_filesrc(files, value, nullptr, nullptr))
                    caller.file = absolutePath(file, compDir);
            }
            if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &value) == 0)
                caller.line = int(value);
            if (dwarf_formudata(dwarf_attr(die, DW_AT_call_column, &attr), &value) == 0)
                caller.column = int(value);
            loc.inlinedBy.append(caller);
        }
    }
    return loc;
}

QList<Dwarf_Die> LoadedModule::scopesAt(Dwarf_Die *cudie, Dwarf_Addr pc)
{
    QList<Dwarf_Die> chain;
    const QList<FunctionRange> &functions = functionIndex(cudie);
    auto it = std::upper_bound(functions.cbegin(), functions.cend(), pc,
                               [](Dwarf_Addr a, const FunctionRange &r) { return a < r.low; });
    Dwarf_Die die;
    if (it != functions.cbegin() && pc < (it - 1)->high
        && dwarf_offdie(dwarf_cu_getdwarf(cudie->cu), (it - 1)->die, &die)) {
        chain.append(die);
        Dwarf_Die inner;
        while (childContaining(&chain.last(), pc, &inner))
            chain.append(inner);
        std::reverse(chain.begin(), chain.end());
        return chain;
    }
    // Not in a top-level function (unusual producers): dwarf_getscopes finds the innermost
    // scope but stops at an inlined function's abstract origin; dwarf_getscopes_die from
    // there walks the concrete tree outward.
    Dwarf_Die *scopes = nullptr;
    const int n = dwarf_getscopes(cudie, pc, &scopes);
    if (n > 0) {
        Dwarf_Die innermost = scopes[0];
        free(scopes);
        scopes = nullptr;
        const int m = dwarf_getscopes_die(&innermost, &scopes);
        for (int i = 0; i < m; ++i)
            chain.append(scopes[i]);
    }
    free(scopes);
    return chain;
}

bool LoadedModule::childContaining(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *result)
{
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0)
        return false;
    do {
        const int tag = dwarf_tag(&child);
        if (tag != DW_TAG_lexical_block && tag != DW_TAG_inlined_subroutine)
            continue;
        if (dwarf_haspc(&child, pc) == 1) {
            *result = child;
            return true;
        }
        if (tag == DW_TAG_lexical_block && !dwarf_hasattr(&child, DW_AT_low_pc) && !dwarf_hasattr(&child, DW_AT_ranges)
            && childContaining(&child, pc, result))
            return true;
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

const QList<LoadedModule::FunctionRange> &LoadedModule::functionIndex(Dwarf_Die *cudie)
{
    const Dwarf_Off key = dwarf_dieoffset(cudie);
    auto it = m_functions.find(key);
    if (it != m_functions.end())
        return *it;
    QList<FunctionRange> ranges;
    Dwarf_Die child;
    if (dwarf_child(cudie, &child) == 0) {
        do {
            if (dwarf_tag(&child) != DW_TAG_subprogram)
                continue;
            Dwarf_Addr base = 0;
            Dwarf_Addr start = 0;
            Dwarf_Addr end = 0;
            ptrdiff_t offset = 0;
            while ((offset = dwarf_ranges(&child, offset, &base, &start, &end)) > 0) {
                if (end > start)
                    ranges.append({start, end, dwarf_dieoffset(&child)});
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const FunctionRange &a, const FunctionRange &b) { return a.low < b.low; });
    return *m_functions.insert(key, ranges);
}

} // namespace kms
