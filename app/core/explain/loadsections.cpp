#include "explain/loadsections.h"

#include "symbols/symbolizer.h"

namespace kms {

namespace {

std::optional<SectionHit> within(const Symbolizer &symbolizer, const QString &module, const SectionAddresses &sections,
                                 quint64 address)
{
    SectionHit hit;
    hit.module = module;
    if (const std::optional<bool> known = symbolizer.sectionIn(module, sections, address, &hit.section, &hit.offset))
        return *known ? std::optional(hit) : std::nullopt;
    if (const auto at = locateBySectionStarts(sections, address, false)) {
        hit.section = at->first;
        hit.offset = at->second;
        return hit;
    }
    return std::nullopt;
}

} // namespace

SectionLookup moduleSectionLookup(const Symbolizer &symbolizer)
{
    return [&symbolizer](std::uint64_t address) -> std::optional<SectionHit> {
        const QHash<QString, SectionAddresses> live = symbolizer.sectionAddresses();
        for (auto it = live.cbegin(); it != live.cend(); ++it) {
            if (auto hit = within(symbolizer, it.key(), *it, address))
                return hit;
        }
        // The newest earlier load first: module memory is reused, and the last load to hold
        // the address is the one whose code or data it was.
        const QList<EarlierLoad> &earlier = symbolizer.earlierLoads();
        for (auto it = earlier.crbegin(); it != earlier.crend(); ++it) {
            if (auto hit = within(symbolizer, it->module, it->sections, address)) {
                hit->load = it->label.isEmpty() ? QStringLiteral("an earlier load") : it->label;
                return hit;
            }
        }
        return std::nullopt;
    };
}

} // namespace kms
