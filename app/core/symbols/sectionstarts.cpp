#include "symbols/sectionstarts.h"

namespace kms {

std::optional<QPair<QString, quint64>> locateBySectionStarts(const SectionAddresses &sections, quint64 address,
                                                             bool codeOnly)
{
    // An address in another module's memory right after ours would need a section of ours to
    // reach it, which only the last can.
    const QPair<QString, quint64> *best = nullptr;
    quint64 next = 0;
    for (const auto &section : sections) {
        if (section.second == 0)
            continue;
        if (section.second <= address) {
            if (!best || section.second > best->second)
                best = &section;
        }
    }
    if (!best)
        return std::nullopt;
    for (const auto &section : sections) {
        if (section.second > best->second && (next == 0 || section.second < next))
            next = section.second;
    }
    const quint64 limit = next ? next - best->second : quint64(1) << 20;
    const quint64 offset = address - best->second;
    if (offset >= limit)
        return std::nullopt;
    if (codeOnly && !best->first.contains(QLatin1String("text")))
        return std::nullopt;
    return qMakePair(best->first, offset);
}

} // namespace kms
