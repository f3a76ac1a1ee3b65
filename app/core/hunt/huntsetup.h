// The grid of a hunt from the user's words, as both front ends take them (`--vary SPEC`...,
// `--load LIST`, `--params "k=v ..."`): one place for the checks, so the CLI and the GUI refuse
// the same things with the same messages.
#pragma once

#include "hunt/huntgrid.h"

#include <optional>

namespace kms::hunt {

struct GridSetup {
    Grid grid;
    Conditions base; // the parameters every cell has
    QList<Conditions> cells() const { return grid.cells(base); }
};

inline constexpr qsizetype kMaxCells = 10000;

// `varySpecs` as Dimension::parse takes them; `loadList` ("none,cpu"; empty: none varied) and
// `readerList` ("off,on"; empty: no reader) are one more dimension each. Refuses more than
// kMaxCells cells. A clear message in *error.
std::optional<GridSetup> parseGridSetup(const QStringList &varySpecs, const QString &loadList,
                                        const QString &readerList, const QString &baseParams, QString *error);

// A compare's install command, as the user wrote it for the node's shell: one line, no NUL, at
// most 4096 characters. Run as `sh -c 'CMD'` (quoted whole, never pasted into another command).
bool isValidInstallCommand(const QString &command, QString *error);

} // namespace kms::hunt
