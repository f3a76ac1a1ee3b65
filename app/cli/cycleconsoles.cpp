#include "cycleconsoles.h"

#include "cycle/cyclerunner.h"

namespace kms::cli {

namespace {
// A report without end marker (or waiting for a "Kernel panic" that may never come) is handed
// over after this much quiet on its source, as `watch` does.
constexpr int idleFlushMs = 1000;
} // namespace

CycleConsoles::CycleConsoles(CycleRunner *runner, SshLink *ssh)
    : m_runner(runner)
    , m_ssh(ssh)
{
    m_clock.start();
    connect(m_ssh, &SshLink::stateChanged, m_runner, &CycleRunner::onSshState);
}

CycleConsoles::~CycleConsoles() = default;

CycleConsoles::Source &CycleConsoles::addSource(const QString &name)
{
    auto source = std::make_unique<Source>();
    source->name = name;
    source->detector = std::make_unique<ReportDetector>([this](KernelReport &&r) { report(std::move(r)); });
    source->detector->setSource(name);
    source->idle.setSingleShot(true);
    source->idle.setInterval(idleFlushMs);
    ReportDetector *detector = source->detector.get();
    connect(&source->idle, &QTimer::timeout, this, [detector] { detector->flushIdle(); });
    m_sources.push_back(std::move(source));
    return *m_sources.back();
}

void CycleConsoles::addSerial(const SerialSettings &settings)
{
    m_serial = std::make_unique<SerialLink>(settings);
    Source &source = addSource(settings.source);
    connect(m_serial.get(), &SerialLink::linesReceived, this,
            [this, &source](const QList<LogLine> &lines) { feed(source, lines, false); });
    connect(m_serial.get(), &SerialLink::stateChanged, this, [this](SerialLink::State state, const QString &) {
        m_runner->onSerialState(state == SerialLink::State::Open);
    });
    m_serial->start();
}

void CycleConsoles::followDmesg()
{
    Source &source = addSource(QStringLiteral("ssh-dmesg"));
    const quint64 stream = m_ssh->startShellStream(defaultDmesgStreamCommand(), source.name);
    connect(m_ssh, &SshLink::streamLines, this, [this, &source, stream](quint64 id, const QList<LogLine> &lines) {
        if (id == stream)
            feed(source, lines, true);
    });
}

void CycleConsoles::feed(Source &source, const QList<LogLine> &lines, bool replayFilter)
{
    const QList<LogLine> fresh = replayFilter ? source.replay.filter(lines) : lines;
    // The runner first: a panic line must reach it before anything waits on the detector.
    m_runner->onLines(source.name, fresh);
    bool fed = false;
    for (const LogLine &line : fresh) {
        if (line.flags & (LogLine::Event | LogLine::Sent))
            continue;
        source.detector->feedLine(line.text);
        fed = true;
    }
    if (fed)
        source.idle.start();
}

void CycleConsoles::report(KernelReport &&report)
{
    if (m_duplicates.match(++m_lastId, report, m_clock.elapsed()) >= 0)
        return;
    m_runner->onReport(report);
}

void CycleConsoles::flush()
{
    for (auto &source : m_sources)
        source->detector->flushIdle();
}

} // namespace kms::cli
