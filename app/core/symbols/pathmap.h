// Source path rewriting for resolved frames, like gdb's "set substitute-path": the build machine's
// source tree (as recorded in DWARF) is mapped to where the sources are on this machine.
#pragma once

#include <QList>
#include <QPair>
#include <QString>

namespace kms {

class PathMap
{
public:
    // Paths starting with `from` (a whole leading path component sequence: "/usr/src" matches
    // "/usr/src/x.c", not "/usr/srcx.c") are rewritten to start with `to`. Several rules may be
    // given; the longest matching `from` wins. Trailing slashes are ignored.
    void add(const QString &from, const QString &to);
    // The mapped path, or `path` unchanged when no rule matches.
    QString map(const QString &path) const;
    bool isEmpty() const { return m_rules.isEmpty(); }

private:
    QList<QPair<QString, QString>> m_rules; // sorted by decreasing length of `from`
};

} // namespace kms
