// What a telemetry source is, as the user writes it (CLI --source, the GUI profile):
//   stream:PATH                 a file on the node that blocks and yields key=value lines
//                               (default: prudaq's /sys/kernel/debug/prudaq/telemetry)
//   poll:PATH[,PATH...]@MS      files read every MS ms, all in one SSH command per poll
//   regex:PATTERN               named captures over the node's kernel-log lines
// A bare path (what older profiles store) is a stream.
#pragma once

#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace kms::telemetry {

inline constexpr char defaultStreamPath[] = "/sys/kernel/debug/prudaq/telemetry";
inline constexpr int minPollIntervalMs = 10;

struct TelemetrySourceSpec {
    enum class Kind { Stream, Poll, Regex };
    Kind kind = Kind::Stream;
    QString path; // Stream
    QStringList paths; // Poll
    int intervalMs = 1000; // Poll
    QString pattern; // Regex

    // The canonical text ("stream:/x", "poll:/a,/b@100", "regex:..."): also the `source` of
    // the sets it yields.
    QString toString() const;

    // nullopt and *error on a bad spec (unknown kind, empty or unsafe path, interval below
    // minPollIntervalMs, a regex that does not compile or has no named capture).
    static std::optional<TelemetrySourceSpec> parse(const QString &text, QString *error = nullptr);
    // Several specs, one a line (the profile's field); blank lines and '#' comments skipped.
    static QList<TelemetrySourceSpec> parseList(const QString &text, QStringList *errors = nullptr);

    friend bool operator==(const TelemetrySourceSpec &, const TelemetrySourceSpec &) = default;
};

// For a polled file that holds a single number: the key it is plotted under (its file name,
// with the parent directory's name when two polled files share a name).
QString pollKeyForPath(const QString &path, const QStringList &allPaths);

} // namespace kms::telemetry
