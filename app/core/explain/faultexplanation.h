// What a report's bad memory access means: the instruction's access, the kind of address, the
// pointer and the struct member it went through. Plain values (part of KernelReport), filled by
// explainFault() (faultexplainer.h).
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace kms {

// The trapping instruction's memory operand, evaluated with the report's registers.
struct MemoryAccess {
    QString instruction; // "ldrb r3, [r3, r6]"
    QString base; // register names as the report prints them ("r3", "RAX"); empty if none
    QString index;
    int scale = 1; // -1: index subtracted (ARM)
    std::int64_t displacement = 0;
    int size = 0; // bytes, 0 when unknown
    bool write = false;
    std::optional<std::uint64_t> baseValue;
    std::optional<std::uint64_t> indexValue;
    std::optional<std::uint64_t> address; // computed; nullopt when a register was not printed
    QString expression; // "r3 (0x0) + r6 (0x1c1)"
    // The computed address against the reported one; nullopt when the report gives none (GPF).
    std::optional<bool> matchesFault;
};

// One reading of the bad address. Some addresses have two (32-bit ARM LIST_POISON1 = 0x100 is
// also NULL + 0x100).
struct AddressReading {
    QString kind; // null, slab_free, slab_uninit, slab_end, redzone_inactive, redzone_active,
                  // list_poison1, list_poison2, non_canonical, kasan_shadow, user, module_section,
                  // previous_load, kernel
    std::uint64_t base = 0; // the bad pointer (NULL, the poison value, the section start)
    std::int64_t offset = 0; // from base (negative: below it, as container_of() makes)
    QString text; // "NULL + 0x1c1", "slab poison 0x6b6b6b6b (freed object: use after free) + 0x4"
};

struct PointerInfo {
    QString expression; // "comm->shm", "dev"
    QString kind; // parameter, local, temporary
    QString type; // "struct prudaq_shm *"
    std::optional<std::uint64_t> value; // from the registers
};

struct MemberInfo {
    QString chain; // "msg_from_pru0.head", "samples[7]"
    QString type; // "u32"
    std::uint64_t offset = 0; // from the start of the pointed-to object
    int size = 0; // bytes
    int bitOffset = -1; // bitfields: from the start of `offset`'s byte, -1 otherwise
    int bitSize = 0;
};

struct FaultExplanation {
    QString error; // "cannot explain: ..." when nothing could be said; the rest is empty then
    std::optional<MemoryAccess> access;
    QList<AddressReading> address; // the likely reading first
    std::optional<PointerInfo> pointer;
    std::optional<MemberInfo> member;
    QString sourceLine; // the faulting line's text, trimmed, when read
    QString confidence; // high, medium, low
    QStringList notes; // what could not be told and why ("member: needs the module's DWARF ...")
    QString summary; // one paragraph for people
};

} // namespace kms
