#include "symbols/symbolizer.h"

#include "explain/faultexplainer.h"
#include "symbols/debuginfod.h"
#include "symbols/disassembler.h"
#include "symbols/elfimage.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

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

struct Location {
    QString file; // as recorded in DWARF, made absolute; not yet mapped
    int line = 0;
    int column = 0;
    QString inlinedFunction; // the inlined function file:line is in, empty when not inlined
    QList<InlineCaller> inlinedBy;
    QString error;
};

struct Symbol {
    GElf_Addr address = 0; // in libdwfl's layout of the module
    GElf_Xword size = 0;
    bool function = false;
};

struct Section {
    GElf_Addr address = 0; // in libdwfl's layout
    GElf_Xword size = 0;
};

QString dieName(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    return name ? QString::fromUtf8(name) : QString();
}

class LoadedModule
{
public:
    ~LoadedModule()
    {
        if (m_dwfl)
            dwfl_end(m_dwfl); // ends m_elf too, once handed over
        else if (m_elf)
            elf_end(m_elf);
        if (m_image)
            munmap(m_image, m_imageSize);
    }

    bool load(const QString &name, const QString &path)
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

private:
    // Maps the whole image privately and prefaulted: libdwfl applies the DWARF relocations in
    // place, and faulting each page in on first write (copy-on-write, one TLB flush each) costs
    // more than all the rest of loading a module on some virtual machines.
    bool loadImage(int fd)
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

    bool reportOffline(const QString &name, const QString &path, int fd)
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

    // A relocatable module: its allocated sections laid out one after the other (each at its
    // alignment), as dwfl_offline_section_address would, reported with that layout so that
    // libdwfl relocates symbols and DWARF against it.
    bool reportRelocatable(const QString &name, const QString &path)
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

    bool finishLoad()
    {
        indexSections();
        indexSymbols();
        return true;
    }

    static int findElf(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, char **fileName, Elf **elfp)
    {
        auto *self = static_cast<LoadedModule *>(*userdata);
        if (!self || !self->m_elf)
            return -1;
        *elfp = self->m_elf; // libdwfl owns it from now on
        self->m_elf = nullptr;
        *fileName = strdup(self->m_path.constData());
        return -1;
    }

    static int sectionAddress(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, const char *, GElf_Word shndx,
                              const GElf_Shdr *, Dwarf_Addr *addr)
    {
        auto *self = static_cast<LoadedModule *>(*userdata);
        const auto it = self ? self->m_layout.constFind(shndx) : decltype(self->m_layout)::const_iterator();
        if (!self || it == self->m_layout.cend())
            return -1;
        *addr = *it;
        return 0;
    }

