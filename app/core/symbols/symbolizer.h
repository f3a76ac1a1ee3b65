// Resolves the frames of kernel reports to file:line:column and inline chains, in process, through
// elfutils' libdwfl; disassembles a report's Code: bytes.
#pragma once

#include "report/kernelreport.h"
#include "symbols/modulecatalog.h"
#include "symbols/pathmap.h"
#include "symbols/sectionstarts.h"

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>
#include <optional>

struct Dwfl_Module;

namespace kms {

class DebuginfodClient;

// The reasons a frame stays unresolved (Frame::error), as the JSON contract names them.
namespace symbolerror {
inline const QString ModuleNotGiven = QStringLiteral("module not given");
inline const QString Stripped = QStringLiteral("stripped (no debug info)");
inline const QString BuildIdMismatch = QStringLiteral("build-id mismatch");
inline const QString SymbolNotFound = QStringLiteral("symbol not found");
inline const QString NoVmlinux = QStringLiteral("no vmlinux given");
inline const QString NoSectionAddresses = QStringLiteral("address only, section addresses not given");
inline const QString AddressOutsideSections = QStringLiteral("address outside the given sections");
inline const QString NoLineInfo = QStringLiteral("no line information");
// The prefix of a frame's error while its debug file is being fetched (debuginfod).
inline const QString DebuginfodPending = QStringLiteral("debuginfod: still fetching");
} // namespace symbolerror

// Whether a resolved report has frames whose debug file is still being fetched.
bool waitsForDebuginfod(const KernelReport &report);

class Symbolizer
{
public:
    // The catalog must outlive the symbolizer and not change while it is used.
    explicit Symbolizer(const ModuleCatalog &catalog, PathMap paths = {});
    ~Symbolizer();
    Symbolizer(const Symbolizer &) = delete;
    Symbolizer &operator=(const Symbolizer &) = delete;

    // Debug files by build id, for modules given stripped or not given at all and for the
    // kernel when no debug vmlinux is given. A resolve waits at most waitMs for a fetch
    // (negative: until it ends); a frame whose fetch still runs says so in its error. The client
    // may be shared (its answers are kept per build id for its life).
    void setDebuginfod(std::shared_ptr<DebuginfodClient> client, int waitMs = -1);
    // A build id the trace does not print: a module's (from /sys/module/NAME/notes on the node)
    // or, for module "vmlinux", the kernel's (from /sys/kernel/notes). Hex, any case.
    void setBuildId(const QString &module, const QByteArray &buildIdHex);

    // Load addresses of a module's sections (e.g. {".text", 0xffffffffc0a00000}, as in
    // /sys/module/NAME/sections/), for frames printed with absolute addresses only.
    void setSectionAddresses(const QString &module, const QList<QPair<QString, quint64>> &sections);

    // Fills every frame's file/line/column/inlinedBy/sourceExists/error and report.code's
    // disassembly. Modules are loaded once (on first use) and lookups are cached: resolving the
    // same report again is cheap.
    void resolve(KernelReport &report);
    // One frame (what resolve(report) does for each).
    void resolve(Frame &frame);
    // The function containing an address of a module loaded at the section addresses given
    // with setSectionAddresses, and the offset in it (function+offset as kallsyms would print).
    std::optional<QPair<QString, quint64>> functionAt(const QString &module, quint64 loadAddress);

    // Fault explanation (app/core/explain) after resolving, on by default; off only to measure
    // what it costs.
    void setExplainFaults(bool on);

    // Where a frame's address lies in its module's DWARF, for readers of variables and types
    // (app/core/explain): the libdwfl module (owned by the symbolizer) and the address in its
    // layout. *error says why not (the Frame::error reasons, or an architecture mismatch).
    struct DwarfSite {
        Dwfl_Module *module = nullptr;
        quint64 address = 0;
        int elfMachine = 0; // EM_* of the module file
    };
    std::optional<DwarfSite> dwarfSite(const Frame &frame, QString *error);

    // The module section (from setSectionAddresses) containing a load address.
    bool sectionAt(quint64 address, QString *module, QString *section, quint64 *offset) const;
    // Every module's section addresses given with setSectionAddresses (by normalized name).
    QHash<QString, SectionAddresses> sectionAddresses() const;
    // The section of `module` loaded at `sections` that holds `address`, with the sizes from the
    // module's file: true/false, or nullopt when the file is not at hand (no sizes).
    std::optional<bool> sectionIn(const QString &module, const SectionAddresses &sections, quint64 address,
                                  QString *section, quint64 *offset) const;

    // Loads that have been unloaded since (oldest first): a fault address in one of them, and
    // in no section given with setSectionAddresses, is named in the fault explanation as the
    // code or data of that earlier load (app/core/explain/loadsections.h).
    void setEarlierLoads(QList<EarlierLoad> loads);
    const QList<EarlierLoad> &earlierLoads() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kms
