#include "telemetry/telemetrysource.h"

#include "link/shellquote.h"
#include "telemetry/telemetryparser.h"

namespace kms::telemetry {

namespace {

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QString sanitizeKey(QString key)
{
    for (QChar &c : key) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'_')
            c = u'_';
    }
    if (key.isEmpty() || key.front().isDigit())
        key.prepend(u'_');
    return key.left(int(maxTelemetryKey));
}

} // namespace

QString TelemetrySourceSpec::toString() const
{
    switch (kind) {
    case Kind::Stream:
        return QStringLiteral("stream:") + path;
    case Kind::Poll:
        return QStringLiteral("poll:%1@%2").arg(paths.join(u','), QString::number(intervalMs));
    case Kind::Regex:
        return QStringLiteral("regex:") + pattern;
    }
    return {};
}

std::optional<TelemetrySourceSpec> TelemetrySourceSpec::parse(const QString &textIn, QString *error)
{
    const QString text = textIn.trimmed();
    TelemetrySourceSpec spec;
    if (text.startsWith(QLatin1String("regex:"))) {
        spec.kind = Kind::Regex;
        spec.pattern = text.mid(6);
        const QRegularExpression re(spec.pattern);
        if (spec.pattern.isEmpty() || !re.isValid()) {
            fail(error, QStringLiteral("regex source: bad pattern '%1': %2").arg(spec.pattern, re.errorString()));
            return std::nullopt;
        }
        bool named = false;
        for (const QString &name : re.namedCaptureGroups())
            named = named || !name.isEmpty();
        if (!named) {
            fail(error, QStringLiteral("regex source '%1' has no named capture (?<key>...)").arg(spec.pattern));
            return std::nullopt;
        }
        return spec;
    }
    if (text.startsWith(QLatin1String("poll:"))) {
        spec.kind = Kind::Poll;
        const QString body = text.mid(5);
        const qsizetype at = body.lastIndexOf(u'@');
        bool ok = false;
        spec.intervalMs = at > 0 ? body.mid(at + 1).toInt(&ok) : 0;
        if (!ok || spec.intervalMs < minPollIntervalMs) {
            fail(error,
                 QStringLiteral("poll source '%1': give the interval as @MS (at least %2)")
                     .arg(text)
                     .arg(minPollIntervalMs));
            return std::nullopt;
        }
        for (const QString &p : body.left(at).split(u',', Qt::SkipEmptyParts)) {
            if (!isValidRemotePath(p.trimmed())) {
                fail(error, QStringLiteral("poll source: bad path '%1'").arg(p));
                return std::nullopt;
            }
            spec.paths.append(p.trimmed());
        }
        if (spec.paths.isEmpty()) {
            fail(error, QStringLiteral("poll source '%1' names no file").arg(text));
            return std::nullopt;
        }
        return spec;
    }
    spec.kind = Kind::Stream;
    spec.path = text.startsWith(QLatin1String("stream:")) ? text.mid(7) : text;
    if (text == QLatin1String("stream:") || text == QLatin1String("stream"))
        spec.path = QString::fromLatin1(defaultStreamPath);
    if (!isValidRemotePath(spec.path) || spec.path.contains(u':')) {
        fail(error,
             QStringLiteral("bad telemetry source '%1' (stream:PATH, poll:PATH[,PATH...]@MS or "
                            "regex:PATTERN)")
                 .arg(text));
        return std::nullopt;
    }
    return spec;
}

QList<TelemetrySourceSpec> TelemetrySourceSpec::parseList(const QString &text, QStringList *errors)
{
    QList<TelemetrySourceSpec> specs;
    for (const QString &line : text.split(u'\n')) {
        const QString t = line.trimmed();
        if (t.isEmpty() || t.startsWith(u'#'))
            continue;
        QString error;
        if (auto spec = parse(t, &error))
            specs.append(*spec);
        else if (errors)
            errors->append(error);
    }
    return specs;
}

QString pollKeyForPath(const QString &path, const QStringList &allPaths)
{
    const auto base = [](const QString &p) {
        return p.section(u'/', -1, -1, QString::SectionSkipEmpty);
    };
    const QString name = base(path);
    int same = 0;
    for (const QString &other : allPaths)
        same += base(other) == name ? 1 : 0;
    if (same > 1)
        return sanitizeKey(path.section(u'/', -2, -2, QString::SectionSkipEmpty) + u'_' + name);
    return sanitizeKey(name);
}

} // namespace kms::telemetry