    static const Dwfl_Callbacks relocatableCallbacks;

public:
    const QString &error() const { return m_error; }
    Dwfl_Module *dwflModule() const { return m_mod; }
    int machine() const
    {
        GElf_Addr bias = 0;
        Elf *elf = m_mod ? dwfl_module_getelf(m_mod, &bias) : nullptr;
        GElf_Ehdr ehdr;
        return elf && gelf_getehdr(elf, &ehdr) ? ehdr.e_machine : 0;
    }
    // The section containing a load address (given section bases), with the offset in it.
    bool sectionAt(quint64 address, const QList<QPair<QString, quint64>> &loaded, QString *section,
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

    // The address of func+offset in libdwfl's layout; nullopt when there is no such symbol.
    std::optional<GElf_Addr> symbolAddress(const QString &function, quint64 offset) const
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

    // A load address (section loaded at the given base) in libdwfl's layout.
    std::optional<GElf_Addr> fromLoadAddress(quint64 address, const QList<QPair<QString, quint64>> &loaded) const
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

    // Offset of an address from the start of the symbol containing it, if any.
    std::optional<GElf_Off> symbolOffset(GElf_Addr address) const
    {
        GElf_Off offset = 0;
        GElf_Sym sym;
        if (!dwfl_module_addrinfo(m_mod, address, &offset, &sym, nullptr, nullptr, nullptr))
            return std::nullopt;
        return offset;
    }

    // The symbol containing an address and the offset in it.
    std::optional<QPair<QString, GElf_Off>> symbolAt(GElf_Addr address) const
    {
        GElf_Off offset = 0;
        GElf_Sym sym;
        const char *name = dwfl_module_addrinfo(m_mod, address, &offset, &sym, nullptr, nullptr, nullptr);
        if (!name)
            return std::nullopt;
        return qMakePair(QString::fromUtf8(name), offset);
    }

    const Location &locate(GElf_Addr address)
    {
        auto it = m_cache.find(address);
        if (it == m_cache.end())
            it = m_cache.insert(address, computeLocation(address));
        return *it;
    }

private:
    void indexSections()
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

    void indexSymbols()
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

    static QString absolutePath(const char *name, const QString &compDir)
    {
        QString path = QString::fromUtf8(name);
        if (!path.startsWith(QLatin1Char('/')) && !compDir.isEmpty())
            path = compDir + QLatin1Char('/') + path;
        return QDir::cleanPath(path);
    }

    Location computeLocation(GElf_Addr address)
    {
        Location loc;
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

    struct FunctionRange {
        Dwarf_Addr low = 0;
        Dwarf_Addr high = 0;
        Dwarf_Off die = 0;
    };

    // The scopes containing pc (a DWARF address), innermost first, through the CU's function
    // index: a top-level walk of a kernel CU (thousands of type DIEs from headers) is done once
    // per CU instead of once per lookup, as dwarf_getscopes would.
    QList<Dwarf_Die> scopesAt(Dwarf_Die *cudie, Dwarf_Addr pc)
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

    // The lexical block or inlined call directly under `parent` whose code contains pc; blocks
    // without addresses of their own are looked through.
    static bool childContaining(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *result)
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
            if (tag == DW_TAG_lexical_block && !dwarf_hasattr(&child, DW_AT_low_pc)
                && !dwarf_hasattr(&child, DW_AT_ranges) && childContaining(&child, pc, result))
                return true;
        } while (dwarf_siblingof(&child, &child) == 0);
        return false;
    }

    const QList<FunctionRange> &functionIndex(Dwarf_Die *cudie)
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

    Dwfl *m_dwfl = nullptr;
    Dwfl_Module *m_mod = nullptr;
    void *m_image = nullptr; // the module's image, mapped privately (relocated in place)
    size_t m_imageSize = 0;
    Elf *m_elf = nullptr; // on m_image, until libdwfl takes it
    QByteArray m_path;
    QHash<GElf_Word, GElf_Addr> m_layout; // section index -> address
    QString m_error;
    QHash<QByteArray, QList<Symbol>> m_symbols;
    QHash<QString, Section> m_sections;
    QHash<GElf_Addr, Location> m_cache;
    QHash<Dwarf_Off, QList<FunctionRange>> m_functions; // per CU (by DIE offset)
};

const Dwfl_Callbacks LoadedModule::relocatableCallbacks = {
    .find_elf = LoadedModule::findElf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = LoadedModule::sectionAddress,
    .debuginfo_path = &debuginfoPath,
};

void clearResolution(Frame &frame)
{
    frame.file.clear();
    frame.buildFile.clear();
    frame.line = 0;
    frame.column = 0;
    frame.sourceExists = false;
    frame.inlinedFunction.clear();
    frame.inlinedBy.clear();
    frame.error.clear();
}

} // namespace

struct Symbolizer::Private {
    const ModuleCatalog &catalog;
    PathMap paths;
    QHash<QString, QList<QPair<QString, quint64>>> sections; // normalized module name -> bases
    QHash<QString, std::shared_ptr<LoadedModule>> loaded; // by file path
    bool explainFaults = true;
    std::shared_ptr<DebuginfodClient> debuginfod;
    int debuginfodWaitMs = -1;
    QHash<QString, QByteArray> buildIds; // normalized module name ("vmlinux": the kernel) -> hex
    QSet<QByteArray> waitedFor; // build ids already waited for in this resolve(report)

