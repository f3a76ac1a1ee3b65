// CycleRunner::runReport(): the whole run as one JSON object (`kmodscope-cli cycle --json`).
#include "cycle/cyclerunner.h"

#include <QJsonArray>

namespace kms {

QJsonObject CycleRunner::runReport() const
{
    QJsonArray cycles;
    for (const CycleResult &c : m_cycles)
        cycles.append(toJson(c));
    QJsonArray findings;
    for (const Finding &f : m_runFindings)
        findings.append(toJson(f));
    QJsonArray kmemleak;
    for (const LeakSite &l : m_kmemleak)
        kmemleak.append(toJson(l));
    QJsonArray slab;
    for (const CycleResult &c : m_cycles)
        slab.append(c.unloaded.slabKb >= 0 ? QJsonValue(c.unloaded.slabKb) : QJsonValue());
    return {{QStringLiteral("module"), m_config.module},
            {QStringLiteral("config"), m_config.toJson()},
            {QStringLiteral("node"), m_facts},
            {QStringLiteral("cycles"), cycles},
            {QStringLiteral("totals"), toJson(totals())},
            {QStringLiteral("findings"), findings},
            {QStringLiteral("memory"), QJsonObject{{QStringLiteral("slab_kb_after_unload"), slab}}},
            {QStringLiteral("kmemleak"),
             QJsonObject{{QStringLiteral("note"), m_kmemleakNote}, {QStringLiteral("leaks"), kmemleak}}},
            {QStringLiteral("end"),
             QJsonObject{{QStringLiteral("reason"), toString(m_end)}, {QStringLiteral("message"), m_endMessage}}}};
}

} // namespace kms
