// The telemetry sources of one node, run over its SSH link: the one object the GUI's Telemetry
// dock and `kmodscope-cli telemetry` are thin front ends over.
//
//   stream:PATH   one SSH channel running `cat PATH` (restarted by the link after a loss)
//   poll:...@MS   one SSH command per batch and interval (never one per file), stamped with the
//                 node's CLOCK_MONOTONIC read in the same command; one batch in flight at a time
//   regex:RE      the node's kernel-log lines (fed by the node session, or a `dmesg -w` stream
//                 of the hub's own when nobody feeds it), stamped with their printk time put on
//                 CLOCK_MONOTONIC by PrintkClock
// Every source's sets go through its TelemetryParser (errors counted per source) and the alarm
// rules; they leave as one `samples` batch per arrival (a link read, a poll), never one signal
// per sample. A link loss, a stream that ends (module unloaded), a poll that fails or a source
// clock that restarts is a `gap`. The printk/CLOCK_MONOTONIC offset is measured when the link
// comes up and every clockIntervalMs (PrintkClock says how), so kernel reports can be put on the
// same axis: nodeTimeOfPrintk().
//
// Threading: lives in its creator's thread (or one it is moved to); the link's signals arrive
// queued. stats(), clock() and nodeTimeOfPrintk() may be called from any thread.
#pragma once

#include "log/dmesgreplay.h"
#include "log/logline.h"
#include "telemetry/printkclock.h"
#include "telemetry/telemetryalarms.h"
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetryrecorder.h"
#include "telemetry/telemetrysample.h"
#include "telemetry/telemetrysource.h"

#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

#include <memory>

namespace kms {
class NodeSession;
class SshLink;
struct SshCommandResult;
} // namespace kms

namespace kms::telemetry {

class TelemetryHub : public QObject
{
    Q_OBJECT
public:
    static constexpr int defaultClockIntervalMs = 30'000;
    static constexpr int maxPendingRegexSets = 20'000; // held until the clock is first measured

    explicit TelemetryHub(QObject *parent = nullptr);
    ~TelemetryHub() override;

    // Configuration (before start(); calling again restarts the sources).
    void setSources(const QList<TelemetrySourceSpec> &sources);
    QList<TelemetrySourceSpec> sources() const { return m_specs; }
    void setAlarmSettings(const AlarmSettings &settings) { m_alarms.setSettings(settings); }
    AlarmSettings alarmSettings() const { return m_alarms.settings(); }
    void setClockIntervalMs(int ms) { m_clockTimer.setInterval(ms); }
    // Whether kernel-log lines come from outside (the node session calls feedKernelLog) or the
    // hub follows the kernel log itself when a regex source needs it. Default: itself.
    void setExternalKernelLog(bool external) { m_externalKernelLog = external; }

    // Runs the sources over this link (the link's owner starts and stops it). The hub never
    // owns the link.
    void start(SshLink *link);
    void stop();
    bool isRunning() const { return m_link != nullptr; }

    // The way front ends run it: through the node's session. The sources run over the session's
    // SSH link (and follow it when the session starts a new one), regex sources read the
    // session's kernel-log lines (NodeSession::kernelLogSource), and every alarm joins the
    // session as a line of its own (source "telemetry", an event: in the console and the
    // session log, never taken for kernel output).
    void attach(NodeSession *session);
    void detach();

    // The full-rate history beside the session log (TelemetryRecorder), written in a thread of
    // its own so that no disk stall reaches this one.
    bool startRecording(const QString &path, QString *error = nullptr, qint64 maxBytes = 256LL * 1024 * 1024,
                        int keepFiles = 4);
    void stopRecording(); // flushes and closes; returns when it is on disk
    QString recordingPath() const { return m_recordingPath; }

    // Parse errors and counts, per source (keyed by TelemetrySourceSpec::toString()).
    QHash<QString, TelemetryParseStats> statsBySource() const;
    TelemetryParseStats stats() const;

    // The node's CLOCK_MONOTONIC ns of a printk time (seconds, as KernelReport::timestamp),
    // in the given boot (empty: the node's current boot). nullopt until the clock was measured.
    std::optional<qint64> nodeTimeOfPrintk(double printkSeconds, const QString &bootId = {}) const;
    // The same with how sure it is (offsetNs, uncertaintyNs: grows away from the measurements).
    std::optional<ClockMeasurement> printkEstimate(double printkSeconds, const QString &bootId = {}) const;
    PrintkClock clock() const;
    QString lastClockError() const;

public Q_SLOTS:
    // Kernel-log lines of the node (a node session's per-source lines: serial or SSH dmesg).
    // Used by regex sources; lines without a printk timestamp are skipped.
    void feedKernelLog(const QList<kms::LogLine> &lines);
    void measureClock();

Q_SIGNALS:
    void samples(const QList<kms::telemetry::TelemetrySet> &sets);
    void gap(const kms::telemetry::TelemetryGap &gap);
    void alarm(const kms::telemetry::TelemetryAlarm &alarm);
    // The clock of `bootId` was measured (ok) or could not be (error says why).
    void clockMeasured(const QString &bootId, const kms::telemetry::ClockMeasurement &m);
    void clockFailed(const QString &error);
    // One line for the console / stderr: a source started, ended, failed.
    void status(const QString &text);

private:
    struct Source;
    class RecorderWorker;

    void startSource(Source &s);
    void onStreamLines(quint64 id, const QList<kms::LogLine> &lines);
    void onCommandFinished(quint64 id, const kms::SshCommandResult &result);
    void onLinkState(int state);
    void poll(Source &s);
    void handlePoll(Source &s, const kms::SshCommandResult &result);
    void handleRegexLines(const QList<kms::LogLine> &lines);
    void flushPendingRegex();
    void emitGap(Source &s, const QString &reason, std::optional<qint64> lastTNs = {});
    // Parser result -> batch/gap/alarms.
    void take(Source &s, TelemetryParser::Result r, const TelemetrySet &set, QList<TelemetrySet> &batch,
              qint64 lastBefore);
    void publish(QList<TelemetrySet> &batch, QList<TelemetryAlarm> &alarms);

    QList<TelemetrySourceSpec> m_specs;
    std::vector<std::unique_ptr<Source>> m_sources;
    QPointer<SshLink> m_link;
    QList<QMetaObject::Connection> m_connections;
    QList<QMetaObject::Connection> m_sessionConnections;
    TelemetryAlarms m_alarms;
    bool m_externalKernelLog = false;
    quint64 m_kmsgStream = 0;
    DmesgReplayFilter m_replay;
    QString m_kmsgBoot; // boot id of the kernel-log stream, when it prints one

    mutable QMutex m_mutex; // m_clock, m_clockError, the sources' stats
    PrintkClock m_clock;
    QString m_clockError;
    QTimer m_clockTimer;
    quint64 m_clockCommand = 0;
    QByteArray m_clockNonce;
    // Until the clock of the node's current boot is measured (or fails), regex sets wait: a
    // reboot's replayed log must not be placed with the previous boot's offset.
    bool m_clockPending = true;
    QList<std::pair<qint64, TelemetrySet>> m_pendingRegex; // printk ns, set (tNs unset)

    QString m_recordingPath;
    QThread *m_recorderThread = nullptr;
    RecorderWorker *m_recorder = nullptr;
    QList<TelemetryAlarm> m_alarmScratch;
};

} // namespace kms::telemetry
