#include "cycle/cycleresult.h"

#include "report/reportjson.h"

#include <QJsonArray>

namespace kms {

QString toString(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Crash:
        return QStringLiteral("crash");
    case Verdict::Stuck:
        return QStringLiteral("stuck");
    case Verdict::Fail:
        return QStringLiteral("fail");
    case Verdict::Leak:
        return QStringLiteral("leak");
    case Verdict::Warning:
        return QStringLiteral("warning");
    case Verdict::Pass:
        return QStringLiteral("pass");
    }
    return {};
}

Verdict worse(Verdict a, Verdict b)
{
    return int(a) < int(b) ? a : b;
}

QString toString(RunEnd end)
{
    switch (end) {
    case RunEnd::Completed:
        return QStringLiteral("completed");
    case RunEnd::Stopped:
        return QStringLiteral("stopped");
    case RunEnd::StoppedOnCrash:
        return QStringLiteral("stopped_on_crash");
    case RunEnd::StoppedOnFailure:
        return QStringLiteral("stopped_on_failure");
    case RunEnd::NodeLost:
        return QStringLiteral("node_lost");
    case RunEnd::Stuck:
        return QStringLiteral("stuck");
    case RunEnd::Refused:
        return QStringLiteral("refused");
    case RunEnd::Unreachable:
        return QStringLiteral("unreachable");
    case RunEnd::Error:
        return QStringLiteral("error");
    }
    return {};
}

std::optional<QPair<QString, quint64>> LoadRecord::locate(quint64 address, bool codeOnly) const
{
    // The kernel exports section starts, not sizes: a section ends where the next one (of the
    // same load) starts; the last one is given 1 MiB. An address in another module's memory
    // right after ours would need a section of ours to reach it, which only the last can.
    const QPair<QString, quint64> *best = nullptr;
    quint64 next = 0;
    for (const auto &section : sections) {
        if (section.second == 0)
            continue;
        if (section.second <= address) {
            if (!best || section.second > best->second)
                best = &section;
        }
    }
    if (!best)
        return std::nullopt;
    for (const auto &section : sections) {
        if (section.second > best->second && (next == 0 || section.second < next))
            next = section.second;
    }
    const quint64 limit = next ? next - best->second : quint64(1) << 20;
    const quint64 offset = address - best->second;
    if (offset >= limit)
        return std::nullopt;
    if (codeOnly && !best->first.contains(QLatin1String("text")))
        return std::nullopt;
    return qMakePair(best->first, offset);
}

void CycleResult::updateVerdict()
{
    verdict = Verdict::Pass;
    for (const Finding &f : std::as_const(findings))
        verdict = worse(verdict, f.verdict);
}

void CycleResult::addFinding(Finding finding)
{
    verdict = worse(verdict, finding.verdict);
    findings.append(std::move(finding));
}

QJsonObject toJson(const Finding &finding)
{
    QJsonObject o{{QStringLiteral("verdict"), toString(finding.verdict)},
                  {QStringLiteral("kind"), finding.kind},
                  {QStringLiteral("message"), finding.message}};
    o.insert(QStringLiteral("step"), finding.step.isEmpty() ? QJsonValue() : QJsonValue(finding.step));
    o.insert(QStringLiteral("lines"), QJsonArray::fromStringList(finding.lines));
    return o;
}

namespace {

QJsonValue orNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue() : QJsonValue(s);
}

QJsonValue kb(qint64 v)
{
    return v < 0 ? QJsonValue() : QJsonValue(v);
}

QJsonObject toJson(const MemorySample &m)
{
    return {{QStringLiteral("slab_kb"), kb(m.slabKb)},
            {QStringLiteral("sunreclaim_kb"), kb(m.unreclaimableKb)},
            {QStringLiteral("mem_available_kb"), kb(m.availableKb)}};
}

} // namespace

QJsonObject toJson(const LeakSite &leak)
{
    QJsonObject o{{QStringLiteral("function"), orNull(leak.function)},
                  {QStringLiteral("file"), orNull(leak.file)},
                  {QStringLiteral("line"), leak.line > 0 ? QJsonValue(leak.line) : QJsonValue()},
                  {QStringLiteral("size"), leak.size},
                  {QStringLiteral("count"), leak.count},
                  {QStringLiteral("cache"), orNull(leak.cache)},
                  {QStringLiteral("address"), hexString(leak.address)},
                  {QStringLiteral("section"), orNull(leak.section)},
                  {QStringLiteral("offset"), qint64(leak.offset)},
                  {QStringLiteral("stack"), QJsonArray::fromStringList(leak.stack)},
                  {QStringLiteral("source"), leak.source},
                  {QStringLiteral("error"), orNull(leak.error)}};
    return o;
}

