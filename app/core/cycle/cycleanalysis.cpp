#include "cycle/cycleanalysis.h"

namespace kms {

namespace {

QString outputTail(const ScriptStep &step)
{
    const QStringList tail = step.output.mid(qMax<qsizetype>(0, step.output.size() - 3));
    return tail.isEmpty() ? QString() : QStringLiteral(": ") + tail.join(QStringLiteral(" / "));
}

QString exitText(int rc)
{
    if (rc == 137)
        return QStringLiteral("killed (rc 137)");
    return QStringLiteral("rc %1").arg(rc);
}

} // namespace

bool applyCycleOutput(const CycleScriptOutput &out, const CycleRunConfig &config, CycleResult &r)
{
    for (const ScriptStep &s : out.steps)
        r.stepMs[s.name] = out.stepMs(s.name);
    if (!out.steps.isEmpty())
        r.stepMs[QStringLiteral("total")] = (out.steps.last().endS - out.steps.first().startS) * 1000.0;
    if (out.load.valid())
        r.load = out.load;
    r.loaded = out.memory.value(QStringLiteral("loaded"));
    r.unloaded = out.memory.value(QStringLiteral("unloaded"));
    if (out.taint.contains(QStringLiteral("loaded")))
        r.taintLoaded = taintLetters(out.taint.value(QStringLiteral("loaded")));
    if (out.taint.contains(QStringLiteral("unloaded")))
        r.taintUnloaded = taintLetters(out.taint.value(QStringLiteral("unloaded")));

    const QString loader = config.insmodPath.isEmpty() ? QStringLiteral("modprobe") : QStringLiteral("insmod");
    const QString unloader = config.insmodPath.isEmpty() ? QStringLiteral("modprobe -r") : QStringLiteral("rmmod");
    bool unloadable = true;

    if (const ScriptStep *pre = out.step(QStringLiteral("pre")); pre && pre->exitStatus != 0) {
        r.addFinding({Verdict::Fail, QStringLiteral("command_failed"),
                      QStringLiteral("pre command failed (%1)%2").arg(exitText(pre->exitStatus), outputTail(*pre)),
                      QStringLiteral("pre"), pre->output});
    }
    if (out.end == QLatin1String("stuck_at_start")) {
        r.addFinding({Verdict::Stuck,
                      QStringLiteral("stuck_at_start"),
                      QStringLiteral("%1 was loaded when the run started and could not be unloaded (state %2)")
                          .arg(config.module, out.states.value(QStringLiteral("unloaded"))),
                      QStringLiteral("unload"),
                      {}});
        return false;
    }
    const ScriptStep *load = out.step(QStringLiteral("load"));
    const QString loadedState = out.states.value(QStringLiteral("loaded"));
    if (load && load->exitStatus != 0) {
        r.addFinding({Verdict::Fail, QStringLiteral("load_failed"),
                      QStringLiteral("%1 %2 failed (%3)%4")
                          .arg(loader, config.module, exitText(load->exitStatus), outputTail(*load)),
                      QStringLiteral("load"), load->output});
    } else if (load && loadedState != QLatin1String("live")) {
        r.addFinding({Verdict::Fail, QStringLiteral("not_live"),
                      QStringLiteral("%1 returned 0 but %2 is %3, not live").arg(loader, config.module, loadedState),
                      QStringLiteral("verify"), load->output});
    }
    for (const ScriptStep &s : out.steps) {
        if (s.name == QLatin1String("unload_dep") && s.exitStatus != 0) {
            r.addFinding({Verdict::Fail, QStringLiteral("command_failed"),
                          QStringLiteral("unloading a dependent module failed (%1)%2")
                              .arg(exitText(s.exitStatus), outputTail(s)),
                          s.name, s.output});
        }
    }
    const ScriptStep *unload = nullptr;
    for (const ScriptStep &s : out.steps) {
        if (s.name == QLatin1String("unload"))
            unload = &s;
    }
    const QString gone = out.states.value(QStringLiteral("unloaded"));
    if (unload) {
        if (gone == QLatin1String("going")) {
            // busybox modprobe -r returns 0 after an oops in the exit function: only
            // /sys/module says the module is stuck.
            r.addFinding({Verdict::Stuck, QStringLiteral("stuck_going"),
                          QStringLiteral("%1 stuck in 'going' after %2 (%3)%4")
                              .arg(config.module, unloader, exitText(unload->exitStatus), outputTail(*unload)),
                          QStringLiteral("unload"), unload->output});
            unloadable = false;
        } else if (gone == QLatin1String("live") || gone == QLatin1String("coming")) {
            r.addFinding({Verdict::Stuck, QStringLiteral("unload_busy"),
                          QStringLiteral("%1 still %2 after %3 (%4)%5")
                              .arg(config.module, gone, unloader, exitText(unload->exitStatus), outputTail(*unload)),
                          QStringLiteral("unload"), unload->output});
            unloadable = false;
        } else if (unload->exitStatus != 0) {
            r.addFinding({Verdict::Fail, QStringLiteral("command_failed"),
                          QStringLiteral("%1 %2 failed (%3)%4 (the module is gone)")
                              .arg(unloader, config.module, exitText(unload->exitStatus), outputTail(*unload)),
                          QStringLiteral("unload"), unload->output});
        }
    }
    if (const ScriptStep *post = out.step(QStringLiteral("post")); post && post->exitStatus != 0) {
        r.addFinding({Verdict::Fail, QStringLiteral("command_failed"),
                      QStringLiteral("post command failed (%1)%2").arg(exitText(post->exitStatus), outputTail(*post)),
                      QStringLiteral("post"), post->output});
    }
    if (out.end.isEmpty()) {
        r.addFinding(
            {Verdict::Fail, QStringLiteral("script_failed"),
             QStringLiteral("the cycle script ended early%1")
                 .arg(out.otherLines.isEmpty() ? QString()
                                               : QStringLiteral(": ") + out.otherLines.join(QStringLiteral(" / "))),
             QString(), out.otherLines});
    }
    return unloadable;
}

std::optional<Finding> TaintWatch::check(quint64 mask, const QString &step)
{
    constexpr quint64 outOfTree = quint64(1) << 12; // O
    constexpr quint64 unsignedModule = quint64(1) << 13; // E
    if (!m_baseline) {
        m_baseline = mask;
        return std::nullopt;
    }
    quint64 added = mask & ~*m_baseline;
    if (!m_firstLoadSeen && step == QLatin1String("load")) {
        m_firstLoadSeen = true;
        added &= ~(outOfTree | unsignedModule);
    }
    *m_baseline |= mask;
    if (added == 0)
        return std::nullopt;
    return Finding{Verdict::Warning,
                   QStringLiteral("taint"),
                   QStringLiteral("kernel taint changed: +%1 (now %2)").arg(taintLetters(added), taintLetters(mask)),
                   step,
                   {QStringLiteral("/proc/sys/kernel/tainted: %1").arg(mask)}};
}

void SlabTrend::add(int n, qint64 slabKb)
{
    if (slabKb < 0)
        return;
    const double x = n, y = double(slabKb);
    m_sx += x;
    m_sy += y;
    m_sxx += x * x;
    m_sxy += x * y;
    if (m_points++ == 0)
        m_first = slabKb;
    m_last = slabKb;
}

std::optional<Finding> SlabTrend::finding(double warnKbPerCycle) const
{
    if (m_points < 10)
        return std::nullopt;
    const double n = double(m_points);
    const double denominator = n * m_sxx - m_sx * m_sx;
    if (denominator <= 0)
        return std::nullopt;
    const double slope = (n * m_sxy - m_sx * m_sy) / denominator;
    if (slope < warnKbPerCycle)
        return std::nullopt;
    return Finding{Verdict::Warning,
                   QStringLiteral("memory_growth"),
                   QStringLiteral("Slab grew steadily after each unload: %1 kB per cycle over %2 cycles (%3 -> %4 kB)")
                       .arg(slope, 0, 'f', 1)
                       .arg(m_points)
                       .arg(double(m_first))
                       .arg(double(m_last)),
                   QString(),
                   {}};
}

std::optional<Finding> slabTrend(const QList<CycleResult> &cycles, double warnKbPerCycle)
{
    SlabTrend trend;
    for (const CycleResult &c : cycles)
        trend.add(c.n, c.unloaded.slabKb);
    return trend.finding(warnKbPerCycle);
}

} // namespace kms
