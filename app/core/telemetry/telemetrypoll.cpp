#include "telemetry/telemetrypoll.h"

#include "link/shellquote.h"
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetrysource.h"

namespace kms::telemetry {

QByteArray monotonicNowShellFunction()
{
    return QByteArrayLiteral("kms_now() { while read -r l; do case $l in \"now at \"*) l=${l#now at }; "
                             "kms_t=${l% nsecs}; return 0;; esac; done </proc/timer_list; kms_t=; }; ");
}

QByteArray pollCommand(const QStringList &paths)
{
    QByteArray cmd = monotonicNowShellFunction() + "kms_now; echo \"kms-now $kms_t\"; ";
    for (qsizetype i = 0; i < paths.size(); ++i) {
        cmd += "echo 'kms-file " + QByteArray::number(i) + "'; cat " + shellQuote(paths[i])
            + " 2>/dev/null && echo || echo kms-unreadable; ";
    }
    cmd += "true";
    return cmd;
}

PollOutput parsePollOutput(const QByteArray &output, const QStringList &paths)
{
    PollOutput out;
    QList<QByteArray> content(paths.size());
    QList<bool> unreadable(paths.size(), false);
    QList<bool> seen(paths.size(), false);
    qsizetype current = -1;
    for (const QByteArray &raw : output.split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.startsWith("kms-now ")) {
            bool ok = false;
            const qint64 t = line.mid(8).toLongLong(&ok);
            if (ok && t >= 0)
                out.nowNs = t;
            continue;
        }
        if (line.startsWith("kms-file ")) {
            bool ok = false;
            const qsizetype i = line.mid(9).toLongLong(&ok);
            current = ok && i >= 0 && i < paths.size() ? i : -1;
            if (current >= 0)
                seen[current] = true;
            continue;
        }
        if (current < 0 || line.isEmpty())
            continue;
        if (line == "kms-unreadable") {
            unreadable[current] = true;
            continue;
        }
        if (content[current].size() < maxTelemetryLine) {
            content[current] += line;
            content[current] += ' ';
        }
    }
    for (qsizetype i = 0; i < paths.size(); ++i) {
        if (!seen[i] || unreadable[i]) {
            out.unreadable.append(paths[i]);
            continue;
        }
        const QList<QByteArray> tokens = content[i].simplified().split(' ');
        if (content[i].contains('=')) {
            for (const QByteArray &t : tokens) {
                if (!t.startsWith("t_ns="))
                    out.line += t + ' ';
            }
            continue;
        }
        const QByteArray key = pollKeyForPath(paths[i], paths).toLatin1();
        QList<QByteArray> numbers;
        for (const QByteArray &t : tokens) {
            if (!t.isEmpty() && parseTelemetryNumber(t))
                numbers.append(t);
        }
        if (numbers.isEmpty() || numbers.size() != tokens.size()) {
            ++out.badFiles;
            continue;
        }
        if (numbers.size() == 1) {
            out.line += key + '=' + numbers.front() + ' ';
        } else {
            for (qsizetype n = 0; n < numbers.size() && n < maxValuesPerSet; ++n)
                out.line += key + '_' + QByteArray::number(n) + '=' + numbers[n] + ' ';
        }
    }
    out.line = out.line.trimmed();
    return out;
}

} // namespace kms::telemetry
