// The addr2line oracle of the GUI tests: where binutils puts a frame of a fixture module.
#pragma once

#include "report/kernelreport.h"
#include "tst_symbols_helpers.h"

namespace guitest {

using namespace kms;

// addr2line's innermost location for frame `f` of `ko` (the return-address rule applied).
inline bool oracle(const QString &ko, const Frame &f, QString *file, int *line, QString *error)
{
    const symtest::RunResult sections = symtest::run(QStringLiteral("readelf"), {QStringLiteral("-SW"), ko});
    const symtest::RunResult symbols = symtest::run(QStringLiteral("readelf"), {QStringLiteral("-sW"), ko});
    if (!sections.ok || !symbols.ok) {
        *error = sections.error + symbols.error;
        return false;
    }
    for (const symtest::ElfSymbol &s : symtest::parseSymbols(symbols.out, symtest::parseSections(sections.out))) {
        if (!s.function || s.name != f.function)
            continue;
        const quint64 offset = f.offset.value_or(0);
        const quint64 address = s.value + offset - (!f.exactPc && offset > 0 ? 1 : 0);
        const symtest::RunResult r
            = symtest::run(QStringLiteral("addr2line"),
                           {QStringLiteral("-a"), QStringLiteral("-f"), QStringLiteral("-i"), QStringLiteral("-j"),
                            s.section, QStringLiteral("-e"), ko, QStringLiteral("0x%1").arg(address, 0, 16)});
        if (!r.ok) {
            *error = r.error;
            return false;
        }
        const auto chains = symtest::parseAddr2line(r.out);
        if (!chains.contains(address) || chains[address].isEmpty()) {
            *error = QStringLiteral("addr2line gave nothing: ") + QString::fromUtf8(r.out);
            return false;
        }
        *file = chains[address].first().file;
        *line = chains[address].first().line;
        return true;
    }
    *error = QStringLiteral("symbol %1 not in %2").arg(f.function, ko);
    return false;
}

} // namespace guitest