    Private(const ModuleCatalog &c, PathMap p)
        : catalog(c)
        , paths(std::move(p))
    {
    }

    LoadedModule *module(const ModuleCatalog::Entry &entry) { return module(entry.name, entry.path); }

    LoadedModule *module(const QString &name, const QString &path)
    {
        auto &slot = loaded[path];
        if (!slot) {
            slot = std::make_shared<LoadedModule>();
            slot->load(name, path);
        }
        return slot.get();
    }

    // The debug file for a build id through debuginfod; empty and *error when there is none
    // (yet). `fallback` is the error when debuginfod is off or no build id is known.
    QString fetchDebugFile(const QByteArray &buildId, const QString &fallback, QString *error)
    {
        if (!debuginfod || !debuginfod->enabled() || buildId.isEmpty()) {
            *error = fallback;
            return {};
        }
        // A report's frames share build ids: wait once per report, not once per frame.
        const int waitMs = waitedFor.contains(buildId) ? 0 : debuginfodWaitMs;
        waitedFor.insert(buildId);
        const DebuginfodClient::Result result = debuginfod->find(buildId, waitMs);
        if (!result.found())
            *error = result.error;
        return result.path;
    }

    // The catalog entry for a frame's module, or the reason there is none.
    const ModuleCatalog::Entry *entryFor(const Frame &frame, QString *error) const
    {
        const QList<const ModuleCatalog::Entry *> candidates = catalog.findAll(frame.module);
        if (frame.buildId.isEmpty()) {
            if (candidates.isEmpty())
                *error = symbolerror::ModuleNotGiven;
            return candidates.isEmpty() ? nullptr : candidates.first();
        }
        const QByteArray wanted = frame.buildId.toLower().toLatin1();
        for (const auto *entry : candidates) {
            if (entry->buildId == wanted)
                return entry;
        }
        if (!candidates.isEmpty()) {
            // A module without a build-id note cannot be checked: use it.
            for (const auto *entry : candidates) {
                if (entry->buildId.isEmpty())
                    return entry;
            }
            *error = symbolerror::BuildIdMismatch;
            return nullptr;
        }
        if (const auto *entry = catalog.findByBuildId(wanted))
            return entry;
        *error = symbolerror::ModuleNotGiven;
        return nullptr;
    }

    void apply(Frame &frame, const Location &loc) const
    {
        if (!loc.error.isEmpty()) {
            frame.error = loc.error;
            return;
        }
        frame.file = paths.map(loc.file);
        frame.buildFile = loc.file;
        frame.line = loc.line;
        frame.column = loc.column;
        frame.sourceExists = QFileInfo::exists(frame.file);
        frame.inlinedFunction = loc.inlinedFunction;
        frame.inlinedBy = loc.inlinedBy;
        for (InlineCaller &caller : frame.inlinedBy) {
            caller.buildFile = caller.file;
            caller.file = paths.map(caller.file);
        }
    }

    // Modules whose given sections contain the address (frames with no module name).
    QString moduleAt(quint64 address) const
    {
        for (auto it = sections.cbegin(); it != sections.cend(); ++it) {
            const ModuleCatalog::Entry *entry = catalog.find(it.key());
            if (!entry)
                continue;
            LoadedModule *mod = const_cast<Private *>(this)->module(*entry);
            if (mod->error().isEmpty() && mod->fromLoadAddress(address, *it))
                return it.key();
        }
        return {};
    }

    void resolveIn(Frame &frame, LoadedModule *mod, const QList<QPair<QString, quint64>> *bases, bool linkAddresses)
    {
        if (const auto address = addressIn(frame, mod, bases, linkAddresses))
            apply(frame, mod->locate(*address));
    }

