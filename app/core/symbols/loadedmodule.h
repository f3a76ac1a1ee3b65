// One module's ELF and DWARF (a .ko or a vmlinux) loaded through elfutils' libdwfl, with the
// lookups the symbolizer needs: symbols, sections, and file:line:column with the inline chain of
// an address. Internal to app/core/symbols (the Symbolizer owns and caches these).
#pragma once

#include "report/kernelreport.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <optional>

namespace kms {

// Where an address lies in the source.
struct SourceLocation {
    QString file; // as recorded in DWARF, made absolute; not yet mapped
    int line = 0;
    int column = 0;
    QString inlinedFunction; // the inlined function file:line is in, empty when not inlined
    QList<InlineCaller> inlinedBy;
    QString error;
};

class LoadedModule
{
public:
    LoadedModule() = default;
    ~LoadedModule();
    LoadedModule(const LoadedModule &) = delete;
    LoadedModule &operator=(const LoadedModule &) = delete;

    // Loads the file once; false and error() when it cannot be used.
    bool load(const QString &name, const QString &path);

    const QString &error() const { return m_error; }
    Dwfl_Module *dwflModule() const { return m_mod; }
    int machine() const; // EM_* of the file, 0 when unknown

    // The section containing a load address (given section bases), with the offset in it.
    bool sectionAt(quint64 address, const QList<QPair<QString, quint64>> &loaded, QString *section,
                   quint64 *offset) const;
    // The address of func+offset in libdwfl's layout; nullopt when there is no such symbol.
    std::optional<GElf_Addr> symbolAddress(const QString &function, quint64 offset) const;
    // A load address (section loaded at the given base) in libdwfl's layout.
    std::optional<GElf_Addr> fromLoadAddress(quint64 address, const QList<QPair<QString, quint64>> &loaded) const;
    // Offset of an address from the start of the symbol containing it, if any.
    std::optional<GElf_Off> symbolOffset(GElf_Addr address) const;
    // The symbol containing an address and the offset in it.
    std::optional<QPair<QString, GElf_Off>> symbolAt(GElf_Addr address) const;
    // file:line:column and inline chain of an address in libdwfl's layout (cached).
    const SourceLocation &locate(GElf_Addr address);

private:
    struct Symbol {
        GElf_Addr address = 0; // in libdwfl's layout of the module
        GElf_Xword size = 0;
        bool function = false;
    };
    struct Section {
        GElf_Addr address = 0; // in libdwfl's layout
        GElf_Xword size = 0;
    };
    struct FunctionRange {
        Dwarf_Addr low = 0;
        Dwarf_Addr high = 0;
        Dwarf_Off die = 0;
    };

    // Maps the whole image privately and prefaulted: libdwfl applies the DWARF relocations in
    // place, and faulting each page in on first write (copy-on-write, one TLB flush each) costs
    // more than all the rest of loading a module on some virtual machines.
    bool loadImage(int fd);
    bool reportOffline(const QString &name, const QString &path, int fd);
    // A relocatable module: its allocated sections laid out one after the other (each at its
    // alignment), as dwfl_offline_section_address would, reported with that layout so that
    // libdwfl relocates symbols and DWARF against it.
    bool reportRelocatable(const QString &name, const QString &path);
    bool finishLoad();
    void indexSections();
    void indexSymbols();
    SourceLocation computeLocation(GElf_Addr address);
    // The scopes containing pc (a DWARF address), innermost first, through the CU's function
    // index: a top-level walk of a kernel CU (thousands of type DIEs from headers) is done once
    // per CU instead of once per lookup, as dwarf_getscopes would.
    QList<Dwarf_Die> scopesAt(Dwarf_Die *cudie, Dwarf_Addr pc);
    // The lexical block or inlined call directly under `parent` whose code contains pc; blocks
    // without addresses of their own are looked through.
    static bool childContaining(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *result);
    const QList<FunctionRange> &functionIndex(Dwarf_Die *cudie);
    static QString absolutePath(const char *name, const QString &compDir);

    static int findElf(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, char **fileName, Elf **elfp);
    static int sectionAddress(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, const char *, GElf_Word shndx,
                              const GElf_Shdr *, Dwarf_Addr *addr);
    static const Dwfl_Callbacks relocatableCallbacks;

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
    QHash<GElf_Addr, SourceLocation> m_cache;
    QHash<Dwarf_Off, QList<FunctionRange>> m_functions; // per CU (by DIE offset)
};

} // namespace kms
