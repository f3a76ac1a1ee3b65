#include "cycle/cyclerunner.h"

#include "cycle/cyclescript.h"
#include "cycle/cycletelemetry.h"
#include "node/nodesession.h"
#include "report/reportdetector.h"

#include <QDir>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QStandardPaths>

namespace kms {

namespace {

constexpr int collectPollMs = 10;
constexpr int nodePollMs = 1000;
constexpr int probeTimeoutMs = 30000; // reaching the node at the start of a run

QString defaultSpoolDir()
{
    const QString cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    return cache.isEmpty() ? QDir::temp().filePath(QStringLiteral("kmodscope-cycle-spool"))
                           : QDir(cache).filePath(QStringLiteral("cycle-spool"));
}

QString settleArg(int ms)
{
    return ms == 0 ? QStringLiteral("settle=0") : QStringLiteral("settle=%1").arg(ms / 1000.0, 0, 'f', 3);
}

} // namespace

CycleRunner::CycleRunner(SshLink *ssh, QObject *parent)
    : QObject(parent)
{
    setSshLink(ssh);
    connect(&m_shell, &CycleShell::finished, this, &CycleRunner::onCommandFinished);
    m_commandTimer.setSingleShot(true);
    connect(&m_commandTimer, &QTimer::timeout, this, &CycleRunner::onCycleTimeout);
    m_collectTimer.setInterval(collectPollMs);
    connect(&m_collectTimer, &QTimer::timeout, this, &CycleRunner::collect);
    m_delayTimer.setSingleShot(true);
    connect(&m_delayTimer, &QTimer::timeout, this, &CycleRunner::startCycle);
    m_pollTimer.setInterval(nodePollMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &CycleRunner::pollNode);
}

CycleRunner::~CycleRunner() = default;

void CycleRunner::setSpoolDir(const QString &dir, bool keep)
{
    m_spoolDir = dir;
    m_keepSpool = keep;
}

void CycleRunner::setSshLink(SshLink *ssh)
{
    if (m_ssh == ssh)
        return;
    if (m_ssh)
        disconnect(m_ssh, nullptr, this, nullptr);
    m_ssh = ssh;
    m_shell.setLink(ssh);
    m_pending.clear();
    m_sshState = m_ssh ? m_ssh->state() : SshLink::State::Disconnected;
    if (m_ssh)
        connect(m_ssh, &SshLink::commandFinished, this, &CycleRunner::onCommandFinished);
}

void CycleRunner::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

bool CycleRunner::start(const CycleRunConfig &config, QString *error)
{
    QString why;
    if (running())
        why = QStringLiteral("a run is in progress");
    else if (!m_ssh)
        why = QStringLiteral("no SSH link to the node");
    else
        why = config.validate();
    const QString token = QString::number(QRandomGenerator::global()->generate64(), 16).left(12);
    // Where the cycles go as they finish: a spool that cannot be written stops the run before
    // the node is touched.
    if (why.isEmpty()) {
        const QDir spoolDir(m_spoolDir.isEmpty() ? defaultSpoolDir() : m_spoolDir);
        m_history.begin(spoolDir.filePath(QStringLiteral("kmodscope-cycles-%1.jsonl").arg(token)), m_keepSpool, &why);
    }
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return false;
    }
    m_config = config;
    m_shell.close();
    m_token = token;
    m_spoolError.clear();
    m_runDir = QStringLiteral("/tmp/kmodscope-cycle-") + m_token;
    m_console.reset(m_token);
    m_console.setErrorPattern(config.errorPattern);
    m_leaks = LeakTracker();
    m_taint = TaintWatch();
    m_pending.clear();
    m_current.reset();
    m_runFindings.clear();
    m_kmemleak.clear();
    m_kmemleakNote.clear();
    m_facts = QJsonObject();
    m_end = RunEnd::Completed;
    m_endMessage.clear();
    m_endAfterFinal.reset();
    m_stopAfterCycle = false;
    m_cyclesTimeMs = 0;
    m_reportWaitUntilMs = 0;
    m_downSinceMs = 0;
    m_waitingFor = 0;
    m_clock.start();
    if (m_session) // the previous run's loads are no one's now
        m_session->setModuleLoads(m_config.module, {}, {});

