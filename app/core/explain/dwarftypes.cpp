#include "explain/dwarftypes.h"

#include <dwarf.h>

#include <QHash>
#include <QMutex>

#include <algorithm>
#include <cstdlib>

namespace kms::dwarf {

namespace {

QString nameOf(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    return name ? QString::fromUtf8(name) : QString();
}

std::optional<std::uint64_t> udata(Dwarf_Die *die, unsigned int at)
{
    Dwarf_Attribute attr;
    Dwarf_Word value = 0;
    if (!dwarf_attr_integrate(die, at, &attr) || dwarf_formudata(&attr, &value) != 0)
        return std::nullopt;
    return value;
}

// A member's position in bits from the start of its aggregate, and its bit size (0: not a
// bitfield).
bool memberBits(Dwarf_Die *m, std::uint64_t *bitPos, int *bitSize, Dwarf_Die *mtype)
{
    const auto bits = udata(m, DW_AT_bit_size);
    *bitSize = bits ? int(*bits) : 0;
    if (const auto dbo = udata(m, DW_AT_data_bit_offset)) { // DWARF 4+
        *bitPos = *dbo;
        return true;
    }
    std::uint64_t bytes = 0;
    Dwarf_Attribute attr;
    if (dwarf_attr(m, DW_AT_data_member_location, &attr)) {
        Dwarf_Word value = 0;
        if (dwarf_formudata(&attr, &value) == 0) {
            bytes = value;
        } else {
            Dwarf_Op *expr = nullptr;
            size_t len = 0;
            if (dwarf_getlocation(&attr, &expr, &len) == 0 && len == 1 && expr[0].atom == DW_OP_plus_uconst)
                bytes = expr[0].number;
            else
                return false;
        }
    }
    *bitPos = bytes * 8;
    if (bits) {
        // DWARF 2/3 bitfields: DW_AT_bit_offset counts from the storage unit's most significant
        // bit (little-endian targets here).
        if (const auto bo = udata(m, DW_AT_bit_offset)) {
            std::uint64_t unit = udata(m, DW_AT_byte_size).value_or(byteSize(mtype).value_or(4));
            *bitPos += unit * 8 - *bo - *bits;
        }
    }
    return true;
}

void collect(Dwarf_Die *type, std::uint64_t offset, const QString &prefix, std::uint64_t base, QList<Layout> *out)
{
    Dwarf_Die t = strip(*type);
    const int tag = dwarf_tag(&t);
    if (tag == DW_TAG_array_type) {
        auto elem = typeOf(&t);
        if (!elem)
            return;
        const std::uint64_t es = byteSize(&*elem).value_or(0);
        if (es == 0)
            return;
        const std::uint64_t index = offset / es;
        const auto total = byteSize(&t);
        if (total && offset >= *total)
            return;
        Dwarf_Die e = *elem;
        const QString path = prefix + QStringLiteral("[%1]").arg(index);
        QList<Layout> inner;
        Dwarf_Die es_ = strip(e);
        if (isAggregate(&es_) || dwarf_tag(&es_) == DW_TAG_array_type)
            collect(&e, offset % es, path, base + index * es, &inner);
        if (inner.isEmpty())
            inner.append({path, base + index * es, es, -1, 0, e});
        out->append(inner);
        return;
    }
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
        return;
    Dwarf_Die m;
    if (dwarf_child(&t, &m) != 0)
        return;
    do {
        if (dwarf_tag(&m) != DW_TAG_member)
            continue;
        const auto mtype = typeOf(&m);
        if (!mtype)
            continue;
        Dwarf_Die mt = *mtype;
        std::uint64_t bitPos = 0;
        int bitSize = 0;
        if (!memberBits(&m, &bitPos, &bitSize, &mt))
            continue;
        const std::uint64_t start = bitPos / 8;
        const std::uint64_t size = bitSize ? (bitPos % 8 + std::uint64_t(bitSize) + 7) / 8 : byteSize(&mt).value_or(0);
        if (offset < start || offset >= start + std::max<std::uint64_t>(size, 1))
            continue;
        const QString name = nameOf(&m);
        const QString path = name.isEmpty() ? prefix : prefix.isEmpty() ? name : prefix + QLatin1Char('.') + name;
        if (bitSize) {
            out->append({path, base + start, size, int(bitPos % 8), bitSize, mt});
            continue;
        }
        Dwarf_Die st = strip(mt);
        QList<Layout> inner;
        if (isAggregate(&st) || dwarf_tag(&st) == DW_TAG_array_type)
            collect(&mt, offset - start, path, base + start, &inner);
        if (inner.isEmpty())
            inner.append({path, base + start, size, -1, 0, mt});
        out->append(inner);
    } while (dwarf_siblingof(&m, &m) == 0);
}

bool findMember(Dwarf_Die *aggregate, const QString &name, std::uint64_t base, Layout *out)
{
    Dwarf_Die t = strip(*aggregate);
    Dwarf_Die m;
    if (!isAggregate(&t) || dwarf_child(&t, &m) != 0)
        return false;
    do {
        if (dwarf_tag(&m) != DW_TAG_member)
            continue;
        const auto mtype = typeOf(&m);
        if (!mtype)
            continue;
        Dwarf_Die mt = *mtype;
        std::uint64_t bitPos = 0;
        int bitSize = 0;
        if (!memberBits(&m, &bitPos, &bitSize, &mt))
            continue;
        const QString mname = nameOf(&m);
        const std::uint64_t start = base + bitPos / 8;
        if (mname.isEmpty()) {
            if (findMember(&mt, name, start, out))
                return true;
            continue;
        }
        if (mname != name)
            continue;
        out->path = name;
        out->offset = start;
        out->type = mt;
        out->bitOffset = bitSize ? int(bitPos % 8) : -1;
        out->bitSize = bitSize;
        out->size = bitSize ? (bitPos % 8 + std::uint64_t(bitSize) + 7) / 8 : byteSize(&mt).value_or(0);
        return true;
    } while (dwarf_siblingof(&m, &m) == 0);
    return false;
}

// The register a location expression names when the value is that register (plus a constant:
// DW_OP_bregN K; DW_OP_stack_value, as container_of() folded into the access leaves it).
int locationRegister(const Dwarf_Op *expr, size_t len, std::int64_t *plus)
{
    *plus = 0;
    if (len == 1 && expr[0].atom >= DW_OP_reg0 && expr[0].atom <= DW_OP_reg31)
        return expr[0].atom - DW_OP_reg0;
    if (len == 1 && expr[0].atom == DW_OP_regx)
        return int(expr[0].number);
    if (len == 2 && expr[1].atom == DW_OP_stack_value) {
        if (expr[0].atom >= DW_OP_breg0 && expr[0].atom <= DW_OP_breg31) {
            *plus = std::int64_t(expr[0].number);
            return expr[0].atom - DW_OP_breg0;
        }
        if (expr[0].atom == DW_OP_bregx) {
            *plus = std::int64_t(expr[0].number2);
            return int(expr[0].number);
        }
    }
    return -1;
}

} // namespace

Dwarf_Die strip(Dwarf_Die type)
{
    for (int guard = 0; guard < 32; ++guard) {
        const int tag = dwarf_tag(&type);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type
            && tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
            break;
        const auto next = typeOf(&type);
        if (!next)
            break;
        type = *next;
    }
    return type;
}

std::optional<Dwarf_Die> typeOf(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    Dwarf_Die type;
    if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &type))
        return std::nullopt;
    return type;
}

