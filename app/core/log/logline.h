// One line of a live source as kept by the session: what arrived, from where, and when the host
// saw its first byte. Plain value, passed between threads in batches (QList<LogLine>).
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

namespace kms {

struct LogLine {
    enum Flag : quint8 {
        Overlong = 0x1, // a piece of a line longer than LineSplitter::maxLineLength
        Sent = 0x2, // what we sent to the node (typed text, break), echoed into the log
        Event = 0x4, // a note of ours (link lost, reconnected, cycle step), not node output
    };

    qint64 timeNs = 0; // host wall clock (CLOCK_REALTIME, ns since the epoch)
    QString source; // "serial", "ssh-dmesg", "cycle", ...
    QByteArray text; // without terminator; bytes as received (may be invalid UTF-8)
    quint8 flags = 0;

    friend bool operator==(const LogLine &, const LogLine &) = default;
};

// Wall clock rather than a monotonic one: session logs from several runs and the node's own
// timestamps are compared by people, and the log must survive a restart of kmodscope.
qint64 hostTimeNowNs();

} // namespace kms

Q_DECLARE_METATYPE(kms::LogLine)
