// What kind of address a bad pointer or a faulting address is: NULL plus an offset, slab poison
// and red zones, LIST_POISON1/2, non-canonical, the KASAN shadow, user space, the sections of a
// module (a previous load, when it has been unloaded since), or an ordinary kernel address.
#pragma once

#include "explain/faultexplanation.h"
#include "report/kernelreport.h"

#include <functional>

namespace kms {

// A module section containing an address: "prudaq" ".bss" and the offset in it.
struct SectionHit {
    QString module;
    QString section;
    quint64 offset = 0;
    QString load; // non-empty: a load that has been unloaded since ("cycle 3"): previous_load
};
using SectionLookup = std::function<std::optional<SectionHit>(std::uint64_t)>;

// The readings of `address`, the likely one first. `pointer` is the base register's value when
// the access was decoded (then the reading is of the pointer, the offset being address -
// pointer), else nullopt and `address` is read alone (with a small tolerance for offsets).
// Never empty.
QList<AddressReading> classifyAddress(std::uint64_t address, std::optional<std::uint64_t> pointer, Arch arch,
                                      const SectionLookup &sections = {});

} // namespace kms