    setState(State::Probing);
    Q_EMIT message(QStringLiteral("checking the node"));
    QStringList args = cycleScriptBaseArgs(m_config, m_runDir);
    if (m_config.leakCheck == CycleRunConfig::LeakCheck::Auto)
        args << QStringLiteral("leaks=1");
    m_pending.insert(runScript(QStringLiteral("probe"), args, false), Purpose::Probe);
    m_commandTimer.start(qMax(probeTimeoutMs, m_config.commandTimeoutMs));
    return true;
}

quint64 CycleRunner::runScript(const QString &mode, QStringList keyValues, bool withParams)
{
    if (!m_ssh) {
        // No link (the session dropped it): the command fails like one on a lost link.
        const quint64 id = (quint64(1) << 63) | ++m_unlinkedIds;
        QMetaObject::invokeMethod(
            this,
            [this, id] {
                onCommandFinished(id, SshCommandResult{-1, {}, {}, QStringLiteral("no SSH link")});
            },
            Qt::QueuedConnection);
        return id;
    }
    auto script = m_scripts.constFind(mode);
    if (script == m_scripts.cend())
        script = m_scripts.insert(mode, cycleScriptText(mode));
    // Cycles go to the run's kept shell (opened with the script at the first); the rest, rare
    // and some while a cycle is in flight (stop, inspect), each on a channel of its own.
    if (mode == QLatin1String("cycle"))
        return m_shell.call(cycleShellCommand(m_config), *script,
                            cycleScriptWords(m_config, {mode, keyValues, withParams}));
    return m_ssh->runShell(cycleScriptCommand(m_config, {mode, keyValues, withParams}), *script);
}

void CycleRunner::onCommandFinished(quint64 id, const SshCommandResult &result)
{
    const auto it = m_pending.constFind(id);
    if (it == m_pending.cend())
        return; // not ours, or abandoned
    const Purpose purpose = *it;
    m_pending.erase(it);
    switch (purpose) {
    case Purpose::Probe:
        onProbeFinished(result);
        break;
    case Purpose::Cycle:
        onCycleFinished(result);
        break;
    case Purpose::Inspect: {
        const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
        if (m_current) {
            const QString hung = out.facts.value(QStringLiteral("hung"));
            const QString state = out.states.value(QStringLiteral("now"));
            if (!hung.isEmpty() || !state.isEmpty()) {
                m_current->addFinding({Verdict::Fail,
                                       QStringLiteral("timeout_detail"),
                                       QStringLiteral("the script was in step '%1'; %2 is %3")
                                           .arg(hung.isEmpty() ? QStringLiteral("?") : hung, m_config.module, state),
                                       hung,
                                       {}});
            }
            if (state == QLatin1String("going"))
                m_current->addFinding({Verdict::Stuck,
                                       QStringLiteral("stuck_going"),
                                       QStringLiteral("%1 stuck in 'going'").arg(m_config.module),
                                       hung,
                                       {}});
        }
        setState(State::Collecting);
        m_collectDeadlineMs = m_clock.elapsed() + m_config.markerWaitMs;
        m_collectTimer.start();
        break;
    }
    case Purpose::NodeProbe:
        onNodeProbe(result);
        break;
    case Purpose::Pstore: {
        const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
        CycleResult *c = cycle(m_waitingFor);
        if (c && !out.pstoreLines.isEmpty()) {
            const QByteArray text = out.pstoreLines.join(QLatin1Char('\n')).toUtf8();
            for (KernelReport &r : detectReports(text)) {
                r.source = QStringLiteral("pstore");
                attachReport(*c, std::move(r));
            }
        }
        afterNodeBack();
        break;
    }
    case Purpose::Kmemleak: {
        m_commandTimer.stop();
        const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
        if (out.end == QLatin1String("ok")) {
            QList<LoadRecord> loads;
            for (const auto &[n, load] : m_history.loads())
                loads.append(load);
            m_kmemleak = LeakTracker::parseKmemleak(out.kmemleakLines, loads);
            for (LeakSite &site : m_kmemleak) {
                for (const LoadRecord &load : std::as_const(loads)) {
                    if (load.locate(site.address)) {
                        QList<LeakSite> one{site};
                        resolveLeaks(one, load);
                        site = one.first();
                        break;
                    }
                }
            }
            m_kmemleakNote
                = QStringLiteral("kmemleak scanned: %1 object(s) from %2").arg(m_kmemleak.size()).arg(m_config.module);
        } else {
            m_kmemleakNote
                = QStringLiteral("kmemleak scan failed: %1").arg(result.error.isEmpty() ? out.end : result.error);
        }
        finalState();
        break;
    }
    case Purpose::Final: {
        m_commandTimer.stop();
        const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
        const QString state = out.states.value(QStringLiteral("final"));
        if (!state.isEmpty())
            m_endMessage
                += QStringLiteral("; %1 left %2")
                       .arg(m_config.module, state == QLatin1String("absent") ? QStringLiteral("unloaded") : state);
        else if (!result.error.isEmpty())
            m_endMessage += QStringLiteral("; the module's final state could not be set (%1)").arg(result.error);
        if (const QString busy = out.facts.value(QStringLiteral("busy")); !busy.isEmpty())
            m_endMessage += QStringLiteral("; the last cycle's script was still in step '%1'").arg(busy);
        done();
        break;
    }
    }
}

