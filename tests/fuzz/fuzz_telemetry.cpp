// libFuzzer entry for everything that reads telemetry text or files from a node: the key=value
// parser (stream lines, with and without a fallback time), poll output, the printk clock
// command's output, and the recorder's binary format. Checks the invariants callers rely on.
#include "telemetry/printkclock.h"
#include "telemetry/telemetryalarms.h"
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetrypoll.h"
#include "telemetry/telemetryrecorder.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

using namespace kms::telemetry;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

void checkSet(const TelemetrySet &set)
{
    check(!set.values.isEmpty() && set.values.size() <= maxValuesPerSet);
    for (const TelemetryValue &v : set.values) {
        check(std::isfinite(v.value) && std::fabs(v.value) <= maxTelemetryMagnitude);
        check(isValidTelemetryKey(v.key.toLatin1()));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));

    // Line by line, as a stream source sees it, through the alarm rules.
    TelemetryParser parser(QStringLiteral("stream:/fuzz"));
    TelemetryAlarms alarms;
    QList<TelemetryAlarm> raised;
    TelemetrySet set;
    qint64 last = -1;
    int lines = 0;
    for (const QByteArray &line : input.split('\n')) {
        ++lines;
        const auto r = parser.parseLine(line, &set, lines % 2 ? std::optional<qint64>(lines) : std::nullopt);
        if (r == TelemetryParser::Result::Dropped)
            continue;
        checkSet(set);
        check(set.tNs >= 0);
        // Accepted times never go back, except at a new epoch.
        check(r == TelemetryParser::Result::NewEpoch || set.tNs >= last);
        last = set.tNs;
        alarms.check(set, &raised);
    }
    const TelemetryParseStats &s = parser.stats();
    check(s.lines == lines);
    check(s.sets + s.garbage + s.missingTime + s.backwards - s.epochs == s.lines);

    // Poll output for three files.
    const QStringList paths{QStringLiteral("/a/x"), QStringLiteral("/b/x"), QStringLiteral("/c")};
    const PollOutput poll = parsePollOutput(input, paths);
    check(poll.unreadable.size() <= paths.size());
    TelemetryParser pollParser;
    if (pollParser.parseLine(poll.line, &set, poll.nowNs.value_or(0)) != TelemetryParser::Result::Dropped)
        checkSet(set);

    // The clock command's output.
    QString boot, error;
    if (const auto m = PrintkClock::parseMeasureOutput(input, "n", &boot, &error)) {
        check(m->uncertaintyNs > 0);
        PrintkClock clock;
        clock.add(boot, *m);
        check(clock.toMonotonic(m->printkNs) == m->printkNs + m->offsetNs);
    } else {
        check(!error.isEmpty());
    }

    // The recording format: never reads out of bounds, whatever the bytes.
    QByteArray recording = QByteArrayLiteral("KMSTLM1\n") + input;
    readTelemetryBytes(recording, {[](const TelemetrySet &) {}, {}, {}});
    return 0;
}
