#include "sectionspec.h"

#include <QRegularExpression>

namespace kms::cli {

namespace {

std::optional<quint64> parseAddress(const QString &text)
{
    bool ok = false;
    const quint64 value = text.trimmed().toULongLong(&ok, 0);
    return ok ? std::optional(value) : std::nullopt;
}

// Section names as ELF has them: ".text", ".exit.text", ".text.unlikely", "__bug_table" ...
bool isSectionName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_.$-]+$"));
    return pattern.match(name).hasMatch();
}

bool isModuleName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_-]+$"));
    return pattern.match(name).hasMatch();
}

} // namespace

std::optional<SectionSpec> parseSectionSpec(const QString &text, QString *error)
{
    const int colon = text.indexOf(QLatin1Char(':'));
    const int equals = text.indexOf(QLatin1Char('='));
    if (colon < 0 || equals < 0) {
        *error = QStringLiteral("--sections '%1': expected MOD:SECTION=ADDR[,SECTION=ADDR...]").arg(text);
        return std::nullopt;
    }
    // MOD:SECTION=ADDR when the colon comes first, MOD=SECTION:ADDR otherwise.
    const bool documentedForm = colon < equals;
    const QChar moduleSeparator = documentedForm ? QLatin1Char(':') : QLatin1Char('=');
    const QChar addressSeparator = documentedForm ? QLatin1Char('=') : QLatin1Char(':');

    SectionSpec spec;
    spec.module = text.left(text.indexOf(moduleSeparator)).trimmed();
    if (!isModuleName(spec.module)) {
        *error = QStringLiteral("--sections '%1': '%2' is not a module name").arg(text, spec.module);
        return std::nullopt;
    }
    const QString rest = text.mid(text.indexOf(moduleSeparator) + 1);
    for (const QString &part : rest.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const int sep = part.lastIndexOf(addressSeparator);
        const QString section = part.left(sep).trimmed();
        const auto address = sep > 0 ? parseAddress(part.mid(sep + 1)) : std::nullopt;
        if (!address || !isSectionName(section)) {
            *error = QStringLiteral("--sections '%1': '%2' is not SECTION%3ADDR").arg(text, part, addressSeparator);
            return std::nullopt;
        }
        spec.sections.append({section, *address});
    }
    if (spec.sections.isEmpty()) {
        *error = QStringLiteral("--sections '%1': no section given").arg(text);
        return std::nullopt;
    }
    return spec;
}

std::optional<QPair<QString, QString>> parseSourceMap(const QString &text, QString *error)
{
    const int equals = text.indexOf(QLatin1Char('='));
    if (equals <= 0) {
        *error = QStringLiteral("--src-map '%1': expected OLD=NEW").arg(text);
        return std::nullopt;
    }
    return QPair<QString, QString>(text.left(equals), text.mid(equals + 1));
}

} // namespace kms::cli