void CycleRunner::onProbeFinished(const SshCommandResult &result)
{
    m_commandTimer.stop();
    const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
    const QString module = m_config.module;
    if (!out.started) {
        const QString err = QString::fromUtf8(result.standardError).trimmed();
        if (!result.error.isEmpty())
            return finishRun(RunEnd::Unreachable, QStringLiteral("cannot reach the node: %1").arg(result.error));
        if (m_config.useSudo)
            return finishRun(RunEnd::Refused,
                             QStringLiteral("sudo -n refused to run the cycle script (%1): allow "
                                            "passwordless sudo for sh on the node, or log in as root")
                                 .arg(err));
        return finishRun(RunEnd::Refused, QStringLiteral("the node's sh did not run the cycle script: %1").arg(err));
    }
    if (out.facts.value(QStringLiteral("uid")) != QLatin1String("0"))
        return finishRun(RunEnd::Refused,
                         QStringLiteral("not root on the node (uid %1): /sys/module/%2/sections and notes are "
                                        "root-only; log in as root or use sudo -n (--sudo)")
                             .arg(out.facts.value(QStringLiteral("uid")), module));
    const QString startState = out.states.value(QStringLiteral("start"));
    if (startState == QLatin1String("builtin"))
        return finishRun(RunEnd::Refused, QStringLiteral("%1 is built into the node's kernel").arg(module));
    if (!out.facts.contains(QStringLiteral("have"))) {
        return finishRun(
            RunEnd::Refused,
            m_config.insmodPath.isEmpty()
                ? QStringLiteral("the node has no module %1 (modinfo and /lib/modules/%2 do not know it)")
                      .arg(module, out.facts.value(QStringLiteral("uname")).section(QLatin1Char(' '), 0, 0))
                : QStringLiteral("the node has no file %1").arg(m_config.insmodPath));
    }
    if (startState == QLatin1String("going"))
        return finishRun(
            RunEnd::Refused,
            QStringLiteral("%1 is stuck in 'going' on the node (an oops in its exit path?): reboot it first")
                .arg(module));
    const QStringList uname = out.facts.value(QStringLiteral("uname")).split(QLatin1Char(' '));
    m_bootId = out.facts.value(QStringLiteral("boot"));
    m_moduleFile = out.facts.value(QStringLiteral("have"));
    m_unloadFirst = startState != QLatin1String("absent");
    m_pstoreBaseline = out.pstoreFiles;
    m_taint.setInitial(out.taint.value(QStringLiteral("probe")));
    m_kmemleakAvailable = out.facts.contains(QStringLiteral("kmemleak"));
    m_leakCheck = m_config.leakCheck == CycleRunConfig::LeakCheck::Auto
        && out.facts.value(QStringLiteral("alloc_traces")).toInt() > 0;
    if (m_leakCheck)
        m_leaks.setBaseline(out.traces);
    const QString leakNote = m_leakCheck
        ? QStringLiteral("slab allocation traces in %1 caches").arg(out.facts.value(QStringLiteral("alloc_traces")))
        : m_config.leakCheck == CycleRunConfig::LeakCheck::Off
        ? QStringLiteral("off")
        : QStringLiteral("no slab allocation traces (boot the node with slub_debug=U,kmalloc-*)");
    m_facts = {{QStringLiteral("kernel_release"), uname.value(0)},
               {QStringLiteral("arch"), uname.value(1)},
               {QStringLiteral("boot_id"), m_bootId},
               {QStringLiteral("module_file"), out.facts.value(QStringLiteral("have"))},
               {QStringLiteral("loaded_at_start"), m_unloadFirst},
               {QStringLiteral("leak_check"), m_leakCheck},
               {QStringLiteral("leak_check_note"), leakNote},
               {QStringLiteral("kmemleak"), m_kmemleakAvailable},
               {QStringLiteral("pstore"), QJsonArray::fromStringList(m_pstoreBaseline)}};
    Q_EMIT message(
        QStringLiteral("node %1 (%2), %3: leak check %4").arg(uname.value(0), uname.value(1), module, leakNote));
    startCycle();
}

