#include "explain/addresskind.h"

#include <cstdlib>

namespace kms {

namespace {

QString hex(std::uint64_t v)
{
    return QStringLiteral("0x") + QString::number(v, 16);
}

int pointerBytes(Arch arch)
{
    return arch == Arch::Arm || arch == Arch::I386 ? 4 : 8;
}

// mm/slab poison and SLUB red-zone bytes (include/linux/poison.h).
struct Poison {
    unsigned char byte;
    const char *kind;
    const char *what;
};
constexpr Poison poisons[] = {
    {0x6b, "slab_free", "slab poison POISON_FREE: read from a freed object (use after free)"},
    {0x5a, "slab_uninit", "slab poison POISON_INUSE: read from allocated but never initialised memory"},
    {0xa5, "slab_end", "slab poison POISON_END: the last byte of a poisoned object"},
    {0xbb, "redzone_inactive", "SLUB red zone SLUB_RED_INACTIVE: outside a free object"},
    {0xcc, "redzone_active", "SLUB red zone SLUB_RED_ACTIVE: past the end of an allocated object (overflow)"},
};

// The poison a pointer-sized value is made of: every byte the poison byte, or (`withEnd`) all
// but the one POISON_END byte that ends a freed object (6b6b...a5).
const Poison *poisonOf(std::uint64_t value, int bytes, bool withEnd = true)
{
    for (const Poison &p : poisons) {
        int same = 0;
        for (int i = 0; i < bytes; ++i)
            same += ((value >> (8 * i)) & 0xff) == p.byte ? 1 : 0;
        // POISON_END is the object's last byte: the low byte of a value read at the end on a
        // big-endian machine, the high byte on a little-endian one.
        const bool endLow = (value & 0xff) == 0xa5;
        const bool endHigh = ((value >> (8 * (bytes - 1))) & 0xff) == 0xa5;
        if (same == bytes || (withEnd && same == bytes - 1 && (endLow || endHigh) && p.byte == 0x6b))
            return &p;
    }
    return nullptr;
}

std::uint64_t poisonDelta(Arch arch)
{
    // CONFIG_ILLEGAL_POINTER_VALUE: 0xdead000000000000 on x86_64 and arm64, 0 on 32-bit.
    return pointerBytes(arch) == 8 ? 0xdead000000000000ULL : 0;
}

bool nonCanonical(std::uint64_t v)
{
    const std::uint64_t top = v >> 47; // bits 63..47 must all be equal (4-level paging)
    return top != 0 && top != 0x1ffff;
}

bool userAddress(std::uint64_t v, Arch arch)
{
    switch (arch) {
    case Arch::X86_64:
        return v < 0x0000800000000000ULL;
    case Arch::Arm64:
        return v < 0x0001000000000000ULL;
    case Arch::Arm:
    case Arch::I386:
        return v < 0xc0000000ULL; // the 3G/1G split Debian's kernels use
    default:
        return false;
    }
}

constexpr std::uint64_t nullLimit = 0x10000; // below: an offset from NULL (mmap_min_addr is 64 KiB)
constexpr std::uint64_t offsetTolerance = 0x1000; // a member offset from a poisoned pointer

AddressReading reading(const QString &kind, std::uint64_t base, std::int64_t offset, const QString &what)
{
    QString text = what;
    if (offset > 0)
        text += QStringLiteral(" + %1").arg(hex(std::uint64_t(offset)));
    else if (offset < 0)
        text += QStringLiteral(" - %1").arg(hex(0 - std::uint64_t(offset)));
    return {kind, base, offset, text};
}

// A signed distance when small (member offsets, container_of() adjustments).
std::int64_t distance(std::uint64_t to, std::uint64_t from, std::uint64_t mask)
{
    std::uint64_t d = (to - from) & mask;
    if (mask != ~0ULL && (d & ((mask >> 1) + 1)))
        d |= ~mask; // sign-extend a 32-bit difference
    return std::int64_t(d);
}

} // namespace

QList<AddressReading> classifyAddress(std::uint64_t address, std::optional<std::uint64_t> pointer, Arch arch,
                                      const SectionLookup &sections)
{
    QList<AddressReading> out;
    const int bytes = pointerBytes(arch);
    const std::uint64_t mask = bytes == 8 ? ~0ULL : 0xffffffffULL;
    address &= mask;

    // The pointer itself, when the base register is known: its value names the mistake, the
    // offset is the member's.
    std::optional<std::uint64_t> base = pointer ? std::optional(*pointer & mask) : std::nullopt;
    const std::int64_t offset = base ? distance(address, *base, mask) : 0;

    const std::uint64_t delta = poisonDelta(arch);
    const std::uint64_t lp1 = 0x100 + delta;
    const std::uint64_t lp2 = 0x122 + delta;
    // A pointer near a poison value: list_entry()/container_of() of a poisoned next/prev.
    auto listPoison = [&](std::uint64_t value, std::int64_t off) {
        // The nearer poison: LIST_POISON2 is LIST_POISON1 + 0x22.
        const std::int64_t d1 = distance(value, lp1, mask);
        const std::int64_t d2 = distance(value, lp2, mask);
        // |d| < 0x100, computed without negating (a far value may be INT64_MIN).
        const auto near = [](std::int64_t d) {
            return std::uint64_t(d) + 0xff < 0x1ff;
        };
        const auto magnitude = [](std::int64_t d) {
            return d < 0 ? 0 - std::uint64_t(d) : std::uint64_t(d);
        };
        const bool second = near(d2) && (!near(d1) || magnitude(d2) < magnitude(d1));
        const std::int64_t d = second ? d2 : d1;
        const std::uint64_t lp = second ? lp2 : lp1;
        if (!near(d))
            return;
        const QLatin1String name(second ? "LIST_POISON2" : "LIST_POISON1");
        const QLatin1String which(second ? "prev" : "next");
        QString what = QStringLiteral("%1 (%2: the %3 pointer of a deleted list entry)").arg(name, hex(lp), which);
        if (d != 0)
            what = QStringLiteral("%1 %2 %3 (container_of a deleted list entry's %4 pointer, %5)")
                       .arg(name, d < 0 ? QStringLiteral("-") : QStringLiteral("+"), hex(std::uint64_t(d < 0 ? -d : d)),
                            which, hex(lp));
        out << reading(second ? QStringLiteral("list_poison2") : QStringLiteral("list_poison1"), lp, off, what);
    };
    auto nullReading = [&](std::int64_t off) {
        out << reading(QStringLiteral("null"), 0, off, QStringLiteral("NULL"));
        if (!off)
            out.last().text = QStringLiteral("NULL");
    };

    if (base) {
        listPoison(*base, offset);
        if (*base < nullLimit) {
            // A small non-zero pointer (32-bit LIST_POISON1 = 0x100 too) is itself an offset
            // from NULL: the whole address reads as NULL + address.
            nullReading(std::int64_t(address));
        } else if (const Poison *p = poisonOf(*base, bytes)) {
            out << reading(QLatin1String(p->kind), *base, offset,
                           QStringLiteral("%1 (%2)").arg(hex(*base), QLatin1String(p->what)));
        }
        if (!out.isEmpty())
            return out;
    } else {
        // The address alone: NULL + offset first (the usual mistake); a 32-bit LIST_POISON value
        // plus a member offset reads the same, so it comes second (the nearest poison below).
        if (address < nullLimit)
            nullReading(std::int64_t(address));
        for (std::uint64_t lp : {lp2, lp1}) {
            if (address >= lp && address - lp < 0x100) {
                listPoison(lp, std::int64_t(address - lp));
                break;
            }
        }
        // A poisoned pointer plus a member offset: the nearest poison value below the address
        // (whole poison first; one with the POISON_END byte only if there is none).
        for (const bool withEnd : {false, true}) {
            for (std::uint64_t off = 0; off < offsetTolerance && out.isEmpty(); off += 1) {
                const std::uint64_t b = (address - off) & mask;
                if (const Poison *p = poisonOf(b, bytes, withEnd))
                    out << reading(QLatin1String(p->kind), b, std::int64_t(off),
                                   QStringLiteral("%1 (%2)").arg(hex(b), QLatin1String(p->what)));
            }
        }
        if (!out.isEmpty())
            return out;
    }

    const std::uint64_t v = address;
    if (arch == Arch::X86_64 && nonCanonical(v)) {
        out << reading(QStringLiteral("non_canonical"), v, 0,
                       QStringLiteral("%1, a non-canonical address (a general protection fault: the CPU gives no "
                                      "CR2)")
                           .arg(hex(v)));
        return out;
    }
    if (arch == Arch::X86_64 && v >= 0xffffec0000000000ULL && v < 0xfffffc0000000000ULL) {
        out << reading(QStringLiteral("kasan_shadow"), v, 0,
                       QStringLiteral("%1, in the KASAN shadow range (shadow of %2)")
                           .arg(hex(v), hex(((v - 0xdffffc0000000000ULL) << 3))));
        return out;
    }
    if (sections) {
        if (const auto hit = sections(v); hit && !hit->load.isEmpty()) {
            out << reading(QStringLiteral("previous_load"), v - hit->offset, std::int64_t(hit->offset),
                           QStringLiteral("%1 %2 as loaded in %3, unloaded since (the code or data of an unloaded "
                                          "module: the mark of a teardown race)")
                               .arg(hit->module, hit->section, hit->load));
            return out;
        } else if (hit) {
            out << reading(QStringLiteral("module_section"), v - hit->offset, std::int64_t(hit->offset),
                           QStringLiteral("%1 %2 (as loaded at the given section addresses: an unloaded "
                                          "module's code or data if it has gone since, the mark of a teardown race)")
                               .arg(hit->module, hit->section));
            return out;
        }
    }
    if (userAddress(v, arch)) {
        out << reading(QStringLiteral("user"), v, 0,
                       QStringLiteral("%1, a user-space address dereferenced in kernel mode").arg(hex(v)));
        return out;
    }
    out << reading(QStringLiteral("kernel"), v, 0, QStringLiteral("%1, a kernel address").arg(hex(v)));
    return out;
}

} // namespace kms
