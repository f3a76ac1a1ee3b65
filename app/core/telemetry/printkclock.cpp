#include "telemetry/printkclock.h"

#include "log/consoleline.h"

#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace kms::telemetry {

namespace {

constexpr qint64 printkResolutionNs = 1000; // dmesg prints microseconds
constexpr qint64 maxClockNs = qint64(100) * 365 * 24 * 3600 * 1000000000; // a century of uptime
constexpr qint64 minFitSpanNs = 5'000'000'000; // below this the slope is noise
constexpr double maxSlope = 1e-3; // 1000 ppm: beyond, the fit is wrong, not the clocks
// How fast the two clocks may run apart where nothing was measured: NTP slews CLOCK_MONOTONIC
// by up to 500 ppm, and an emulated node's clock sources disagree by hundreds of ppm.
constexpr double unmeasuredDrift = 500e-6;
// Where a fitted slope is known, what may still change: its error and real wander.
constexpr double fittedDrift = 50e-6;

} // namespace

QByteArray PrintkClock::measureCommand(const QByteArray &nonce)
{
    // /proc/timer_list samples "now" whenever its seq_file starts from offset 0: at the first
    // read, and again after any seek. So both files (and /dev/kmsg) are opened before the
    // bracket, and inside it there are only three system calls: a first read of fd 3 (samples
    // M0), the marker (printk stamps P), a first read of fd 4 (samples M1). The values are read
    // out afterwards: with the shell's own `read` where it reads byte by byte (busybox ash,
    // dash: no fork, which costs a slow node most), with head under bash, whose `read` reads
    // ahead and seeks back (that would sample "now" again). `read -n 1` is busybox/bash; dash
    // refuses it and reads the first line instead.
    return QByteArrayLiteral("kms_v() { if [ -n \"$BASH_VERSION\" ]; then l=$(head -c 512 <&$1); "
                             "else while read -r l <&$1; do case $l in \"now at \"*) break;; esac; done; fi; "
                             "kms_t=${l#*now at }; kms_t=${kms_t%% nsecs*}; "
                             "case $kms_t in ''|*[!0-9]*) kms_t=;; esac; }; "
                             "exec 5>/dev/kmsg || exit 0; "
                             "for i in 1 2 3; do exec 3</proc/timer_list 4</proc/timer_list || break; "
                             "read -r -n 1 x <&3 2>/dev/null || read -r x <&3; "
                             "echo \"<7>kmodscope-clock ")
        + nonce
        + QByteArrayLiteral("-$i\" >&5; "
                            "read -r -n 1 x <&4 2>/dev/null || read -r x <&4; "
                            "kms_v 3; a=$kms_t; kms_v 4; "
                            "echo \"kms-clock $i $a $kms_t\"; exec 3<&- 4<&-; done; exec 5>&-; "
                            "read -r b </proc/sys/kernel/random/boot_id; echo \"kms-boot $b\"; "
                            "dmesg 2>/dev/null | grep 'kmodscope-clock ")
        + nonce + QByteArrayLiteral("-'");
}

std::optional<ClockMeasurement> PrintkClock::parseMeasureOutput(const QByteArray &output, const QByteArray &nonce,
                                                                QString *bootId, QString *error)
{
    QHash<int, std::pair<qint64, qint64>> brackets;
    QHash<int, qint64> printk;
    const QByteArray marker = "kmodscope-clock " + nonce + '-';
    QByteArray scratch;
    for (const QByteArray &line : output.split('\n')) {
        if (line.startsWith("kms-clock ")) {
            const QList<QByteArray> f = line.trimmed().split(' ');
            bool ok1 = false, ok2 = false, ok3 = false;
            if (f.size() == 4) {
                const int i = f[1].toInt(&ok1);
                const qint64 a = f[2].toLongLong(&ok2);
                const qint64 b = f[3].toLongLong(&ok3);
                // CLOCK_MONOTONIC nanoseconds: anything else (garbage, a negative or overflowing
                // reading) would only overflow the midpoint arithmetic below.
                if (ok1 && ok2 && ok3 && a >= 0 && b >= a && b <= maxClockNs)
                    brackets.insert(i, {a, b});
            }
        } else if (line.startsWith("kms-boot ")) {
            if (bootId)
                *bootId = QString::fromLatin1(line.mid(9).trimmed());
        } else if (const qsizetype at = line.indexOf(marker); at >= 0) {
            bool ok = false;
            const int i = line.mid(at + marker.size()).trimmed().toInt(&ok);
            const ConsoleLine parsed = parseConsoleLine(line, scratch);
            // A printk time past maxClockNs is a mangled line (the fuzzer's [80903173430.64]).
            if (ok && parsed.timestamp && *parsed.timestamp >= 0 && *parsed.timestamp * 1e9 <= double(maxClockNs))
                printk.insert(i, qint64(std::llround(*parsed.timestamp * 1e6)) * 1000);
        }
    }
    std::optional<ClockMeasurement> best;
    for (auto it = brackets.cbegin(); it != brackets.cend(); ++it) {
        if (!printk.contains(it.key()))
            continue;
        const auto [a, b] = it.value();
        ClockMeasurement m;
        m.printkNs = printk.value(it.key());
        m.offsetNs = a + (b - a) / 2 - m.printkNs;
        m.uncertaintyNs = (b - a + 1) / 2 + printkResolutionNs;
        if (!best || m.uncertaintyNs < best->uncertaintyNs)
            best = m;
    }
    if (!best && error) {
        if (brackets.isEmpty())
            *error = QStringLiteral("no CLOCK_MONOTONIC reading (is /proc/timer_list readable, /dev/kmsg writable?)");
        else
            *error = QStringLiteral("the clock marker is not in dmesg (printk timestamps off?)");
    }
    return best;
}