std::optional<std::uint64_t> byteSize(Dwarf_Die *type)
{
    Dwarf_Word size = 0;
    Dwarf_Die t = *type;
    if (dwarf_aggregate_size(&t, &size) != 0)
        return std::nullopt;
    return size;
}

std::optional<Dwarf_Die> pointee(Dwarf_Die *type)
{
    Dwarf_Die t = strip(*type);
    if (dwarf_tag(&t) != DW_TAG_pointer_type)
        return std::nullopt;
    return typeOf(&t);
}

bool isAggregate(Dwarf_Die *type)
{
    Dwarf_Die t = strip(*type);
    const int tag = dwarf_tag(&t);
    return tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type;
}

QString typeName(Dwarf_Die *type)
{
    Dwarf_Die t = *type;
    const int tag = dwarf_tag(&t);
    const auto inner = typeOf(&t);
    switch (tag) {
    case DW_TAG_base_type:
    case DW_TAG_typedef:
        return nameOf(&t);
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type: {
        const QString kw = tag == DW_TAG_union_type ? QStringLiteral("union ")
            : tag == DW_TAG_enumeration_type        ? QStringLiteral("enum ")
                                                    : QStringLiteral("struct ");
        const QString name = nameOf(&t);
        return kw + (name.isEmpty() ? QStringLiteral("{...}") : name);
    }
    case DW_TAG_pointer_type: {
        if (!inner)
            return QStringLiteral("void *");
        Dwarf_Die target = *inner;
        if (dwarf_tag(&target) == DW_TAG_subroutine_type)
            return QStringLiteral("function pointer");
        const QString t2 = typeName(&target);
        return t2.endsWith(QLatin1Char('*')) ? t2 + QLatin1Char('*') : t2 + QStringLiteral(" *");
    }
    case DW_TAG_const_type:
    case DW_TAG_volatile_type: {
        const QString q = tag == DW_TAG_const_type ? QStringLiteral("const") : QStringLiteral("volatile");
        if (!inner)
            return q + QStringLiteral(" void");
        Dwarf_Die i = *inner;
        if (dwarf_tag(&i) == DW_TAG_pointer_type)
            return typeName(&i) + q;
        return q + QLatin1Char(' ') + typeName(&i);
    }
    case DW_TAG_array_type: {
        QString dims;
        Dwarf_Die child;
        if (dwarf_child(&t, &child) == 0) {
            do {
                if (dwarf_tag(&child) != DW_TAG_subrange_type)
                    continue;
                if (const auto count = udata(&child, DW_AT_count))
                    dims += QStringLiteral("[%1]").arg(*count);
                else if (const auto upper = udata(&child, DW_AT_upper_bound))
                    dims += QStringLiteral("[%1]").arg(*upper + 1);
                else
                    dims += QStringLiteral("[]");
            } while (dwarf_siblingof(&child, &child) == 0);
        }
        if (!inner)
            return QStringLiteral("?") + dims;
        Dwarf_Die i = *inner;
        return typeName(&i) + dims;
    }
    case DW_TAG_subroutine_type:
        return QStringLiteral("function");
    default:
        return inner ? [&] {
            Dwarf_Die i = *inner;
            return typeName(&i);
        }()
                     : QStringLiteral("?");
    }
}