void CycleRunner::startCycle()
{
    if (m_state == State::Stopping || m_state == State::Finished || m_endAfterFinal)
        return;
    CycleResult c;
    c.n = m_history.count() + 1;
    c.startedNs = hostTimeNowNs();
    c.bootId = m_bootId;
    m_current = c;
    m_nodeLost = false;
    QStringList args = cycleScriptBaseArgs(m_config, m_runDir);
    args << QStringLiteral("n=%1").arg(c.n) << QStringLiteral("token=") + m_token << settleArg(m_config.settleMs)
         << QStringLiteral("leaks=") + (m_leakCheck ? QLatin1Char('1') : QLatin1Char('0'))
         << QStringLiteral("unload_first=") + (m_unloadFirst ? QLatin1Char('1') : QLatin1Char('0'));
    if (!m_moduleFile.isEmpty())
        args << QStringLiteral("kofile=") + m_moduleFile;
    if (!m_config.preCommand.isEmpty())
        args << QStringLiteral("pre=") + m_config.preCommand;
    if (!m_config.postCommand.isEmpty())
        args << QStringLiteral("post=") + m_config.postCommand;
    m_unloadFirst = false;
    m_pending.insert(runScript(QStringLiteral("cycle"), args, true), Purpose::Cycle);
    m_cycleStartMs = m_clock.elapsed();
    m_commandTimer.start(m_config.commandTimeoutMs + m_config.settleMs);
    setState(State::Cycling);
    Q_EMIT cycleStarted(c.n);
}