void PrintkClock::add(const QString &bootId, const ClockMeasurement &m)
{
    QList<ClockMeasurement> &list = m_boots[bootId];
    // A printk time older than the last one of this boot id means the id is not telling boots
    // apart (empty when unreadable): start over rather than fit two boots together.
    if (!list.isEmpty() && m.printkNs < list.constLast().printkNs)
        list.clear();
    list.append(m);
    while (list.size() > keepMeasurements)
        list.removeFirst();
    m_current = bootId;
}

std::optional<ClockMeasurement> PrintkClock::estimate(qint64 printkNs, const QString &bootIdIn) const
{
    const QString bootId = bootIdIn.isEmpty() ? m_current : bootIdIn;
    const auto it = m_boots.constFind(bootId);
    if (it == m_boots.cend() || it->isEmpty())
        return std::nullopt;
    const QList<ClockMeasurement> &list = *it;
    ClockMeasurement out;
    out.printkNs = printkNs;
    const qint64 span = list.constLast().printkNs - list.constFirst().printkNs;
    if (list.size() < 2 || span < minFitSpanNs) {
        // Nearest measurement alone.
        const ClockMeasurement *nearest = &list.constFirst();
        for (const ClockMeasurement &m : list) {
            if (std::llabs(m.printkNs - printkNs) < std::llabs(nearest->printkNs - printkNs)
                || (m.printkNs == nearest->printkNs && m.uncertaintyNs < nearest->uncertaintyNs))
                nearest = &m;
        }
        out.offsetNs = nearest->offsetNs;
        out.uncertaintyNs
            = nearest->uncertaintyNs + qint64(double(std::llabs(nearest->printkNs - printkNs)) * unmeasuredDrift);
        return out;
    }
    // Weighted least squares offset = c + s * (printk - x0); x0 centres the sums so that ns
    // values around 1e14 do not cost the doubles their precision.
    const double x0 = double(list.constFirst().printkNs);
    const double y0 = double(list.constFirst().offsetNs);
    double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const ClockMeasurement &m : list) {
        const double u = double(qMax<qint64>(m.uncertaintyNs, printkResolutionNs));
        const double w = 1.0 / (u * u);
        const double x = double(m.printkNs) - x0;
        const double y = double(m.offsetNs) - y0;
        sw += w;
        sx += w * x;
        sy += w * y;
        sxx += w * x * x;
        sxy += w * x * y;
    }
    const double den = sw * sxx - sx * sx;
    double slope = den > 0 ? (sw * sxy - sx * sy) / den : 0.0;
    slope = std::clamp(slope, -maxSlope, maxSlope);
    const double intercept = (sy - slope * sx) / sw;
    const double x = double(printkNs) - x0;
    out.offsetNs = qint64(std::llround(y0 + intercept + slope * x));
    // Uncertainty: the fit's at the data, growing with extrapolation beyond the measured span.
    qint64 best = list.constFirst().uncertaintyNs;
    for (const ClockMeasurement &m : list)
        best = qMin(best, m.uncertaintyNs);
    const double beyond = qMax(0.0,
                               qMax(double(list.constFirst().printkNs) - double(printkNs),
                                    double(printkNs) - double(list.constLast().printkNs)));
    out.uncertaintyNs = best + qint64(beyond * fittedDrift);
    return out;
}

std::optional<qint64> PrintkClock::toMonotonic(qint64 printkNs, const QString &bootId) const
{
    const auto e = estimate(printkNs, bootId);
    if (!e)
        return std::nullopt;
    return printkNs + e->offsetNs;
}

} // namespace kms::telemetry
