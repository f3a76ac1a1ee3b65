#include "channelgroups.h"

#include <QObject>
#include <QSet>

#include <array>

namespace kms::gui {

namespace {

ChannelGroup::Kind kindOf(const QString &key, const QSet<QString> &all, QString *capKey)
{
    if (key.endsWith(QLatin1String("_fill_n"))) {
        const QString cap = key.chopped(7) + QLatin1String("_cap_n");
        if (all.contains(cap)) {
            *capKey = cap;
            return ChannelGroup::Fill;
        }
        return ChannelGroup::Count;
    }
    if (key.endsWith(QLatin1String("_total_n")))
        return ChannelGroup::Counters;
    if (key.endsWith(QLatin1String("_err_ns")) || key.endsWith(QLatin1String("_error_ns")))
        return ChannelGroup::SyncError;
    if (key.endsWith(QLatin1String("_ns")))
        return ChannelGroup::Nanoseconds;
    if (key.endsWith(QLatin1String("_ppm")))
        return ChannelGroup::Ppm;
    if (key.endsWith(QLatin1String("_us")))
        return ChannelGroup::Microseconds;
    if (key.endsWith(QLatin1String("_pct")))
        return ChannelGroup::Percent;
    if (key.endsWith(QLatin1String("_n")))
        return ChannelGroup::Count;
    return ChannelGroup::Other;
}

QString titleOf(ChannelGroup::Kind kind)
{
    switch (kind) {
    case ChannelGroup::Fill:
        return QObject::tr("fill (% of capacity)");
    case ChannelGroup::Counters:
        return QObject::tr("count since load");
    case ChannelGroup::SyncError:
        return QObject::tr("error (ns)");
    case ChannelGroup::Nanoseconds:
        return QObject::tr("ns");
    case ChannelGroup::Ppm:
        return QObject::tr("ppm");
    case ChannelGroup::Microseconds:
        return QObject::tr("µs");
    case ChannelGroup::Percent:
        return QObject::tr("%");
    case ChannelGroup::Count:
        return QObject::tr("count");
    case ChannelGroup::Other:
        break;
    }
    return QObject::tr("value");
}

} // namespace

QList<ChannelGroup> groupChannels(const QStringList &keys)
{
    const QSet<QString> all(keys.begin(), keys.end());
    QSet<QString> capsUsed;
    std::array<ChannelGroup, ChannelGroup::Other + 1> groups;
    for (int k = 0; k < int(groups.size()); ++k) {
        groups[size_t(k)].kind = ChannelGroup::Kind(k);
        groups[size_t(k)].title = titleOf(ChannelGroup::Kind(k));
    }
    for (const QString &key : keys) {
        QString cap;
        const ChannelGroup::Kind kind = kindOf(key, all, &cap);
        groups[size_t(kind)].keys.append(key);
        if (kind == ChannelGroup::Fill) {
            groups[size_t(kind)].capKeys.append(cap);
            capsUsed.insert(cap);
        }
    }
    QList<ChannelGroup> out;
    for (ChannelGroup &g : groups) {
        if (g.kind == ChannelGroup::Count)
            g.keys.removeIf([&capsUsed](const QString &k) { return capsUsed.contains(k); });
        if (!g.keys.isEmpty())
            out.append(g);
    }
    return out;
}

} // namespace kms::gui