    // The frame's lookup address in the module's layout, or nullopt and frame.error.
    std::optional<GElf_Addr> addressIn(Frame &frame, LoadedModule *mod, const QList<QPair<QString, quint64>> *bases,
                                       bool linkAddresses)
    {
        if (!mod->error().isEmpty()) {
            frame.error = mod->error();
            return std::nullopt;
        }
        std::optional<GElf_Addr> address;
        if (!frame.function.isEmpty() && frame.offset) {
            address = mod->symbolAddress(frame.function, *frame.offset);
            if (!address) {
                frame.error = symbolerror::SymbolNotFound;
                return std::nullopt;
            }
            // Return addresses point after the call: look up the call itself. A return address
            // at offset 0 (a call that never returns, at the end of the previous function) stays.
            if (!frame.exactPc && *frame.offset > 0)
                *address -= 1;
        } else if (frame.address) {
            if (linkAddresses) {
                address = *frame.address;
            } else if (!bases || bases->isEmpty()) {
                frame.error = symbolerror::NoSectionAddresses;
                return std::nullopt;
            } else {
                address = mod->fromLoadAddress(*frame.address, *bases);
                if (!address) {
                    frame.error = symbolerror::AddressOutsideSections;
                    return std::nullopt;
                }
            }
            if (!frame.exactPc) {
                const std::optional<GElf_Off> offset = mod->symbolOffset(*address);
                if (!offset || *offset > 0)
                    *address -= 1;
            }
        } else {
            frame.error = symbolerror::SymbolNotFound;
            return std::nullopt;
        }
        return address;
    }

    void resolve(Frame &frame)
    {
        clearResolution(frame);
        const QList<QPair<QString, quint64>> *bases = nullptr;
        bool link = false;
        if (LoadedModule *mod = moduleFor(frame, &bases, &link))
            resolveIn(frame, mod, bases, link);
    }

    // The loaded module a frame lies in, or nullptr and frame.error.
    LoadedModule *moduleFor(Frame &frame, const QList<QPair<QString, quint64>> **basesOut, bool *link)
    {
        QString moduleName = frame.module;
        if (moduleName.isEmpty() && frame.address && frame.function.isEmpty())
            moduleName = moduleAt(*frame.address);

        if (moduleName.isEmpty()) {
            const ModuleCatalog::Entry *vmlinux = catalog.vmlinux();
            *link = true;
            if (vmlinux && vmlinux->hasDebugInfo)
                return module(*vmlinux);
            // The build id read on the node (what runs), else the one a stripped vmlinux names.
            QByteArray id = buildIds.value(QStringLiteral("vmlinux"));
            if (id.isEmpty() && vmlinux)
                id = vmlinux->buildId;
            QString error;
            const QString path = fetchDebugFile(id, vmlinux ? symbolerror::Stripped : symbolerror::NoVmlinux, &error);
            if (path.isEmpty()) {
                frame.error = error;
                return nullptr;
            }
            return module(QStringLiteral("vmlinux"), path);
        }

        Frame lookup = frame;
        lookup.module = moduleName;
        const QString normalized = ModuleCatalog::normalizedName(moduleName);
        const auto bases = sections.constFind(normalized);
        *basesOut = bases == sections.cend() ? nullptr : &*bases;
        QString error;
        const ModuleCatalog::Entry *entry = entryFor(lookup, &error);
        if (entry && entry->hasDebugInfo)
            return module(*entry);
        // What ran wins: the build id the frame prints, then the one read on the node, then the
        // given file's.
        QByteArray id = frame.buildId.toLower().toLatin1();
        if (id.isEmpty())
            id = buildIds.value(normalized);
        if (id.isEmpty() && entry)
            id = entry->buildId;
        const QString path = fetchDebugFile(id, entry ? symbolerror::Stripped : error, &error);
        if (path.isEmpty()) {
            frame.error = error;
            return nullptr;
        }
        return module(normalized, path);
    }
};

Symbolizer::Symbolizer(const ModuleCatalog &catalog, PathMap paths)
    : d(std::make_unique<Private>(catalog, std::move(paths)))
{
}

