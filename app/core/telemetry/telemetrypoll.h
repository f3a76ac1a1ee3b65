// A poll source's one SSH command per batch, and its output turned into one key=value line.
//
// The command reads CLOCK_MONOTONIC from /proc/timer_list ("now at N nsecs", with shell builtins
// only: busybox has no clock tool and /proc/uptime is another clock) and then every file:
//   kms-now N
//   kms-file 0
//   <content of file 0, or the line kms-unreadable>
//   kms-file 1 ...
// A file holding key=value pairs contributes them (its own t_ns, if any, is dropped: the poll's
// time stamps the set); a file holding one number contributes it under pollKeyForPath(); a file
// holding several numbers contributes <key>_0, <key>_1, ...
#pragma once

#include <QByteArray>
#include <QStringList>

#include <optional>

namespace kms::telemetry {

// Shell builtins that set $kms_t to CLOCK_MONOTONIC ns from /proc/timer_list (empty if unreadable).
QByteArray monotonicNowShellFunction();

QByteArray pollCommand(const QStringList &paths);

struct PollOutput {
    std::optional<qint64> nowNs; // the node's CLOCK_MONOTONIC at the start of the batch
    QByteArray line; // "key=value ..." of every readable file (no t_ns)
    QStringList unreadable; // files that could not be read (module unloaded, no permission)
    int badFiles = 0; // readable, but neither key=value nor numbers
};

PollOutput parsePollOutput(const QByteArray &output, const QStringList &paths);

} // namespace kms::telemetry
