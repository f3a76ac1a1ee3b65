#include "symbols/pathmap.h"

#include <algorithm>

namespace kms {

namespace {

QString withoutTrailingSlash(QString path)
{
    while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
        path.chop(1);
    return path;
}

} // namespace

void PathMap::add(const QString &from, const QString &to)
{
    const QString key = withoutTrailingSlash(from);
    if (key.isEmpty())
        return;
    const QString value = withoutTrailingSlash(to);
    for (auto &rule : m_rules) {
        if (rule.first == key) {
            rule.second = value;
            return;
        }
    }
    m_rules.append({key, value});
    std::stable_sort(m_rules.begin(), m_rules.end(),
                     [](const auto &a, const auto &b) { return a.first.size() > b.first.size(); });
}

QString PathMap::map(const QString &path) const
{
    for (const auto &[from, to] : m_rules) {
        if (!path.startsWith(from))
            continue;
        // Whole components only; "/" as `from` matches every absolute path.
        if (path.size() == from.size())
            return to;
        QString rest;
        if (from.endsWith(QLatin1Char('/')))
            rest = path.mid(from.size() - 1);
        else if (path.at(from.size()) == QLatin1Char('/'))
            rest = path.mid(from.size());
        else
            continue;
        return to.endsWith(QLatin1Char('/')) ? to + rest.mid(1) : to + rest;
    }
    return path;
}

} // namespace kms
