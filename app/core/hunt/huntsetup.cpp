#include "hunt/huntsetup.h"

namespace kms::hunt {

std::optional<GridSetup> parseGridSetup(const QStringList &varySpecs, const QString &loadList,
                                        const QString &readerList, const QString &baseParams, QString *error)
{
    GridSetup setup;
    QStringList specs = varySpecs;
    if (!loadList.trimmed().isEmpty())
        specs << QStringLiteral("load=") + loadList.trimmed();
    if (!readerList.trimmed().isEmpty())
        specs << QStringLiteral("reader=") + readerList.trimmed();
    for (const QString &spec : std::as_const(specs)) {
        const auto d = Dimension::parse(spec, error);
        if (!d || !setup.grid.add(*d, error))
            return std::nullopt;
    }
    if (setup.grid.cellCount() > kMaxCells) {
        *error = QStringLiteral("%1 cells: more than %2").arg(setup.grid.cellCount()).arg(kMaxCells);
        return std::nullopt;
    }
    const auto params = parseModuleParams(baseParams, error);
    if (!params)
        return std::nullopt;
    setup.base.params = *params;
    return setup;
}

bool isValidInstallCommand(const QString &command, QString *error)
{
    const QString why = command.trimmed().isEmpty() ? QStringLiteral("is empty")
        : command.size() > 4096                     ? QStringLiteral("is longer than 4096 characters")
        : command.contains(QLatin1Char('\n')) || command.contains(QLatin1Char('\r'))
        ? QStringLiteral("has more than one line")
        : command.contains(QChar(0)) ? QStringLiteral("holds a NUL character")
                                     : QString();
    if (why.isEmpty())
        return true;
    *error = QStringLiteral("install command %1").arg(why);
    return false;
}

} // namespace kms::hunt