QJsonObject toJson(const AddressFrame &a)
{
    return {{QStringLiteral("report"), a.report},
            {QStringLiteral("register"), a.what},
            {QStringLiteral("address"), a.frame.address ? QJsonValue(hexString(*a.frame.address)) : QJsonValue()},
            {QStringLiteral("section"), orNull(a.section)},
            {QStringLiteral("offset"), qint64(a.offset)},
            {QStringLiteral("function"), orNull(a.frame.function)},
            {QStringLiteral("inlined_function"), orNull(a.frame.inlinedFunction)},
            {QStringLiteral("file"), orNull(a.frame.file)},
            {QStringLiteral("line"), a.frame.line > 0 ? QJsonValue(a.frame.line) : QJsonValue()},
            {QStringLiteral("exact_pc"), a.frame.exactPc},
            {QStringLiteral("error"), orNull(a.frame.error)}};
}

QJsonObject toJson(const TelemetryCheck &t)
{
    return {{QStringLiteral("path"), t.path},
            {QStringLiteral("opened"), t.opened},
            {QStringLiteral("window_ms"), qRound(t.windowMs * 10.0) / 10.0},
            {QStringLiteral("lines"), t.lines},
            {QStringLiteral("samples"), t.samples},
            {QStringLiteral("rejected"), t.rejected},
            {QStringLiteral("max_fill_pct"),
             t.maxFillPct < 0 ? QJsonValue() : QJsonValue(qRound(t.maxFillPct * 10.0) / 10.0)},
            {QStringLiteral("max_fill_ring"), orNull(t.maxFillRing)}};
}

QJsonObject toJson(const CycleResult &cycle)
{
    QJsonArray findings;
    for (const Finding &f : cycle.findings)
        findings.append(toJson(f));
    QJsonObject steps;
    for (auto it = cycle.stepMs.cbegin(); it != cycle.stepMs.cend(); ++it)
        steps.insert(it.key(), qRound(it.value() * 1000.0) / 1000.0);
    QJsonObject memory{
        {QStringLiteral("loaded"), toJson(cycle.loaded)},
        {QStringLiteral("unloaded"), toJson(cycle.unloaded)},
        {QStringLiteral("slab_delta_kb"), cycle.slabDeltaKb ? QJsonValue(*cycle.slabDeltaKb) : QJsonValue()}};
    QJsonArray reports;
    for (const KernelReport &r : cycle.reports)
        reports.append(toJson(r));
    QJsonArray leaks;
    for (const LeakSite &l : cycle.leaks)
        leaks.append(toJson(l));
    QJsonArray addresses;
    for (const AddressFrame &a : cycle.addresses)
        addresses.append(toJson(a));
    QJsonObject sections;
    for (const auto &s : cycle.load.sections)
        sections.insert(s.first, hexString(s.second));
    return {
        {QStringLiteral("n"), cycle.n},
        {QStringLiteral("wall_ms"),
         cycle.finishedNs > cycle.startedNs ? QJsonValue(qRound64((cycle.finishedNs - cycle.startedNs) / 1e4) / 100.0)
                                            : QJsonValue()},
        {QStringLiteral("verdict"), toString(cycle.verdict)},
        {QStringLiteral("findings"), findings},
        {QStringLiteral("steps"), steps},
        {QStringLiteral("memory"), memory},
        {QStringLiteral("taint"),
         QJsonObject{{QStringLiteral("loaded"), cycle.taintLoaded}, {QStringLiteral("unloaded"), cycle.taintUnloaded}}},
        {QStringLiteral("load"),
         QJsonObject{{QStringLiteral("build_id"), orNull(cycle.load.buildId)}, {QStringLiteral("sections"), sections}}},
        {QStringLiteral("boot_id"), orNull(cycle.bootId)},
        {QStringLiteral("reports"), reports},
        {QStringLiteral("addresses"), addresses},
        {QStringLiteral("leaks"), leaks},
        {QStringLiteral("telemetry"), cycle.telemetry ? QJsonValue(toJson(*cycle.telemetry)) : QJsonValue()}};
}

QJsonObject toJson(const RunTotals &totals)
{
    QJsonObject o{{QStringLiteral("cycles"), totals.cycles}};
    for (Verdict v : {Verdict::Pass, Verdict::Warning, Verdict::Leak, Verdict::Fail, Verdict::Stuck, Verdict::Crash})
        o.insert(toString(v), totals.byVerdict.value(v));
    return o;
}

} // namespace kms
