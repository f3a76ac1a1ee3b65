// CycleRunner, second half: the consoles, crashes and the node going away and coming back, the
// end of a run, and resolving what was found with the load it belongs to.
#include "cycle/cyclerunner.h"

#include "cycle/cyclescript.h"
#include "symbols/symbolizer.h"

namespace kms {

namespace {

constexpr int reportWaitMs = 3000; // a report whose first line was seen, before the run ends
constexpr int reportWaitPollMs = 100;

QString provisionalKind()
{
    return QStringLiteral("report_line");
}

bool isRefusal(SshLink::State s)
{
    return s == SshLink::State::AuthFailed || s == SshLink::State::HostKeyChanged || s == SshLink::State::HostKeyUnknown
        || s == SshLink::State::Error;
}

} // namespace

CycleResult *CycleRunner::cycle(int n)
{
    if (m_current && m_current->n == n)
        return &*m_current;
    return m_history.find(n);
}

void CycleRunner::publish(CycleResult &c)
{
    c.updateVerdict();
    if (m_current && &*m_current == &c)
        return;
    Q_EMIT cycleUpdated(c);
    if (m_history.find(c.n) == &c) {
        QString error;
        if (!m_history.update(c, &error))
            spoolFailed(error);
    }
    // A finished cycle that turns out to have crashed (its serial console lagged): with stop on
    // crash, the run ends after the cycle in flight (or now, between cycles).
    if (c.verdict == Verdict::Crash && m_config.stopOnCrash && !m_endAfterFinal && !m_stopAfterCycle
        && (m_state == State::Cycling || m_state == State::Collecting || m_state == State::Delaying)) {
        m_stopAfterCycle = true;
        m_stopReason = RunEnd::StoppedOnCrash;
        QString what;
        for (const Finding &f : c.findings) {
            if (f.verdict == Verdict::Crash && what.isEmpty())
                what = f.message;
        }
        m_stopMessage = QStringLiteral("cycle %1 crashed: %2").arg(c.n).arg(what);
        if (m_state == State::Delaying) {
            m_delayTimer.stop();
            finishRun(m_stopReason, m_stopMessage);
        }
    }
}

void CycleRunner::onSerialState(bool open)
{
    m_serialOpen = open;
}

void CycleRunner::onSshState(SshLink::State state, const QString &detail)
{
    m_sshState = state;
    if (m_state == State::Probing && isRefusal(state)) {
        m_pending.clear();
        m_commandTimer.stop();
        finishRun(
            RunEnd::Unreachable,
            QStringLiteral("SSH refused: %1").arg(detail.isEmpty() ? QStringLiteral("login or host key") : detail));
    }
}

void CycleRunner::onLines(const QString &source, const QList<LogLine> &lines)
{
    if (!running())
        return;
    for (const CycleConsole::Event &e : m_console.feed(source, lines))
        consoleEvent(e);
}

void CycleRunner::consoleEvent(const CycleConsole::Event &e)
{
    if (e.kind == CycleConsole::Event::Kind::End) {
        if (m_state == State::Collecting)
            collect();
        return;
    }
    if (e.kind == CycleConsole::Event::Kind::Begin)
        return;
    if (e.kind == CycleConsole::Event::Kind::Loaded) {
        // The load's code sections from the console, before the script's own output: what a
        // crash in this cycle's unload is resolved with if the script never returns.
        if (CycleResult *c = cycle(e.cycle); c && !c->load.valid()) {
            c->load.sections = e.sections;
            if (m_current && c == &*m_current)
                publishLoads(false);
        }
        return;
    }
    int n = e.cycle;
    if (n < 0)
        n = m_current ? m_current->n : (m_history.last() ? m_history.last()->n : -1);
    CycleResult *c = cycle(n);
    if (!c)
        return;
    const auto has = [c](const QString &kind, Verdict v) {
        for (const Finding &f : c->findings) {
            if (f.kind == kind && f.verdict == v)
                return true;
        }
        return false;
    };
    const bool crashedBefore = c->verdict == Verdict::Crash;
    switch (e.kind) {
    case CycleConsole::Event::Kind::Panic:
        if (!has(QStringLiteral("panic"), Verdict::Crash))
            c->addFinding({Verdict::Crash, QStringLiteral("panic"), e.text, QString(), {e.text}});
        break;
    case CycleConsole::Event::Kind::ReportStart: {
        const Verdict v = isCrashKind(e.reportKind) ? Verdict::Crash : Verdict::Warning;
        bool decoded = false;
        for (const KernelReport &r : c->reports)
            decoded = decoded || (isCrashKind(r.kind) ? Verdict::Crash : Verdict::Warning) == v;
        if (!decoded && !has(provisionalKind(), v))
            c->addFinding({v, provisionalKind(), QStringLiteral("kernel report: %1").arg(e.text), QString(), {e.text}});
        break;
    }
    case CycleConsole::Event::Kind::ErrorLine: {
        int count = 0;
        bool same = false;
        for (const Finding &f : c->findings) {
            count += f.kind == QLatin1String("error_line") ? 1 : 0;
            same = same || (f.kind == QLatin1String("error_line") && f.message == e.text);
        }
        if (count < 20 && !same)
            c->addFinding({Verdict::Warning, QStringLiteral("error_line"), e.text, QString(), {e.text}});
        break;
    }
    default:
        break;
    }
    publish(*c);
    if (c->verdict == Verdict::Crash && !crashedBefore)
        Q_EMIT crashDetected(c->n, c->findings.last().message, e.hostTimeNs);
    // A panic: nothing more will come from this boot. Do not wait for the script or the link.
    const bool active = m_state == State::Cycling || m_state == State::Collecting || m_state == State::Delaying;
    if (e.kind == CycleConsole::Event::Kind::Panic && active) {
        if (m_current && m_current->n != n) {
            Q_EMIT message(QStringLiteral("cycle %1 interrupted by cycle %2's panic").arg(m_current->n).arg(n));
            m_current.reset();
        }
        nodeDown(QStringLiteral("kernel panic in cycle %1").arg(n), e.hostTimeNs);
    }
}

void CycleRunner::onReport(const KernelReport &report)
{
    if (!running())
        return;
    int n = m_console.cycleOf(report);
    if (n < 0)
        n = m_current ? m_current->n : (m_history.last() ? m_history.last()->n : -1);
    if (CycleResult *c = cycle(n))
        attachReport(*c, report);
}

void CycleRunner::attachReport(CycleResult &c, KernelReport report)
{
    resolve(report, c.load, c.n);
    const Verdict v = isCrashKind(report.kind) ? Verdict::Crash : Verdict::Warning;
    // The report replaces the finding its first line made.
    for (qsizetype i = 0; i < c.findings.size(); ++i) {
        if (c.findings[i].kind == QLatin1String("report_line") && c.findings[i].verdict == v) {
            c.findings.removeAt(i);
            break;
        }
    }
    const bool crashedBefore = c.verdict == Verdict::Crash;
    c.addFinding({v, toString(report.kind),
                  report.title + (report.panicked ? QStringLiteral(" [panicked]") : QString()), QString(),
                  report.lines.mid(0, 60)});
    // Absolute pc/lr (ARM): resolved with this load's sections.
    for (const Register &reg : std::as_const(report.registers)) {
        const QString name = reg.name.toLower();
        if (name != QLatin1String("pc") && name != QLatin1String("lr"))
            continue;
        const auto where = c.load.locate(reg.value);
        if (!where)
            continue;
        AddressFrame a;
        a.report = c.reports.size();
        a.what = name;
        a.section = where->first;
        a.offset = where->second;
        a.frame.module = m_config.module;
        a.frame.address = reg.value;
        a.frame.exactPc = name == QLatin1String("pc");
        if (m_symbolizer) {
            m_symbolizer->setSectionAddresses(m_config.module, c.load.sections);
            m_symbolizer->resolve(a.frame);
            const auto symbol = m_symbolizer->functionAt(m_config.module, a.frame.exactPc ? reg.value : reg.value - 1);
            if (symbol)
                a.frame.function = symbol->first;
        }
        c.addresses.append(a);
    }
    c.reports.append(std::move(report));
    publish(c);
    if (c.verdict == Verdict::Crash && !crashedBefore)
        Q_EMIT crashDetected(c.n, c.findings.last().message, 0);
}

void CycleRunner::resolve(KernelReport &report, const LoadRecord &load, int cycleN)
{
    if (!m_symbolizer)
        return;
    // (an empty list when the load's sections are not known yet: not another cycle's)
    m_symbolizer->setSectionAddresses(m_config.module, load.sections);
    // A fault address in an earlier cycle's load (unloaded since) is named as such.
    m_symbolizer->setEarlierLoads(earlierLoads(cycleN));
    m_symbolizer->resolve(report);
}

void CycleRunner::resolveLeaks(QList<LeakSite> &leaks, const LoadRecord &load)
{
    for (LeakSite &leak : leaks) {
        if (!m_symbolizer) {
            leak.error
                = QStringLiteral("no module file given to resolve %1+0x%2").arg(leak.section).arg(leak.offset, 0, 16);
            continue;
        }
        m_symbolizer->setSectionAddresses(m_config.module, load.sections);
        Frame f;
        f.module = m_config.module;
        f.address = leak.address;
        f.exactPc = false; // a return address: the call is just before it
        m_symbolizer->resolve(f);
        auto symbol = m_symbolizer->functionAt(m_config.module, leak.address - 1);
        if (!symbol)
            symbol = m_symbolizer->functionAt(m_config.module, leak.address);
        leak.function = !f.inlinedFunction.isEmpty() ? f.inlinedFunction : symbol ? symbol->first : QString();
        leak.file = f.file;
        leak.line = f.line;
        leak.error = f.error;
    }
}

void CycleRunner::nodeDown(const QString &why, qint64 lineTimeNs)
{
    for (auto it = m_pending.begin(); it != m_pending.end();)
        it = *it == Purpose::Cycle || *it == Purpose::Inspect ? m_pending.erase(it) : std::next(it);
    m_shell.close(); // the node comes back (if it does) with a new shell
    m_commandTimer.stop();
    m_collectTimer.stop();
    m_delayTimer.stop();
    m_nodeLost = true;
    m_waitingFor = m_current ? m_current->n : (m_history.last() ? m_history.last()->n : 0);
    m_waitDeadlineMs = m_clock.elapsed() + qint64(m_config.returnTimeoutS) * 1000;
    m_downSinceMs = m_clock.elapsed();
    setState(State::WaitingForNode);
    const QString seen = lineTimeNs > 0
        ? QStringLiteral(" (%1 ms after its line arrived)").arg((hostTimeNowNs() - lineTimeNs) / 1e6, 0, 'f', 2)
        : QString();
    Q_EMIT message(QStringLiteral("%1%2; waiting up to %3 s for the node").arg(why, seen).arg(m_config.returnTimeoutS));
    m_pollTimer.start();
}

void CycleRunner::pollNode()
{
    if (m_state != State::WaitingForNode)
        return m_pollTimer.stop();
    if (m_clock.elapsed() >= m_waitDeadlineMs) {
        m_pollTimer.stop();
        for (auto it = m_pending.begin(); it != m_pending.end();)
            it = *it == Purpose::NodeProbe ? m_pending.erase(it) : std::next(it);
        if (CycleResult *c = cycle(m_waitingFor)) {
            c->addFinding({Verdict::Crash,
                           QStringLiteral("node_lost"),
                           QStringLiteral("the node did not come back within %1 s").arg(m_config.returnTimeoutS),
                           QString(),
                           {}});
            publish(*c);
        }
        if (m_current)
            finalizeCycleOnly();
        return finishRun(RunEnd::NodeLost,
                         QStringLiteral("the node did not come back within %1 s after cycle %2")
                             .arg(m_config.returnTimeoutS)
                             .arg(m_waitingFor));
    }
    if (m_pending.key(Purpose::NodeProbe, 0) != 0 || m_sshState != SshLink::State::Up)
        return;
    m_pending.insert(runScript(QStringLiteral("probe"), cycleScriptBaseArgs(m_config, m_runDir), false),
                     Purpose::NodeProbe);
}

void CycleRunner::onNodeProbe(const SshCommandResult &result)
{
    if (m_state != State::WaitingForNode)
        return;
    const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
    if (!result.error.isEmpty() || out.end != QLatin1String("ok"))
        return; // the next poll tries again
    m_pollTimer.stop();
    const QString boot = out.facts.value(QStringLiteral("boot"));
    m_rebooted = !boot.isEmpty() && boot != m_bootId;
    m_bootId = boot;
    m_unloadFirst = out.states.value(QStringLiteral("start")) != QLatin1String("absent");
    Q_EMIT message(QStringLiteral("node back after %1 s%2")
                       .arg((m_clock.elapsed() - m_downSinceMs) / 1000.0, 0, 'f', 1)
                       .arg(m_rebooted ? QStringLiteral(" (rebooted)") : QString()));
    QStringList fresh;
    for (const QString &f : out.pstoreFiles) {
        if (!m_pstoreBaseline.contains(f))
            fresh.append(f);
    }
    m_pstoreBaseline = out.pstoreFiles;
    if (m_rebooted && !fresh.isEmpty()) {
        m_pending.insert(runScript(QStringLiteral("pstore"), cycleScriptBaseArgs(m_config, m_runDir), false),
                         Purpose::Pstore);
        return;
    }
    afterNodeBack();
}

void CycleRunner::afterNodeBack()
{
    CycleResult *c = cycle(m_waitingFor);
    if (c) {
        bool crash = false;
        for (const Finding &f : c->findings)
            crash = crash || f.verdict == Verdict::Crash;
        if (m_rebooted && !crash) {
            c->addFinding({Verdict::Crash,
                           QStringLiteral("node_lost"),
                           m_serialOpen ? QStringLiteral("node lost (it rebooted); nothing on the serial console")
                                        : QStringLiteral("node lost, no report captured (add a serial console)"),
                           QString(),
                           {}});
        } else if (!m_rebooted && !crash) {
            c->addFinding({Verdict::Fail,
                           QStringLiteral("link_lost"),
                           QStringLiteral("the SSH connection dropped during the cycle (the node did not reboot)"),
                           QString(),
                           {}});
        }
        publish(*c);
    }
    if (m_rebooted)
        m_console.newBoot();
    if (m_current && m_current->n == m_waitingFor)
        return finalizeCycle();
    if (m_history.last())
        continueOrEnd();
}

void CycleRunner::finalizeCycleOnly()
{
    // Into the list without deciding what comes next (the run is ending).
    CycleResult c = std::move(*m_current);
    m_current.reset();
    c.finishedNs = hostTimeNowNs();
    c.complete = true;
    c.updateVerdict();
    record(std::move(c));
    Q_EMIT cycleFinished(*m_history.last());
}

void CycleRunner::finishRun(RunEnd end, const QString &message)
{
    if (m_endAfterFinal)
        return;
    m_endAfterFinal = end;
    m_endMessage = message;
    m_delayTimer.stop();
    m_collectTimer.stop();
    m_pollTimer.stop();
    if (auto trend = m_history.slabTrend(m_config.slabGrowthWarnKbPerCycle))
        m_runFindings.append(*trend);
    if (end == RunEnd::Refused || end == RunEnd::Unreachable || end == RunEnd::NodeLost) {
        m_pending.clear();
        return done();
    }
    setState(State::Finishing);
    if (m_kmemleakAvailable && m_config.kmemleakScan && m_history.count() > 0) {
        Q_EMIT this->message(QStringLiteral("kmemleak scan (takes a few seconds)"));
        m_pending.insert(runScript(QStringLiteral("kmemleak"), cycleScriptBaseArgs(m_config, m_runDir), false),
                         Purpose::Kmemleak);
        m_commandTimer.start(m_config.commandTimeoutMs * 2);
        return;
    }
    if (!m_kmemleakAvailable)
        m_kmemleakNote = QStringLiteral("kmemleak is not available on this kernel (CONFIG_DEBUG_KMEMLEAK unset, or "
                                        "debugfs not mounted): no end-of-run scan");
    finalState();
}

void CycleRunner::finalState()
{
    QStringList args = cycleScriptBaseArgs(m_config, m_runDir);
    args << (m_config.finalState == CycleRunConfig::FinalState::Loaded ? QStringLiteral("want=loaded")
                                                                       : QStringLiteral("want=unloaded"));
    m_pending.insert(runScript(QStringLiteral("ensure"), args, true), Purpose::Final);
    m_commandTimer.start(m_config.commandTimeoutMs);
}

void CycleRunner::stop()
{
    switch (m_state) {
    case State::Idle:
    case State::Finished:
    case State::Stopping:
    case State::Finishing:
        return;
    case State::Probing:
        m_pending.clear();
        m_commandTimer.stop();
        m_endAfterFinal = RunEnd::Stopped;
        m_endMessage = QStringLiteral("stopped before the first cycle; %1 not touched").arg(m_config.module);
        return done();
    case State::WaitingForNode:
        m_pending.clear();
        m_pollTimer.stop();
        if (m_current)
            finalizeCycleOnly();
        m_endAfterFinal = RunEnd::Stopped;
        m_endMessage = QStringLiteral("stopped while waiting for the node; the module's state could not be set");
        return done();
    case State::Collecting:
        // The cycle ran to its end: keep it.
        m_collectTimer.stop();
        finalizeCycleOnly();
        break;
    case State::Cycling:
        if (m_current)
            Q_EMIT message(QStringLiteral("cycle %1 interrupted").arg(m_current->n));
        m_current.reset();
        break;
    case State::Delaying:
        m_delayTimer.stop();
        break;
    }
    for (auto it = m_pending.begin(); it != m_pending.end();)
        it = *it == Purpose::Cycle || *it == Purpose::Inspect ? m_pending.erase(it) : std::next(it);
    m_shell.close(); // a cycle in flight ends at its next step (the stop below tells it)
    m_commandTimer.stop();
    m_endAfterFinal = RunEnd::Stopped;
    m_endMessage = QStringLiteral("stopped");
    setState(State::Stopping);
    finalState();
}

void CycleRunner::done()
{
    // A report whose first line was seen is worth a short wait: the JSON and the dock want it
    // decoded, not as one line.
    bool waiting = false;
    for (const CycleResult &c : m_history.kept()) {
        for (const Finding &f : c.findings)
            waiting = waiting || f.kind == provisionalKind();
    }
    if (waiting && m_state != State::Finished) {
        if (m_reportWaitUntilMs == 0)
            m_reportWaitUntilMs = m_clock.elapsed() + reportWaitMs;
        if (m_clock.elapsed() < m_reportWaitUntilMs) {
            QTimer::singleShot(reportWaitPollMs, this, &CycleRunner::done);
            return;
        }
    }
    if (m_state == State::Finished)
        return;
    m_shell.close();
    m_end = m_endAfterFinal.value_or(RunEnd::Error);
    if (!m_spoolError.isEmpty() && !m_endMessage.contains(m_spoolError))
        m_endMessage += QStringLiteral("; ") + m_spoolError;
    setState(State::Finished);
    Q_EMIT runFinished(m_end, m_endMessage);
}

} // namespace kms
