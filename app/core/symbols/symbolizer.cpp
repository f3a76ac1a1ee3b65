#include "symbols/symbolizer.h"

#include "explain/faultexplainer.h"
#include "symbols/debuginfod.h"
#include "symbols/disassembler.h"
#include "symbols/loadedmodule.h"

#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>

namespace kms {

namespace {

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
    QList<EarlierLoad> earlierLoads;
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

    void apply(Frame &frame, const SourceLocation &loc) const
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
        // The PC's own frame (RIP:, pc :, PC is at) names the trap's offset in its function.
        std::optional<quint64> pcOffset;
        for (const Frame &f : std::as_const(report.frames)) {
            if (f.exactPc) {
                if (!f.function.isEmpty())
                    pcOffset = f.offset;
                break;
            }
        }
        disassemble(*report.code, report.arch, pc, pcOffset);
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

QHash<QString, SectionAddresses> Symbolizer::sectionAddresses() const
{
    return d->sections;
}

std::optional<bool> Symbolizer::sectionIn(const QString &module, const SectionAddresses &sections, quint64 address,
                                          QString *section, quint64 *offset) const
{
    const ModuleCatalog::Entry *entry = d->catalog.find(module);
    if (!entry)
        return std::nullopt;
    LoadedModule *mod = d->module(*entry);
    if (!mod->error().isEmpty())
        return std::nullopt;
    return mod->sectionAt(address, sections, section, offset);
}

void Symbolizer::setEarlierLoads(QList<EarlierLoad> loads)
{
    d->earlierLoads = std::move(loads);
}

const QList<EarlierLoad> &Symbolizer::earlierLoads() const
{
    return d->earlierLoads;
}

} // namespace kms