std::optional<Layout> member(Dwarf_Die *aggregate, const QString &name)
{
    Layout out;
    if (!findMember(aggregate, name, 0, &out))
        return std::nullopt;
    return out;
}

QList<Layout> membersAt(Dwarf_Die *type, std::uint64_t offset)
{
    QList<Layout> out;
    collect(type, offset, QString(), 0, &out);
    return out;
}

namespace {

struct FunctionRange {
    Dwarf_Addr low = 0;
    Dwarf_Addr high = 0;
    Dwarf_Off die = 0;
};

// The top-level functions of a CU by address, built once per CU: a kernel CU holds thousands of
// type DIEs from headers, and walking them for every report (dwarf_getscopes) costs more than
// everything else in an explanation. Keyed by the Dwarf handle and CU offset; an entry is checked
// against the DIE it names before use, so a handle reused after its module was closed cannot
// mislead.
QList<FunctionRange> buildIndex(Dwarf_Die *cu)
{
    QList<FunctionRange> ranges;
    Dwarf_Die child;
    if (dwarf_child(cu, &child) == 0) {
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
    return ranges;
}

bool functionAt(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out)
{
    static QMutex lock;
    static QHash<QPair<quintptr, Dwarf_Off>, QList<FunctionRange>> cache;
    Dwarf *dbg = dwarf_cu_getdwarf(cu->cu);
    const QPair<quintptr, Dwarf_Off> key{quintptr(dbg), dwarf_dieoffset(cu)};
    for (int attempt = 0; attempt < 2; ++attempt) {
        QList<FunctionRange> ranges;
        {
            QMutexLocker locker(&lock);
            auto it = cache.find(key);
            if (it == cache.end() || attempt > 0)
                it = cache.insert(key, buildIndex(cu));
            ranges = *it;
        }
        auto it = std::upper_bound(ranges.cbegin(), ranges.cend(), pc,
                                   [](Dwarf_Addr a, const FunctionRange &r) { return a < r.low; });
        if (it == ranges.cbegin() || pc >= (it - 1)->high)
            continue;
        if (dwarf_offdie(dbg, (it - 1)->die, out) && dwarf_tag(out) == DW_TAG_subprogram && dwarf_haspc(out, pc) == 1)
            return true;
    }
    return false;
}

// The lexical block or inlined call directly under `parent` whose code contains pc; blocks
// without addresses of their own are looked through.
bool childContaining(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *result)
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

} // namespace

Scope::Scope(Dwfl_Module *module, Dwarf_Addr address)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = module ? dwfl_module_addrdie(module, address, &bias) : nullptr;
    if (!cu)
        return;
    m_cu = *cu;
    m_pc = address - bias;
    Dwarf_Die fn;
    if (functionAt(&m_cu, m_pc, &fn)) {
        m_scopes.append(fn);
        Dwarf_Die inner;
        while (childContaining(&m_scopes.last(), m_pc, &inner))
            m_scopes.append(inner);
        std::reverse(m_scopes.begin(), m_scopes.end());
        return;
    }
    // Not in a top-level function (unusual producers): dwarf_getscopes, then the concrete tree
    // outward from the innermost scope (dwarf_getscopes stops at an inlined abstract origin).
    Dwarf_Die *scopes = nullptr;
    const int n = dwarf_getscopes(&m_cu, m_pc, &scopes);
    if (n > 0) {
        Dwarf_Die innermost = scopes[0];
        free(scopes);
        scopes = nullptr;
        const int m = dwarf_getscopes_die(&innermost, &scopes);
        for (int i = 0; i < m; ++i) {
            if (dwarf_tag(&scopes[i]) != DW_TAG_compile_unit)
                m_scopes.append(scopes[i]);
        }
    }
    free(scopes);
}

