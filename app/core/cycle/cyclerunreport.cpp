// CycleRunner's run report (`kmodscope-cli cycle --json`): in memory for a short run, streamed
// from the spool for a long one, byte for byte what QJsonDocument::Indented writes.
#include "cycle/cyclerunner.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace kms {

namespace {

const QString cyclesMark = QStringLiteral("@kms-stream-cycles@");
const QString slabMark = QStringLiteral("@kms-stream-slab@");

// The after-unload Slab of a cycle's object, as the report's memory array has it.
QJsonValue slabOf(const QJsonObject &cycle)
{
    const QJsonValue slab = cycle.value(QStringLiteral("memory"))
                                .toObject()
                                .value(QStringLiteral("unloaded"))
                                .toObject()
                                .value(QStringLiteral("slab_kb"));
    return slab.isDouble() ? slab : QJsonValue();
}

// Writes value as an element of an Indented array whose elements start with indent.
bool writeElement(QIODevice *out, const QJsonValue &value, const QByteArray &indent, bool first)
{
    // Qt's own rendering of a one-element array, moved to the array's depth.
    const QByteArray text = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Indented);
    const qsizetype begin = text.indexOf('\n') + 1; // after "["
    const qsizetype end = text.lastIndexOf("\n]"); // before "]"
    QByteArray element;
    if (!first)
        element += ",\n";
    for (const QByteArray &line : text.mid(begin, end - begin).split('\n'))
        element += indent + line.mid(4) + '\n';
    element.chop(1);
    return out->write(element) == element.size();
}

} // namespace

QJsonObject CycleRunner::runReportHead() const
{
    QJsonArray findings;
    for (const Finding &f : m_runFindings)
        findings.append(toJson(f));
    QJsonArray kmemleak;
    for (const LeakSite &l : m_kmemleak)
        kmemleak.append(toJson(l));
    return {{QStringLiteral("module"), m_config.module},
            {QStringLiteral("config"), m_config.toJson()},
            {QStringLiteral("node"), m_facts},
            {QStringLiteral("cycles"), QJsonArray()},
            {QStringLiteral("totals"), toJson(totals())},
            {QStringLiteral("findings"), findings},
            {QStringLiteral("memory"), QJsonObject{{QStringLiteral("slab_kb_after_unload"), QJsonArray()}}},
            {QStringLiteral("kmemleak"),
             QJsonObject{{QStringLiteral("note"), m_kmemleakNote}, {QStringLiteral("leaks"), kmemleak}}},
            {QStringLiteral("end"),
             QJsonObject{{QStringLiteral("reason"), toString(m_end)}, {QStringLiteral("message"), m_endMessage}}}};
}

bool CycleRunner::forEachCycleJson(const std::function<void(const QJsonObject &)> &fn, QString *error) const
{
    return m_history.forEachJson(fn, error);
}

QJsonObject CycleRunner::runReport() const
{
    QJsonArray cycles;
    QJsonArray slab;
    m_history.forEachJson([&](const QJsonObject &c) {
        cycles.append(c);
        slab.append(slabOf(c));
    });
    QJsonObject report = runReportHead();
    report.insert(QStringLiteral("cycles"), cycles);
    report.insert(QStringLiteral("memory"), QJsonObject{{QStringLiteral("slab_kb_after_unload"), slab}});
    return report;
}

bool CycleRunner::writeRunReport(QIODevice *out, QString *error) const
{
    const auto failed = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    QJsonObject head = runReportHead();
    if (m_history.count() == 0) {
        const QByteArray text = QJsonDocument(head).toJson(QJsonDocument::Indented);
        return out->write(text) == text.size() || failed(out->errorString());
    }
    // Qt writes the head with a marker where each array's elements go; the cycles are then
    // written there one at a time (a second pass over the spool for the Slab values).
    head.insert(QStringLiteral("cycles"), QJsonArray{cyclesMark});
    head.insert(QStringLiteral("memory"), QJsonObject{{QStringLiteral("slab_kb_after_unload"), QJsonArray{slabMark}}});
    const QByteArray text = QJsonDocument(head).toJson(QJsonDocument::Indented);
    qsizetype at = 0;
    for (const QString &mark : {cyclesMark, slabMark}) {
        // Both markers are alone on their line: the one array's only element.
        const QByteArray quoted = '"' + mark.toUtf8() + '"';
        const qsizetype pos = text.indexOf(quoted, at);
        if (pos < 0)
            return failed(QStringLiteral("internal: no place for the report's %1").arg(mark));
        const qsizetype lineStart = text.lastIndexOf('\n', pos) + 1;
        if (out->write(text.mid(at, lineStart - at)) != lineStart - at)
            return failed(out->errorString());
        const QByteArray indent = text.mid(lineStart, pos - lineStart);
        bool first = true;
        bool written = true;
        const bool read = m_history.forEachJson(
            [&](const QJsonObject &c) {
                if (written)
                    written = writeElement(out, mark == cyclesMark ? QJsonValue(c) : slabOf(c), indent, first);
                first = false;
            },
            error);
        if (!read)
            return false;
        if (!written)
            return failed(out->errorString());
        at = pos + quoted.size();
    }
    return out->write(text.mid(at)) == text.size() - at || failed(out->errorString());
}

} // namespace kms