void CycleRunner::onCycleFinished(const SshCommandResult &result)
{
    m_commandTimer.stop();
    if (!m_current)
        return;
    CycleResult &c = *m_current;
    c.stepMs[QStringLiteral("round_trip")] = double(m_clock.elapsed() - m_cycleStartMs);
    if (!result.error.isEmpty())
        return nodeDown(QStringLiteral("the SSH connection dropped during cycle %1 (%2)").arg(c.n).arg(result.error),
                        0);
    const CycleScriptOutput out = parseCycleScriptOutput(result.standardOutput);
    if (!out.started) {
        c.addFinding({Verdict::Fail,
                      QStringLiteral("script_failed"),
                      QStringLiteral("the cycle script did not run (rc %1): %2")
                          .arg(result.exitStatus)
                          .arg(QString::fromUtf8(result.standardError).trimmed()),
                      QString(),
                      {}});
    }
    const bool unloadable = applyCycleOutput(out, m_config, c);
    m_history.share(c.load);
    checkCycleTelemetry(out, m_config, c);
    publishLoads(out.states.value(QStringLiteral("unloaded")) == QLatin1String("absent"));
    for (const ScriptStep &s : out.steps)
        Q_EMIT stepFinished(c.n, s.name, (s.endS - s.startS) * 1000.0);
    for (const auto &[tag, step] : {std::pair{"loaded", "load"}, std::pair{"unloaded", "unload"}}) {
        if (out.taint.contains(QLatin1String(tag))) {
            if (auto f = m_taint.check(out.taint.value(QLatin1String(tag)), QLatin1String(step)))
                c.addFinding(*f);
        }
    }
    if (const CycleResult *last = m_history.last(); last && last->unloaded.slabKb >= 0 && c.unloaded.slabKb >= 0)
        c.slabDeltaKb = c.unloaded.slabKb - last->unloaded.slabKb;
    if (m_leakCheck && c.load.valid() && out.step(QStringLiteral("post_checks"))) {
        QList<LeakSite> sites = m_leaks.scan(out.traces, c.load);
        resolveLeaks(sites, c.load);
        for (const LeakSite &l : std::as_const(sites)) {
            const QString where = l.function.isEmpty() ? QStringLiteral("%1+0x%2").arg(l.section).arg(l.offset, 0, 16)
                : l.line > 0 ? QStringLiteral("%1 (%2:%3)").arg(l.function, l.file).arg(l.line)
                             : l.function;
            c.addFinding({Verdict::Leak, QStringLiteral("leak"),
                          QStringLiteral("%1 object(s) of %2 bytes (%3) allocated in %4 still live after the unload")
                              .arg(l.count)
                              .arg(l.size)
                              .arg(l.cache, where),
                          QStringLiteral("post_checks"), l.stack});
        }
        c.leaks += sites;
    }
    if (!unloadable) {
        m_stopAfterCycle = true;
        m_stopReason = RunEnd::Stuck;
        m_stopMessage = QStringLiteral("%1 cannot be unloaded any more (cycle %2): the node needs a reboot")
                            .arg(m_config.module)
                            .arg(c.n);
    }
    setState(State::Collecting);
    m_collectDeadlineMs = m_clock.elapsed() + m_config.markerWaitMs;
    collect();
    if (m_state == State::Collecting)
        m_collectTimer.start();
}

void CycleRunner::onCycleTimeout()
{
    switch (m_state) {
    case State::Probing:
        m_pending.clear();
        return finishRun(RunEnd::Unreachable,
                         QStringLiteral("no answer from the node within %1 s").arg(m_commandTimer.interval() / 1000));
    case State::Cycling: {
        if (m_sshState != SshLink::State::Up)
            return nodeDown(QStringLiteral("no answer from the node (SSH link down)"), 0);
        for (auto it = m_pending.begin(); it != m_pending.end();)
            it = *it == Purpose::Cycle ? m_pending.erase(it) : std::next(it);
        m_shell.close(); // hung in a step: the run ends after this cycle anyway
        const int seconds = (m_config.commandTimeoutMs + m_config.settleMs) / 1000;
        m_current->addFinding({Verdict::Fail,
                               QStringLiteral("timeout"),
                               QStringLiteral("cycle %1 did not finish within %2 s").arg(m_current->n).arg(seconds),
                               QString(),
                               {}});
        m_stopAfterCycle = true;
        m_stopReason = RunEnd::Error;
        m_stopMessage = QStringLiteral("cycle %1 timed out: the node is in an unknown state").arg(m_current->n);
        m_pending.insert(runScript(QStringLiteral("inspect"), cycleScriptBaseArgs(m_config, m_runDir), false),
                         Purpose::Inspect);
        return;
    }
    case State::Finishing:
    case State::Stopping:
        m_pending.clear();
        m_endMessage += QStringLiteral("; no answer from the node at the end of the run");
        return done();
    default:
        return;
    }
}