QList<Variable> Scope::inRegister(int reg) const
{
    QList<Variable> out;
    for (qsizetype i = 0; i < m_scopes.size() && out.isEmpty(); ++i) {
        Dwarf_Die child;
        Dwarf_Die scope = m_scopes[i];
        if (dwarf_child(&scope, &child) != 0)
            continue;
        do {
            const int tag = dwarf_tag(&child);
            if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter)
                continue;
            Dwarf_Attribute attr;
            if (!dwarf_attr(&child, DW_AT_location, &attr))
                continue;
            Dwarf_Op *exprs[4] = {};
            size_t lens[4] = {};
            const int n = dwarf_getlocation_addr(&attr, m_pc, exprs, lens, 4);
            for (int k = 0; k < n; ++k) {
                std::int64_t plus = 0;
                if (locationRegister(exprs[k], lens[k], &plus) != reg)
                    continue;
                Variable v;
                v.registerPlus = plus;
                v.name = nameOf(&child);
                v.parameter = tag == DW_TAG_formal_parameter;
                if (const auto t = typeOf(&child))
                    v.type = *t;
                // The register itself first: a value derived from it is the second choice.
                if (!v.name.isEmpty())
                    out.insert(plus == 0 ? std::count_if(out.cbegin(), out.cend(),
                                                         [](const Variable &x) { return x.registerPlus == 0; })
                                         : out.size(),
                               v);
                break;
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    return out;
}

std::optional<Variable> Scope::named(const QString &name) const
{
    const QByteArray wanted = name.toUtf8();
    auto search = [&](Dwarf_Die *scope) -> std::optional<Variable> {
        Dwarf_Die child;
        if (dwarf_child(scope, &child) != 0)
            return std::nullopt;
        do {
            const int tag = dwarf_tag(&child);
            if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter)
                continue;
            Dwarf_Attribute attr;
            const char *n = dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &attr));
            if (!n || wanted != n)
                continue;
            Variable v;
            v.name = name;
            v.parameter = tag == DW_TAG_formal_parameter;
            if (const auto t = typeOf(&child))
                v.type = *t;
            else
                continue;
            return v;
        } while (dwarf_siblingof(&child, &child) == 0);
        return std::nullopt;
    };
    for (Dwarf_Die scope : m_scopes) {
        if (auto v = search(&scope))
            return v;
    }
    if (m_scopes.isEmpty())
        return std::nullopt;
    Dwarf_Die cu = m_cu;
    return search(&cu);
}

int registerNumber(Arch arch, const QString &reportName)
{
    const QString n = reportName.toLower();
    switch (arch) {
    case Arch::X86_64: {
        static const char *const names[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp"};
        for (int i = 0; i < 8; ++i) {
            if (n == QLatin1String(names[i]))
                return i;
        }
        if (n.startsWith(QLatin1Char('r'))) {
            bool ok = false;
            const int r = n.mid(1).toInt(&ok);
            if (ok && r >= 8 && r <= 15)
                return r;
        }
        return -1;
    }
    case Arch::I386: {
        static const char *const names[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (int i = 0; i < 8; ++i) {
            if (n == QLatin1String(names[i]))
                return i;
        }
        return -1;
    }
    case Arch::Arm: {
        if (n == QLatin1String("fp"))
            return 11;
        if (n == QLatin1String("ip"))
            return 12;
        if (n == QLatin1String("sp"))
            return 13;
        if (n == QLatin1String("lr"))
            return 14;
        if (n == QLatin1String("pc"))
            return 15;
        bool ok = false;
        const int r = n.startsWith(QLatin1Char('r')) ? n.mid(1).toInt(&ok) : -1;
        return ok && r >= 0 && r <= 15 ? r : -1;
    }
    case Arch::Arm64: {
        if (n == QLatin1String("lr"))
            return 30;
        if (n == QLatin1String("sp"))
            return 31;
        if (n == QLatin1String("fp"))
            return 29;
        bool ok = false;
        const int r = n.startsWith(QLatin1Char('x')) ? n.mid(1).toInt(&ok) : -1;
        return ok && r >= 0 && r <= 30 ? r : -1;
    }
    default:
        return -1;
    }
}

} // namespace kms::dwarf
