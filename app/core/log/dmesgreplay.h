// Following a node's kernel log over a link that restarts (SSH reconnects, the stream command
// ends and is run again): each restart of `dmesg -w` prints the whole ring buffer again, and the
// reports in it were seen already. DmesgReplayFilter drops that replay so that consoles and
// report detectors see each kernel line once.
//
// Rule: after a restart, lines up to the last kernel timestamp seen before it are dropped, unless
// the node booted since (everything in its ring buffer is new). A reboot is told by the boot id
// line that the default command prints first ("kmodscope-boot-id <uuid>", consumed here); for a
// command without it, by a first line that differs from the previous run's (weaker: the same
// kernel prints the same first line on every boot). Lines without a kernel timestamp pass.
#pragma once

#include "log/logline.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace kms {

// The shell command that follows the kernel log on a node: the boot id, then the log (util-linux
// dmesg follows the ring buffer; busybox's cannot, and /dev/kmsg records can).
QByteArray defaultDmesgStreamCommand();
// The first word of the boot id line.
inline constexpr char bootIdMarker[] = "kmodscope-boot-id ";

class DmesgReplayFilter
{
public:
    // The stream starts again (its next lines replay the ring buffer).
    void restart();
    // Whether one kernel line (as received) is new.
    bool accept(QByteArrayView raw);
    // A batch from a stream: the link's own events pass and those saying the stream restarts
    // arm the filter; kernel lines pass when new.
    QList<LogLine> filter(const QList<LogLine> &lines);

private:
    std::optional<double> m_lastTimestamp;
    QByteArray m_firstLine;
    QByteArray m_bootId; // empty: the stream has no boot id line
    QByteArray m_scratch;
    bool m_replaying = false;
    bool m_firstOfRun = true;
};

} // namespace kms
