#include "explain/faultexplainer.h"

#include "explain/accessdecoder.h"
#include "explain/addresskind.h"
#include "explain/dwarftypes.h"
#include "explain/loadsections.h"
#include "explain/memberchain.h"
#include "symbols/symbolizer.h"

#include <QFile>

#include <dwarf.h>
#include <elf.h>

#include <algorithm>

namespace kms {

namespace {

QString hex(std::uint64_t v)
{
    return QStringLiteral("0x") + QString::number(v, 16);
}

const Frame *faultingFrame(const KernelReport &report)
{
    for (const Frame &f : report.frames) {
        if (f.exactPc)
            return &f;
    }
    return report.frames.isEmpty() ? nullptr : &report.frames.first();
}

int machineOf(Arch arch)
{
    switch (arch) {
    case Arch::X86_64:
        return EM_X86_64;
    case Arch::I386:
        return EM_386;
    case Arch::Arm:
        return EM_ARM;
    case Arch::Arm64:
        return EM_AARCH64;
    default:
        return 0;
    }
}

QString machineName(int machine)
{
    switch (machine) {
    case EM_X86_64:
        return QStringLiteral("x86_64");
    case EM_386:
        return QStringLiteral("i386");
    case EM_ARM:
        return QStringLiteral("arm");
    case EM_AARCH64:
        return QStringLiteral("arm64");
    default:
        return QStringLiteral("machine %1").arg(machine);
    }
}

QString readLine(const QString &path, int line)
{
    QFile f(path);
    if (line <= 0 || !f.open(QIODevice::ReadOnly))
        return {};
    int n = 0;
    while (!f.atEnd()) {
        const QByteArray text = f.readLine();
        if (++n == line)
            return QString::fromUtf8(text).trimmed();
    }
    return {};
}

// One dereference on a source line: `pointer` followed by the member path read through it.
struct Candidate {
    QString pointer; // "comm->shm"
    QString pointerType;
    bool rootOnly = false; // the pointer is the chain's root variable
    bool rootParameter = false;
    dwarf::Layout layout; // path, offset, size, bits, type of the member read
    bool variableIndex = false; // an index whose value is not on the line: offset is the constant part
    std::uint64_t elementSize = 0;
};

QList<Candidate> candidatesOf(const AccessChain &chain, const dwarf::Scope &scope)
{
    QList<Candidate> out;
    const auto root = scope.named(chain.root);
    if (!root)
        return out;
    Dwarf_Die type = root->type;
    std::optional<Candidate> open;
    for (int i = 0; i < chain.steps.size(); ++i) {
        const ChainStep &step = chain.steps[i];
        Dwarf_Die stripped = dwarf::strip(type);
        const bool pointer = dwarf_tag(&stripped) == DW_TAG_pointer_type;
        if (step.kind == ChainStep::Arrow || (step.kind == ChainStep::Index && pointer)) {
            const auto target = dwarf::pointee(&type);
            if (!target)
                return out;
            if (open)
                out.append(*open);
            Candidate c;
            c.pointer = chain.prefix(i);
            c.pointerType = dwarf::typeName(&type);
            c.rootOnly = i == 0;
            c.rootParameter = root->parameter;
            Dwarf_Die t = *target;
            if (step.kind == ChainStep::Arrow) {
                const auto m = dwarf::member(&t, step.name);
                if (!m)
                    return out;
                c.layout = *m;
            } else {
                const std::uint64_t es = dwarf::byteSize(&t).value_or(0);
                c.layout = {QStringLiteral("[%1]").arg(step.name),
                            step.index ? std::uint64_t(*step.index) * es : 0,
                            es,
                            -1,
                            0,
                            t};
                c.variableIndex = !step.index;
                c.elementSize = es;
            }
            type = c.layout.type;
            open = c;
            continue;
        }
        if (step.kind == ChainStep::Dot) {
            const auto m = dwarf::member(&type, step.name);
            if (!m)
                return out;
            if (open) {
                open->layout.path += QLatin1Char('.') + step.name;
                open->layout.offset += m->offset;
                open->layout.size = m->size;
                open->layout.bitOffset = m->bitOffset;
                open->layout.bitSize = m->bitSize;
                open->layout.type = m->type;
            }
            type = m->type;
            continue;
        }
        // An index into an array member.
        if (dwarf_tag(&stripped) != DW_TAG_array_type)
            return out;
        const auto elem = dwarf::typeOf(&stripped);
        if (!elem)
            return out;
        Dwarf_Die e = *elem;
        const std::uint64_t es = dwarf::byteSize(&e).value_or(0);
        if (open) {
            open->layout.path += QLatin1Char('[') + step.name + QLatin1Char(']');
            if (step.index)
                open->layout.offset += std::uint64_t(*step.index) * es;
            else {
                open->variableIndex = true;
                open->elementSize = es;
            }
            open->layout.size = es;
            open->layout.bitOffset = -1;
            open->layout.bitSize = 0;
            open->layout.type = e;
        }
        type = e;
    }
    if (open)
        out.append(*open);
    return out;
}

// How well a candidate fits the faulting offset: 0 not at all, 1 the offset falls inside it,
// 2 it starts there, 3 it starts there and has the access's size.
int fit(const Candidate &c, std::uint64_t offset, const MemoryAccess *access)
{
    if (c.variableIndex) {
        if (!access || access->index.isEmpty())
            return offset >= c.layout.offset ? 1 : 0;
        return c.layout.offset == std::uint64_t(access->displacement)
                && std::uint64_t(std::abs(access->scale)) == c.elementSize
            ? 3
            : 0;
    }
    const std::uint64_t size = std::max<std::uint64_t>(c.layout.size, 1);
    if (c.layout.bitSize > 0 && access && access->size > 0) {
        // A bitfield is read or written through a wider access of its storage (arm64 loads
        // the 8 bytes around it): the access must cover the bitfield's bytes.
        if (offset <= c.layout.offset && c.layout.offset + size <= offset + std::uint64_t(access->size))
            return 2;
    }
    if (offset < c.layout.offset || offset >= c.layout.offset + size)
        return 0;
    if (offset != c.layout.offset)
        return 1;
    return access && access->size > 0 && std::uint64_t(access->size) == c.layout.size ? 3 : 2;
}

MemberInfo memberInfo(const dwarf::Layout &l)
{
    MemberInfo m;
    m.chain = l.path;
    Dwarf_Die t = l.type;
    m.type = dwarf::typeName(&t);
    m.offset = l.offset;
    m.size = int(l.size);
    m.bitOffset = l.bitOffset;
    m.bitSize = l.bitSize;
    return m;
}

QString describePointerValue(const FaultExplanation &e)
{
    if (e.address.isEmpty() || !e.pointer || !e.pointer->value)
        return {};
    const AddressReading &r = e.address.first();
    const std::uint64_t v = *e.pointer->value;
    if (r.kind == QLatin1String("null"))
        return v == 0 ? QStringLiteral("is NULL") : QStringLiteral("is %1, an offset from NULL").arg(hex(v));
    if (r.kind.startsWith(QLatin1String("slab_")) || r.kind.startsWith(QLatin1String("redzone")))
        return QStringLiteral("holds %1").arg(r.text.section(QStringLiteral(" + "), 0, 0));
    if (r.kind.startsWith(QLatin1String("list_poison")))
        return QStringLiteral("is %1, %2").arg(hex(v), r.text.section(QStringLiteral(" + "), 0, 0));
    return QStringLiteral("is %1").arg(hex(v));
}

} // namespace

QString summarize(const FaultExplanation &e)
{
    QStringList parts;
    if (e.pointer) {
        QString s = QStringLiteral("`%1` (`%2`)").arg(e.pointer->expression, e.pointer->type);
        const QString value = describePointerValue(e);
        s += QLatin1Char(' ') + (value.isEmpty() ? QStringLiteral("is a bad pointer") : value);
        if (e.member) {
            s += QStringLiteral("; %1 `%2`")
                     .arg(e.access && e.access->write ? QStringLiteral("writing") : QStringLiteral("reading"),
                          e.member->chain);
            QString what = QStringLiteral("%1 at offset %2").arg(e.member->type, hex(e.member->offset));
            if (e.member->bitSize > 0)
                what += QStringLiteral(", bits %1..%2")
                            .arg(e.member->bitOffset)
                            .arg(e.member->bitOffset + e.member->bitSize - 1);
            s += QStringLiteral(" (%1)").arg(what);
        }
        parts << s + QLatin1Char('.');
    }
    if (e.access) {
        const MemoryAccess &a = *e.access;
        QString s = QStringLiteral("`%1` %2").arg(a.instruction,
                                                  a.write ? QStringLiteral("writes") : QStringLiteral("reads"));
        if (a.size > 0)
            s += QStringLiteral(" %1 byte%2").arg(a.size).arg(a.size == 1 ? QString() : QStringLiteral("s"));
        s += QStringLiteral(" at %1").arg(a.expression);
        if (a.address)
            s += QStringLiteral(" = %1").arg(hex(*a.address));
        if (a.matchesFault && !*a.matchesFault)
            s += QStringLiteral(" (the report says otherwise)");
        parts << s + QLatin1Char('.');
    }
    if (!e.address.isEmpty()) {
        QStringList readings;
        for (const AddressReading &r : e.address)
            readings << r.text;
        parts << QStringLiteral("Address: %1.").arg(readings.join(QStringLiteral(", or ")));
    }
    if (!e.error.isEmpty())
        parts << e.error + QLatin1Char('.');
    for (const QString &n : e.notes)
        parts << n + QLatin1Char('.');
    if (!e.confidence.isEmpty())
        parts << QStringLiteral("Confidence: %1.").arg(e.confidence);
    return parts.join(QLatin1Char(' '));
}

std::optional<FaultExplanation> explainFault(const KernelReport &report, Symbolizer &symbolizer)
{
    if (!report.faultAddress && report.kind != ReportKind::Gpf)
        return std::nullopt;
    FaultExplanation e;
    QString error;
    e.access = decodeAccess(report, &error);
    if (!e.access) {
        e.error = QStringLiteral("cannot explain the access: %1").arg(error);
    } else if (!e.access->address && !e.access->expression.contains(QLatin1String("per-CPU"))) {
        QStringList missing;
        if (!e.access->base.isEmpty() && !e.access->baseValue)
            missing << e.access->base;
        if (!e.access->index.isEmpty() && !e.access->indexValue)
            missing << e.access->index;
        e.error = QStringLiteral("cannot explain the access: the report does not print %1")
                      .arg(missing.join(QStringLiteral(" and ")));
    }

    const SectionLookup sections = moduleSectionLookup(symbolizer);
    if (e.access && e.access->address)
        e.address = classifyAddress(*e.access->address, e.access->baseValue, report.arch, sections);
    else if (report.faultAddress)
        e.address = classifyAddress(*report.faultAddress, std::nullopt, report.arch, sections);

    // The faulting offset within the pointed-to object.
    std::optional<std::uint64_t> offset;
    if (e.access && e.access->address && e.access->baseValue)
        offset = *e.access->address - *e.access->baseValue;
    else if (e.access && e.access->index.isEmpty())
        offset = std::uint64_t(e.access->displacement);
    else if (!e.address.isEmpty())
        offset = e.address.first().offset;

    // Pointer and member, from the module's DWARF at the trapping PC.
    const Frame *frame = faultingFrame(report);
    std::optional<Symbolizer::DwarfSite> site;
    if (!frame) {
        e.notes << QStringLiteral("pointer and member: the report names no faulting function");
    } else {
        QString why;
        site = symbolizer.dwarfSite(*frame, &why);
        if (!site) {
            e.notes << QStringLiteral("pointer and member: need the DWARF of %1 (%2)")
                           .arg(frame->module.isEmpty() ? QStringLiteral("the kernel (vmlinux)")
                                                        : frame->module + QStringLiteral(".ko"),
                                why);
        } else if (site->elfMachine != machineOf(report.arch)) {
            e.error
                = QStringLiteral("cannot explain: the report is from %1 but %2 is built for %3")
                      .arg(toString(report.arch),
                           frame->module.isEmpty() ? QStringLiteral("vmlinux") : frame->module + QStringLiteral(".ko"),
                           machineName(site->elfMachine));
            site.reset();
        }
    }
    if (site && offset) {
        const dwarf::Scope scope(site->module, site->address);
        QList<dwarf::Variable> vars;
        if (e.access && !e.access->base.isEmpty())
            vars = scope.inRegister(dwarf::registerNumber(report.arch, e.access->base));

        QList<Candidate> candidates;
        if (frame->sourceExists && frame->line > 0) {
            e.sourceLine = readLine(frame->file, frame->line);
            for (const AccessChain &chain : parseAccessChains(e.sourceLine))
                candidates += candidatesOf(chain, scope);
        }
        const MemoryAccess *access = e.access ? &*e.access : nullptr;
        auto bestOf = [&](const QList<Candidate> &list, int *score) {
            const Candidate *best = nullptr;
            int top = 0;
            bool tie = false;
            for (const Candidate &c : list) {
                const int f = fit(c, *offset, access);
                if (f > top) {
                    top = f;
                    best = &c;
                    tie = false;
                } else if (f == top && f > 0 && best
                           && (best->pointer != c.pointer || best->layout.path != c.layout.path)) {
                    tie = true;
                }
            }
            *score = tie ? 0 : top;
            return tie ? nullptr : best;
        };

        if (!vars.isEmpty() && vars.first().registerPlus != 0 && e.access->baseValue) {
            // container_of() folded into the displacement: the variable is base + K, the
            // member at displacement - K, and the pointer to classify is the variable's value.
            const std::int64_t k = vars.first().registerPlus;
            offset = *offset - std::uint64_t(k);
            if (e.access->address)
                e.address = classifyAddress(*e.access->address, *e.access->baseValue + std::uint64_t(k), report.arch,
                                            sections);
        }
        if (!vars.isEmpty()) {
            const dwarf::Variable &v = vars.first();
            Dwarf_Die vt = v.type;
            e.pointer = PointerInfo{v.name, v.parameter ? QStringLiteral("parameter") : QStringLiteral("local"),
                                    dwarf::typeName(&vt), std::nullopt};
            if (e.access->baseValue)
                e.pointer->value = *e.access->baseValue + std::uint64_t(v.registerPlus);
            QList<Candidate> own;
            for (const Candidate &c : std::as_const(candidates)) {
                if (c.pointer == v.name)
                    own << c;
            }
            int score = 0;
            const Candidate *chosen = bestOf(own, &score);
            QList<dwarf::Layout> layouts;
            if (const auto target = dwarf::pointee(&vt)) {
                Dwarf_Die t = *target;
                layouts = dwarf::membersAt(&t, *offset);
            }
            if (chosen) {
                e.member = memberInfo(chosen->layout);
                e.confidence = QStringLiteral("high");
            } else if (layouts.size() == 1) {
                e.member = memberInfo(layouts.first());
                e.confidence = QStringLiteral("high");
            } else if (layouts.size() > 1) {
                QStringList names;
                for (const dwarf::Layout &l : std::as_const(layouts))
                    names << l.path;
                e.notes << QStringLiteral(
                               "member: offset %1 of `%2` is shared by %3; the source line does not say which")
                               .arg(hex(*offset), e.pointer->type, names.join(QStringLiteral(", ")));
                e.confidence = QStringLiteral("medium");
            } else {
                e.notes << QStringLiteral("member: offset %1 is in no member of `%2` (padding, or past its end)")
                               .arg(hex(*offset), e.pointer->type);
                e.confidence = QStringLiteral("medium");
            }
        } else {
            int score = 0;
            const Candidate *chosen = bestOf(candidates, &score);
            if (chosen) {
                const QString kind = chosen->rootOnly
                    ? (chosen->rootParameter ? QStringLiteral("parameter") : QStringLiteral("local"))
                    : QStringLiteral("temporary");
                e.pointer = PointerInfo{chosen->pointer, kind, chosen->pointerType,
                                        e.access ? e.access->baseValue : std::nullopt};
                e.member = memberInfo(chosen->layout);
                e.confidence = score >= 2 ? QStringLiteral("medium") : QStringLiteral("low");
                e.notes << QStringLiteral(
                               "`%1` is %2: no variable holds it at this PC; it is the access chain of line %3 "
                               "whose member lies at offset %4")
                               .arg(chosen->pointer,
                                    kind == QLatin1String("temporary") ? QStringLiteral("a temporary")
                                                                       : QStringLiteral("not in a register"),
                                    QString::number(frame->line), hex(*offset));
            } else if (e.sourceLine.isEmpty()) {
                e.notes << QStringLiteral("pointer and member: no variable is in %1 at this PC (optimised out or a "
                                          "temporary) and the source line is not available here")
                               .arg(e.access && !e.access->base.isEmpty() ? e.access->base
                                                                          : QStringLiteral("the base register"));
            } else {
                e.notes << QStringLiteral("pointer and member: no variable is in %1 at this PC and no access chain on "
                                          "line %2 has a member at offset %3; DWARF cannot tell")
                               .arg(e.access && !e.access->base.isEmpty() ? e.access->base
                                                                          : QStringLiteral("the base register"))
                               .arg(frame->line)
                               .arg(hex(*offset));
            }
        }
    }

    // 32-bit LIST_POISON values are also small offsets from NULL: the member chain decides.
    if (e.address.size() > 1 && e.pointer && !e.address.first().kind.startsWith(QLatin1String("list_poison"))) {
        const bool listy = e.pointer->type.contains(QLatin1String("list_head"))
            || e.pointer->expression.endsWith(QLatin1String("next"))
            || e.pointer->expression.endsWith(QLatin1String("prev"));
        if (listy)
            std::sort(e.address.begin(), e.address.end(), [](const AddressReading &a, const AddressReading &b) {
                return a.kind.startsWith(QLatin1String("list_poison"))
                    && !b.kind.startsWith(QLatin1String("list_poison"));
            });
    }
    if (e.confidence.isEmpty())
        e.confidence = e.access && e.access->address ? QStringLiteral("low") : QString();
    if (e.access && e.access->matchesFault && !*e.access->matchesFault)
        e.confidence = QStringLiteral("low");
    if (!e.access && e.address.isEmpty() && e.error.isEmpty())
        e.error = QStringLiteral("cannot explain: no access and no fault address");
    e.summary = summarize(e);
    return e;
}

} // namespace kms
