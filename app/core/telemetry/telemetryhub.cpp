#include "telemetry/telemetryhub.h"

#include "link/shellquote.h"
#include "link/sshlink.h"
#include "log/consoleline.h"
#include "node/nodesession.h"
#include "telemetry/telemetrypoll.h"

#include <QRandomGenerator>
#include <QThread>

#include <cmath>

namespace kms::telemetry {

struct TelemetryHub::Source {
    TelemetrySourceSpec spec;
    QString name;
    TelemetryParser parser;
    quint64 stream = 0;
    quint64 pollCommand = 0;
    std::unique_ptr<QTimer> pollTimer;
    QRegularExpression re;
    QStringList captures; // named groups, in order
    bool inGap = true; // a gap was reported and no set came since (nothing to break at start)
    bool unmeasuredWarned = false;

    explicit Source(const TelemetrySourceSpec &s)
        : spec(s)
        , name(s.toString())
        , parser(s.toString())
    {
    }
};

// The recorder in a thread of its own: writes may stall on a slow disk, the hub must not.
class TelemetryHub::RecorderWorker : public QObject
{
public:
    TelemetryRecorder recorder;
    QTimer flushTimer{this}; // a child: moveToThread takes it along

    RecorderWorker()
    {
        flushTimer.setInterval(TelemetryRecorder::flushIntervalMs);
        connect(&flushTimer, &QTimer::timeout, this, [this] { recorder.flush(); });
    }
};

TelemetryHub::TelemetryHub(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<kms::telemetry::TelemetrySet>();
    qRegisterMetaType<QList<kms::telemetry::TelemetrySet>>();
    qRegisterMetaType<kms::telemetry::TelemetryGap>();
    qRegisterMetaType<kms::telemetry::TelemetryAlarm>();
    qRegisterMetaType<kms::telemetry::ClockMeasurement>();
    m_clockTimer.setInterval(defaultClockIntervalMs);
    connect(&m_clockTimer, &QTimer::timeout, this, &TelemetryHub::measureClock);
}

TelemetryHub::~TelemetryHub()
{
    detach();
    stop();
    stopRecording();
}

void TelemetryHub::setSources(const QList<TelemetrySourceSpec> &sources)
{
    SshLink *link = m_link;
    if (link)
        stop();
    m_specs = sources;
    if (link)
        start(link);
}

void TelemetryHub::start(SshLink *link)
{
    stop();
    m_link = link;
    {
        // stats() may be reading them from another thread.
        QMutexLocker lock(&m_mutex);
        m_sources.clear();
        for (const TelemetrySourceSpec &spec : std::as_const(m_specs))
            m_sources.push_back(std::make_unique<Source>(spec));
    }
    m_connections.append(connect(link, &SshLink::streamLines, this, &TelemetryHub::onStreamLines));
    m_connections.append(connect(link, &SshLink::commandFinished, this, &TelemetryHub::onCommandFinished));
    m_connections.append(connect(link, &SshLink::stateChanged, this,
                                 [this](SshLink::State state, const QString &) { onLinkState(int(state)); }));
    bool needKernelLog = false;
    for (auto &s : m_sources) {
        startSource(*s);
        needKernelLog = needKernelLog || s->spec.kind == TelemetrySourceSpec::Kind::Regex;
    }
    if (needKernelLog && !m_externalKernelLog) {
        m_replay = DmesgReplayFilter();
        m_kmsgStream = link->startShellStream(defaultDmesgStreamCommand(), QStringLiteral("telemetry-kmsg"));
    }
    m_clockTimer.start();
    m_clockPending = true;
    if (link->state() == SshLink::State::Up)
        measureClock();
}

void TelemetryHub::attach(NodeSession *session)
{
    detach();
    setExternalKernelLog(true);
    m_sessionConnections.append(connect(session, &NodeSession::sshLinkChanged, this, [this](SshLink *link) {
        if (link)
            start(link);
        else
            stop();
    }));
    m_sessionConnections.append(
        connect(session, &NodeSession::linesReceived, this, [this](quint64, const QList<LogLine> &lines) {
            // The session's lines of every source; the kernel log as SSH brings it (the serial
            // console carries the same lines: taking both would count each value twice).
            QList<LogLine> kernel;
            for (const LogLine &l : lines) {
                if (l.source == QLatin1String(NodeSession::kernelLogSource) && !(l.flags & LogLine::Event))
                    kernel.append(l);
            }
            if (!kernel.isEmpty())
                feedKernelLog(kernel);
        }));
    m_sessionConnections.append(connect(this, &TelemetryHub::alarm, session, [session](const TelemetryAlarm &a) {
        session->feedLines({LogLine{hostTimeNowNs(), QStringLiteral("telemetry"), a.text.toUtf8(), LogLine::Event}});
    }));
    if (session->ssh())
        start(session->ssh());
}

void TelemetryHub::detach()
{
    for (const auto &c : std::as_const(m_sessionConnections))
        disconnect(c);
    m_sessionConnections.clear();
}

void TelemetryHub::startSource(Source &s)
{
    switch (s.spec.kind) {
    case TelemetrySourceSpec::Kind::Stream:
        // Waits for the file (a module not loaded yet) so that its first lines are not missed;
        // exec: the node's cat is the channel's process, so closing the channel ends the read
        // (an open reader of a module's debugfs file keeps the module from unloading).
        s.stream = m_link->startShellStream("while [ ! -e " + shellQuote(s.spec.path)
                                                + " ]; do sleep 0.2; done; exec cat " + shellQuote(s.spec.path),
                                            s.name);
        Q_EMIT status(QStringLiteral("telemetry: %1 started").arg(s.name));
        break;
    case TelemetrySourceSpec::Kind::Poll:
        s.pollTimer = std::make_unique<QTimer>();
        s.pollTimer->setInterval(s.spec.intervalMs);
        s.pollTimer->setTimerType(Qt::PreciseTimer);
        connect(s.pollTimer.get(), &QTimer::timeout, this, [this, src = &s] { poll(*src); });
        s.pollTimer->start();
        poll(s);
        Q_EMIT status(QStringLiteral("telemetry: %1 started").arg(s.name));
        break;
    case TelemetrySourceSpec::Kind::Regex:
        s.re = QRegularExpression(s.spec.pattern);
        s.re.optimize();
        for (const QString &n : s.re.namedCaptureGroups()) {
            if (!n.isEmpty())
                s.captures.append(n);
        }
        Q_EMIT status(QStringLiteral("telemetry: %1 follows the kernel log").arg(s.name));
        break;
    }
}

void TelemetryHub::stop()
{
    for (const auto &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    if (m_link) {
        for (auto &s : m_sources) {
            if (s->stream)
                m_link->stopStream(s->stream);
        }
        if (m_kmsgStream)
            m_link->stopStream(m_kmsgStream);
    }
    for (auto &s : m_sources) {
        if (s->pollTimer)
            s->pollTimer->stop();
    }
    m_kmsgStream = 0;
    m_clockCommand = 0;
    m_clockTimer.stop();
    m_link = nullptr;
}

bool TelemetryHub::startRecording(const QString &path, QString *error, qint64 maxBytes, int keepFiles)
{
    stopRecording();
    auto *worker = new RecorderWorker;
    worker->recorder.setMaxBytes(maxBytes);
    worker->recorder.setKeepFiles(keepFiles);
    if (!worker->recorder.open(path, error)) {
        delete worker;
        return false;
    }
    m_recorderThread = new QThread(this);
    m_recorderThread->setObjectName(QStringLiteral("telemetry-recorder"));
    worker->moveToThread(m_recorderThread);
    connect(m_recorderThread, &QThread::finished, worker, &QObject::deleteLater);
    connect(m_recorderThread, &QThread::started, &worker->flushTimer, qOverload<>(&QTimer::start));
    m_recorderThread->start();
    m_recorder = worker;
    m_recordingPath = path;
    return true;
}

void TelemetryHub::stopRecording()
{
    if (!m_recorder)
        return;
    RecorderWorker *w = m_recorder;
    QMetaObject::invokeMethod(
        w,
        [w] {
            w->flushTimer.stop();
            w->recorder.close();
        },
        Qt::BlockingQueuedConnection);
    m_recorderThread->quit();
    m_recorderThread->wait();
    delete m_recorderThread; // its finished() deleted the worker in its own thread
    m_recorder = nullptr;
    m_recorderThread = nullptr;
}

QHash<QString, TelemetryParseStats> TelemetryHub::statsBySource() const
{
    QMutexLocker lock(&m_mutex);
    QHash<QString, TelemetryParseStats> out;
    for (const auto &s : m_sources)
        out.insert(s->name, s->parser.stats());
    return out;
}

TelemetryParseStats TelemetryHub::stats() const
{
    QMutexLocker lock(&m_mutex);
    TelemetryParseStats total;
    for (const auto &s : m_sources)
        total += s->parser.stats();
    return total;
}

std::optional<qint64> TelemetryHub::nodeTimeOfPrintk(double printkSeconds, const QString &bootId) const
{
    QMutexLocker lock(&m_mutex);
    return m_clock.toMonotonic(qint64(std::llround(printkSeconds * 1e6)) * 1000, bootId);
}

std::optional<ClockMeasurement> TelemetryHub::printkEstimate(double printkSeconds, const QString &bootId) const
{
    QMutexLocker lock(&m_mutex);
    return m_clock.estimate(qint64(std::llround(printkSeconds * 1e6)) * 1000, bootId);
}

PrintkClock TelemetryHub::clock() const
{
    QMutexLocker lock(&m_mutex);
    return m_clock;
}

QString TelemetryHub::lastClockError() const
{
    QMutexLocker lock(&m_mutex);
    return m_clockError;
}

void TelemetryHub::measureClock()
{
    if (!m_link || m_clockCommand)
        return;
    m_clockNonce = QByteArray::number(QRandomGenerator::global()->generate64(), 36);
    m_clockCommand = m_link->runShell(PrintkClock::measureCommand(m_clockNonce));
}

void TelemetryHub::onLinkState(int state)
{
    const auto s = SshLink::State(state);
    if (s == SshLink::State::Up) {
        // Maybe a new boot: its clocks start over.
        m_clockPending = true;
        measureClock();
        return;
    }
    if (s == SshLink::State::Lost) {
        for (auto &src : m_sources)
            emitGap(*src, QStringLiteral("link lost"));
    }
}

void TelemetryHub::emitGap(Source &s, const QString &reason, std::optional<qint64> lastTNs)
{
    if (!lastTNs)
        lastTNs = s.parser.lastTNs();
    // A reloaded module keeps the node's clock, a rebooted node does not: after a gap the
    // source's next set is taken whatever its time.
    s.parser.resetClock();
    m_alarms.reset(s.name);
    if (s.inGap)
        return;
    s.inGap = true;
    const TelemetryGap g{lastTNs.value_or(0), s.name, reason};
    if (m_recorder)
        QMetaObject::invokeMethod(m_recorder, [w = m_recorder, g] { w->recorder.write(g); });
    Q_EMIT gap(g);
}

void TelemetryHub::take(Source &s, TelemetryParser::Result r, const TelemetrySet &set, QList<TelemetrySet> &batch,
                        qint64 lastBefore)
{
    if (r == TelemetryParser::Result::Dropped)
        return;
    if (r == TelemetryParser::Result::NewEpoch) {
        m_alarmScratch.append(m_alarms.timeWentBack(s.name, lastBefore, set.tNs));
        s.inGap = false;
        emitGap(s, QStringLiteral("source clock restarted"), lastBefore);
    }
    s.inGap = false;
    m_alarms.check(set, &m_alarmScratch);
    batch.append(set);
}

void TelemetryHub::publish(QList<TelemetrySet> &batch, QList<TelemetryAlarm> &alarms)
{
    if (!batch.isEmpty()) {
        if (m_recorder)
            QMetaObject::invokeMethod(m_recorder, [w = m_recorder, batch] { w->recorder.write(batch); });
        Q_EMIT samples(batch);
    }
    for (const TelemetryAlarm &a : std::as_const(alarms)) {
        if (m_recorder)
            QMetaObject::invokeMethod(m_recorder, [w = m_recorder, a] { w->recorder.write(a); });
        Q_EMIT alarm(a);
    }
    batch.clear();
    alarms.clear();
}

void TelemetryHub::onStreamLines(quint64 id, const QList<LogLine> &lines)
{
    if (id != 0 && id == m_kmsgStream) {
        QList<LogLine> fresh;
        for (const LogLine &l : lines) {
            if (l.text.startsWith(bootIdMarker))
                m_kmsgBoot = QString::fromLatin1(l.text.mid(qsizetype(sizeof(bootIdMarker)) - 1).trimmed());
        }
        fresh = m_replay.filter(lines);
        for (const LogLine &l : std::as_const(fresh)) {
            if (l.flags & LogLine::Event) {
                for (auto &s : m_sources) {
                    if (s->spec.kind == TelemetrySourceSpec::Kind::Regex)
                        emitGap(*s, QString::fromUtf8(l.text));
                }
            }
        }
        handleRegexLines(fresh);
        return;
    }
    Source *src = nullptr;
    for (auto &s : m_sources) {
        if (s->stream == id && id != 0)
            src = s.get();
    }
    if (!src)
        return;
    QList<TelemetrySet> batch;
    batch.reserve(lines.size());
    TelemetrySet set;
    {
        QMutexLocker lock(&m_mutex);
        for (const LogLine &l : lines) {
            if (l.flags & LogLine::Event) {
                lock.unlock();
                publish(batch, m_alarmScratch);
                emitGap(*src, QString::fromUtf8(l.text));
                lock.relock();
                continue;
            }
            const qint64 before = src->parser.lastTNs().value_or(0);
            const TelemetryParser::Result r = src->parser.parseLine(l.text, &set);
            lock.unlock();
            take(*src, r, set, batch, before);
            lock.relock();
        }
    }
    publish(batch, m_alarmScratch);
}

void TelemetryHub::poll(Source &s)
{
    if (!m_link || s.pollCommand)
        return; // one batch in flight: a slow node is polled as fast as it answers
    s.pollCommand = m_link->runShell(pollCommand(s.spec.paths));
}

void TelemetryHub::onCommandFinished(quint64 id, const SshCommandResult &result)
{
    if (id != 0 && id == m_clockCommand) {
        m_clockCommand = 0;
        QString boot, error;
        const auto m = result.error.isEmpty()
            ? PrintkClock::parseMeasureOutput(result.standardOutput, m_clockNonce, &boot, &error)
            : std::nullopt;
        if (!result.error.isEmpty())
            error = result.error;
        m_clockPending = false;
        if (!m) {
            {
                QMutexLocker lock(&m_mutex);
                m_clockError = error;
            }
            Q_EMIT clockFailed(error);
            flushPendingRegex();
            return;
        }
        {
            QMutexLocker lock(&m_mutex);
            m_clock.add(boot, *m);
            m_clockError.clear();
        }
        Q_EMIT clockMeasured(boot, *m);
        flushPendingRegex();
        return;
    }
    for (auto &s : m_sources) {
        if (s->pollCommand == id && id != 0) {
            s->pollCommand = 0;
            handlePoll(*s, result);
            return;
        }
    }
}

void TelemetryHub::handlePoll(Source &s, const SshCommandResult &result)
{
    if (!result.error.isEmpty()) {
        emitGap(s, QStringLiteral("poll failed: %1").arg(result.error));
        return;
    }
    const PollOutput out = parsePollOutput(result.standardOutput, s.spec.paths);
    QList<TelemetrySet> batch;
    TelemetrySet set;
    {
        QMutexLocker lock(&m_mutex);
        s.parser.stats().badValues += out.badFiles;
        if (!out.nowNs) {
            ++s.parser.stats().lines;
            ++s.parser.stats().missingTime;
            lock.unlock();
            emitGap(s, QStringLiteral("no CLOCK_MONOTONIC from /proc/timer_list"));
            return;
        }
        if (out.line.isEmpty()) {
            ++s.parser.stats().lines;
            lock.unlock();
            emitGap(s, QStringLiteral("unreadable: %1").arg(out.unreadable.join(QStringLiteral(", "))));
            return;
        }
        const qint64 before = s.parser.lastTNs().value_or(0);
        const TelemetryParser::Result r = s.parser.parseLine(out.line, &set, out.nowNs);
        lock.unlock();
        take(s, r, set, batch, before);
    }
    publish(batch, m_alarmScratch);
}

void TelemetryHub::feedKernelLog(const QList<LogLine> &lines)
{
    handleRegexLines(lines);
}

void TelemetryHub::handleRegexLines(const QList<LogLine> &lines)
{
    bool anyRegex = false;
    for (auto &s : m_sources)
        anyRegex = anyRegex || s->spec.kind == TelemetrySourceSpec::Kind::Regex;
    if (!anyRegex)
        return;
    QByteArray scratch;
    QList<TelemetrySet> batch;
    const bool waitForClock = m_clockPending;
    for (const LogLine &l : lines) {
        if (l.flags & (LogLine::Event | LogLine::Sent))
            continue;
        const ConsoleLine parsed = parseConsoleLine(l.text, scratch);
        const QString text = QString::fromUtf8(parsed.text);
        for (auto &s : m_sources) {
            if (s->spec.kind != TelemetrySourceSpec::Kind::Regex)
                continue;
            const QRegularExpressionMatch m = s->re.match(text);
            if (!m.hasMatch())
                continue;
            QList<QByteArray> texts;
            QList<std::pair<QString, QByteArrayView>> values;
            std::optional<qint64> own;
            texts.reserve(s->captures.size());
            for (const QString &name : std::as_const(s->captures)) {
                if (!m.hasCaptured(name))
                    continue;
                texts.append(m.captured(name).toLatin1());
                if (name == QLatin1String("t_ns")) {
                    bool ok = false;
                    const qint64 t = texts.back().toLongLong(&ok);
                    if (ok && t >= 0)
                        own = t;
                    continue;
                }
                values.append({name, QByteArrayView(texts.back())});
            }
            TelemetrySet set;
            qint64 tNs = 0;
            if (own) {
                tNs = *own;
            } else if (!parsed.timestamp) {
                QMutexLocker lock(&m_mutex);
                ++s->parser.stats().lines;
                ++s->parser.stats().missingTime;
                continue;
            } else {
                const qint64 printkNs = qint64(std::llround(*parsed.timestamp * 1e6)) * 1000;
                if (waitForClock) {
                    if (m_pendingRegex.size() < maxPendingRegexSets) {
                        QMutexLocker lock(&m_mutex);
                        TelemetryParser probe(s->name);
                        if (probe.parseValues(values, 0, &set) != TelemetryParser::Result::Dropped)
                            m_pendingRegex.append({printkNs, set});
                        s->parser.stats().badValues += probe.stats().badValues;
                    }
                    continue;
                }
                const auto mono = nodeTimeOfPrintk(*parsed.timestamp);
                if (!mono && !s->unmeasuredWarned) {
                    s->unmeasuredWarned = true;
                    Q_EMIT status(QStringLiteral("telemetry: %1: printk clock offset unknown (%2); printk time used")
                                      .arg(s->name, lastClockError()));
                }
                tNs = mono.value_or(printkNs);
            }
            QMutexLocker lock(&m_mutex);
            const qint64 before = s->parser.lastTNs().value_or(0);
            const TelemetryParser::Result r = s->parser.parseValues(values, tNs, &set);
            lock.unlock();
            take(*s, r, set, batch, before);
        }
    }
    publish(batch, m_alarmScratch);
}

void TelemetryHub::flushPendingRegex()
{
    if (m_pendingRegex.isEmpty())
        return;
    const auto pending = std::exchange(m_pendingRegex, {});
    QList<TelemetrySet> batch;
    for (const auto &[printkNs, setIn] : pending) {
        TelemetrySet set = setIn;
        Source *src = nullptr;
        for (auto &s : m_sources) {
            if (s->name == set.source)
                src = s.get();
        }
        if (!src)
            continue;
        std::optional<qint64> mono;
        {
            QMutexLocker lock(&m_mutex);
            mono = m_clock.toMonotonic(printkNs);
        }
        QList<std::pair<QString, QByteArrayView>> values;
        QList<QByteArray> texts;
        for (const TelemetryValue &v : std::as_const(set.values))
            texts.append(formatTelemetryNumber(v.value));
        for (qsizetype i = 0; i < set.values.size(); ++i)
            values.append({set.values[i].key, QByteArrayView(texts[i])});
        QMutexLocker lock(&m_mutex);
        const qint64 before = src->parser.lastTNs().value_or(0);
        const TelemetryParser::Result r = src->parser.parseValues(values, mono.value_or(printkNs), &set);
        lock.unlock();
        take(*src, r, set, batch, before);
    }
    publish(batch, m_alarmScratch);
}

} // namespace kms::telemetry