Symbolizer::~Symbolizer() = default;

void Symbolizer::setSectionAddresses(const QString &module, const QList<QPair<QString, quint64>> &sections)
{
    d->sections.insert(ModuleCatalog::normalizedName(module), sections);
    // Cached lookups stay valid: they are keyed by the module's own layout, not by load address.
}

std::optional<QPair<QString, quint64>> Symbolizer::functionAt(const QString &module, quint64 loadAddress)
{
    const ModuleCatalog::Entry *entry = d->catalog.find(module);
    const auto bases = d->sections.constFind(ModuleCatalog::normalizedName(module));
    if (!entry || bases == d->sections.cend())
        return std::nullopt;
    LoadedModule *mod = d->module(*entry);
    if (!mod->error().isEmpty())
        return std::nullopt;
    const std::optional<GElf_Addr> address = mod->fromLoadAddress(loadAddress, *bases);
    if (!address)
        return std::nullopt;
    const auto symbol = mod->symbolAt(*address);
    if (!symbol)
        return std::nullopt;
    return qMakePair(symbol->first, quint64(symbol->second));
}

bool waitsForDebuginfod(const KernelReport &report)
{
    return std::any_of(report.frames.cbegin(), report.frames.cend(),
                       [](const Frame &f) { return f.error.startsWith(symbolerror::DebuginfodPending); });
}

void Symbolizer::setDebuginfod(std::shared_ptr<DebuginfodClient> client, int waitMs)
{
    d->debuginfod = std::move(client);
    d->debuginfodWaitMs = waitMs;
}

void Symbolizer::setBuildId(const QString &module, const QByteArray &buildIdHex)
{
    d->buildIds.insert(ModuleCatalog::normalizedName(module), buildIdHex.trimmed().toLower());
}

void Symbolizer::resolve(Frame &frame)
{
    d->waitedFor.clear();
    d->resolve(frame);
}

void Symbolizer::resolve(KernelReport &report)
{
    d->waitedFor.clear();
    for (Frame &frame : report.frames)
        d->resolve(frame);
    for (Frame &frame : report.registerFrames)
        d->resolve(frame);
    if (report.code && report.code->disassembly.isEmpty()) {
        std::optional<quint64> pc;
        for (const Register &reg : std::as_const(report.registers)) {
            const QString name = reg.name.toLower();
            if (name == QLatin1String("pc") || name == QLatin1String("rip") || name == QLatin1String("eip")
                || name == QLatin1String("ip")) {
                pc = reg.value;
                break;
            }
        }
        disassemble(*report.code, report.arch, pc);
    }
    if (d->explainFaults)
        report.explanation = explainFault(report, *this);
}

void Symbolizer::setExplainFaults(bool on)
{
    d->explainFaults = on;
}

std::optional<Symbolizer::DwarfSite> Symbolizer::dwarfSite(const Frame &frame, QString *error)
{
    Frame f = frame;
    clearResolution(f);
    const QList<QPair<QString, quint64>> *bases = nullptr;
    bool link = false;
    LoadedModule *mod = d->moduleFor(f, &bases, &link);
    std::optional<GElf_Addr> address;
    if (mod && mod->error().isEmpty())
        address = d->addressIn(f, mod, bases, link);
    else if (mod)
        f.error = mod->error();
    if (!address) {
        *error = f.error;
        return std::nullopt;
    }
    return DwarfSite{mod->dwflModule(), *address, mod->machine()};
}

bool Symbolizer::sectionAt(quint64 address, QString *module, QString *section, quint64 *offset) const
{
    for (auto it = d->sections.cbegin(); it != d->sections.cend(); ++it) {
        const ModuleCatalog::Entry *entry = d->catalog.find(it.key());
        if (!entry)
            continue;
        LoadedModule *mod = d->module(*entry);
        if (mod->error().isEmpty() && mod->sectionAt(address, *it, section, offset)) {
            *module = it.key();
            return true;
        }
    }
    return false;
}

} // namespace kms
