// Parsing of the decode command's option values that carry structure.
#pragma once

#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace kms::cli {

struct SectionSpec {
    QString module;
    QList<QPair<QString, quint64>> sections; // section name -> load address
};

// "MOD:SECTION=ADDR[,SECTION=ADDR...]" (the documented form), also "MOD=SECTION:ADDR[,...]".
// Returns nullopt and sets *error when the text is neither.
std::optional<SectionSpec> parseSectionSpec(const QString &text, QString *error);

// "OLD=NEW" for --src-map.
std::optional<QPair<QString, QString>> parseSourceMap(const QString &text, QString *error);

} // namespace kms::cli
