// Where an address lies among a module's section start addresses (as /sys/module/NAME/sections
// lists them) when the module's file, and so the sections' sizes, is not at hand: a section
// ends where the next one of the same load starts; the last one is given 1 MiB.
#pragma once

#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace kms {

// A module's section load addresses, e.g. {".text", 0xffffffffc0a00000}.
using SectionAddresses = QList<QPair<QString, quint64>>;

// The section holding `address` and the offset in it, or nullopt. codeOnly: text sections only
// (stack frames).
std::optional<QPair<QString, quint64>> locateBySectionStarts(const SectionAddresses &sections, quint64 address,
                                                             bool codeOnly);

// One load of a module that has been unloaded since, as recorded while it was live (the cycle
// runner records one per cycle). An address in its sections and in no live load's is the code
// or data of an unloaded module.
struct EarlierLoad {
    QString module;
    QString label; // "cycle 3"
    SectionAddresses sections;
};

} // namespace kms