void CycleRunner::collect()
{
    if (m_state != State::Collecting || !m_current)
        return;
    // Caught up when the consoles that showed this cycle's begin marker showed its end marker
    // too. The kernel log over SSH is quick; a serial console lags (115200 baud, and a virtual
    // UART under load much more), so it is waited for only when it is the only console: what it
    // says late still lands in the right cycle (markers), as an update.
    const int n = m_current->n;
    const QStringList began = m_console.sourcesThatBegan(n);
    bool fastConsole = false;
    for (const QString &source : began)
        fastConsole = fastConsole || source.startsWith(QLatin1String("ssh"));
    bool caughtUp = true;
    for (const QString &source : began) {
        if (!fastConsole || source.startsWith(QLatin1String("ssh")))
            caughtUp = caughtUp && m_console.ended(n, source);
    }
    if (!caughtUp && m_clock.elapsed() < m_collectDeadlineMs)
        return;
    m_collectTimer.stop();
    finalizeCycle();
}

void CycleRunner::finalizeCycle()
{
    if (!m_current)
        return;
    CycleResult c = std::move(*m_current);
    m_current.reset();
    c.finishedNs = hostTimeNowNs();
    c.complete = true;
    c.updateVerdict();
    m_cyclesTimeMs += (c.finishedNs - c.startedNs) / 1000000;
    record(std::move(c));
    Q_EMIT cycleFinished(*m_history.last());
    const int done = m_history.count();
    const double minutes = m_clock.elapsed() / 60000.0;
    const qint64 eta = m_config.count > 0 ? (m_config.count - done) * (m_cyclesTimeMs / qMax(1, done)) : -1;
    Q_EMIT progress(done, m_config.count, minutes > 0 ? done / minutes : 0.0, eta);
    continueOrEnd();
}

void CycleRunner::continueOrEnd()
{
    if (m_state == State::Stopping || m_endAfterFinal)
        return;
    const CycleResult &last = *m_history.last();
    // The decoded report says more than the panic line or a report's first line.
    const auto firstOf = [&last](Verdict v) {
        QString first;
        for (const Finding &f : last.findings) {
            if (f.verdict != v)
                continue;
            if (f.kind != QLatin1String("panic") && f.kind != QLatin1String("report_line"))
                return f.message;
            if (first.isEmpty())
                first = f.message;
        }
        return first;
    };
    if (last.verdict == Verdict::Crash && m_config.stopOnCrash)
        return finishRun(RunEnd::StoppedOnCrash,
                         QStringLiteral("cycle %1 crashed: %2").arg(last.n).arg(firstOf(Verdict::Crash)));
    if (m_stopAfterCycle)
        return finishRun(m_stopReason, m_stopMessage);
    if (m_config.untilFailure && last.verdict != Verdict::Pass)
        return finishRun(
            RunEnd::StoppedOnFailure,
            QStringLiteral("cycle %1: %2: %3").arg(last.n).arg(toString(last.verdict), firstOf(last.verdict)));
    if (m_config.count > 0 && m_history.count() >= m_config.count)
        return finishRun(RunEnd::Completed, QStringLiteral("%1 cycles").arg(m_history.count()));
    setState(State::Delaying);
    m_delayTimer.start(m_config.delayMs);
}

void CycleRunner::record(CycleResult c)
{
    QString error;
    if (!m_history.add(std::move(c), &error))
        spoolFailed(error);
}

void CycleRunner::spoolFailed(const QString &error)
{
    if (!m_spoolError.isEmpty())
        return;
    m_spoolError = error;
    Q_EMIT message(error);
    if (m_endAfterFinal || m_stopAfterCycle)
        return; // ending anyway: done() adds the error to the end message
    m_stopAfterCycle = true;
    m_stopReason = RunEnd::Error;
    m_stopMessage = error;
    if (m_state == State::Delaying) {
        m_delayTimer.stop();
        finishRun(m_stopReason, m_stopMessage);
    }
}

} // namespace kms
