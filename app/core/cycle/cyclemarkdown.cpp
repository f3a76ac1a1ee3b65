#include "cycle/cyclemarkdown.h"

#include "report/reportformatter.h"
#include "report/reportjson.h"

#include <QJsonArray>
#include <QMap>
#include <QStringList>

namespace kms {

namespace {

const QStringList verdictOrder = {QStringLiteral("crash"), QStringLiteral("stuck"),   QStringLiteral("fail"),
                                  QStringLiteral("leak"),  QStringLiteral("warning"), QStringLiteral("pass")};

// One table cell: pipes and line breaks would end the cell or the row.
QString cell(QString text)
{
    text.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    text.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return text.trimmed();
}

// A fenced block that the text itself cannot close.
QString fenced(const QString &text, const QString &info = QStringLiteral("text"))
{
    QString fence = QStringLiteral("```");
    while (text.contains(fence))
        fence += QLatin1Char('`');
    QString body = text;
    if (!body.endsWith(QLatin1Char('\n')))
        body += QLatin1Char('\n');
    return fence + info + QLatin1Char('\n') + body + fence + QLatin1Char('\n');
}

QString ms(const QJsonValue &v)
{
    return v.isDouble() ? QString::number(v.toDouble(), 'f', 1) : QStringLiteral("–");
}

QString leakWhere(const QJsonObject &leak)
{
    const QString file = leak.value(QStringLiteral("file")).toString();
    if (file.isEmpty()) {
        const QString error = leak.value(QStringLiteral("error")).toString();
        return QStringLiteral("%1+0x%2%3")
            .arg(leak.value(QStringLiteral("section")).toString())
            .arg(qulonglong(leak.value(QStringLiteral("offset")).toInteger()), 0, 16)
            .arg(error.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(error));
    }
    const int line = leak.value(QStringLiteral("line")).toInt();
    return line > 0 ? QStringLiteral("%1:%2").arg(file).arg(line) : file;
}

QString leakTable(const QJsonArray &leaks, bool withCycles, const QMap<QString, QList<int>> &cyclesOf = {})
{
    QString md = withCycles ? QStringLiteral("| Function | Where | Size | Objects | Cache | Source | Cycles |\n"
                                             "|---|---|---:|---:|---|---|---|\n")
                            : QStringLiteral("| Function | Where | Size | Objects | Cache | Source |\n"
                                             "|---|---|---:|---:|---|---|\n");
    for (const QJsonValue &v : leaks) {
        const QJsonObject l = v.toObject();
        const QString where = leakWhere(l);
        md += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 |")
                  .arg(cell(l.value(QStringLiteral("function")).toString(QStringLiteral("?"))), cell(where))
                  .arg(l.value(QStringLiteral("size")).toInt())
                  .arg(l.value(QStringLiteral("count")).toInt())
                  .arg(cell(l.value(QStringLiteral("cache")).toString()),
                       cell(l.value(QStringLiteral("source")).toString()));
        if (withCycles) {
            QStringList ns;
            for (int n : cyclesOf.value(where))
                ns += QString::number(n);
            md += QStringLiteral(" %1 |").arg(ns.join(QStringLiteral(", ")));
        }
        md += QLatin1Char('\n');
    }
    return md;
}

QString summary(const QJsonObject &run)
{
    const QJsonObject config = run.value(QStringLiteral("config")).toObject();
    const QJsonObject node = run.value(QStringLiteral("node")).toObject();
    const QJsonObject end = run.value(QStringLiteral("end")).toObject();
    const QString module = run.value(QStringLiteral("module")).toString();
    QStringList params;
    for (const QJsonValue &p : config.value(QStringLiteral("params")).toArray())
        params += p.toString();
    const QString insmod = config.value(QStringLiteral("insmod")).toString();
    QString load
        = insmod.isEmpty() ? QStringLiteral("modprobe %1").arg(module) : QStringLiteral("insmod %1").arg(insmod);
    if (!params.isEmpty())
        load += QLatin1Char(' ') + params.join(QLatin1Char(' '));
    const int count = config.value(QStringLiteral("count")).toInt();
    QString asked = count > 0 ? QStringLiteral("%1 cycle(s)").arg(count) : QStringLiteral("no limit");
    if (config.value(QStringLiteral("until_failure")).toBool())
        asked += QStringLiteral(", until the first failure");
    asked += config.value(QStringLiteral("stop_on_crash")).toBool(true) ? QStringLiteral(", stop on crash")
                                                                        : QStringLiteral(", continue after a crash");

    QString md = QStringLiteral("# Reload cycles of %1\n\n").arg(module);
    md += QStringLiteral("- **Result:** %1 — %2\n")
              .arg(end.value(QStringLiteral("reason")).toString(), end.value(QStringLiteral("message")).toString());
    QString nodeText = node.value(QStringLiteral("kernel_release")).toString();
    if (const QString arch = node.value(QStringLiteral("arch")).toString(); !arch.isEmpty())
        nodeText += QStringLiteral(" (%1)").arg(arch);
    if (!nodeText.isEmpty())
        md += QStringLiteral("- **Node:** %1\n").arg(nodeText);
    md += QStringLiteral("- **Load:** `%1`\n").arg(load);
    md += QStringLiteral("- **Asked for:** %1; settle %2 ms, delay %3 ms, return timeout %4 s\n")
              .arg(asked)
              .arg(config.value(QStringLiteral("settle_ms")).toInt())
              .arg(config.value(QStringLiteral("delay_ms")).toInt())
              .arg(config.value(QStringLiteral("return_timeout_s")).toInt());
    if (node.contains(QStringLiteral("leak_check")))
        md += QStringLiteral("- **Leak check:** %1\n")
                  .arg(node.value(QStringLiteral("leak_check")).toVariant().toString());
    return md;
}

// Step times of the cycles: what a cycle costs on this node.
struct CycleTimes {
    double sum = 0, worst = 0;
    int n = 0;
    void add(const QJsonObject &cycle)
    {
        const QJsonValue total = cycle.value(QStringLiteral("steps")).toObject().value(QStringLiteral("total"));
        if (total.isDouble()) {
            sum += total.toDouble();
            worst = qMax(worst, total.toDouble());
            ++n;
        }
    }
};

QString totals(const QJsonObject &run, const CycleTimes &times)
{
    const QJsonObject t = run.value(QStringLiteral("totals")).toObject();
    QString md = QStringLiteral("\n## Totals\n\n%1 cycle(s).\n\n| Verdict | Cycles |\n|---|---:|\n")
                     .arg(t.value(QStringLiteral("cycles")).toInt());
    for (const QString &v : verdictOrder)
        md += QStringLiteral("| %1 | %2 |\n").arg(v).arg(t.value(v).toInt());
    if (times.n > 0)
        md += QStringLiteral("\nCycle time: mean %1 ms, max %2 ms.\n")
                  .arg(QString::number(times.sum / times.n, 'f', 1), QString::number(times.worst, 'f', 1));
    return md;
}

QString failingCycle(const QJsonObject &c)
{
    const int n = c.value(QStringLiteral("n")).toInt();
    QString md = QStringLiteral("\n### Cycle %1: %2\n\n").arg(n).arg(c.value(QStringLiteral("verdict")).toString());
    for (const QJsonValue &fv : c.value(QStringLiteral("findings")).toArray()) {
        const QJsonObject f = fv.toObject();
        const QString step = f.value(QStringLiteral("step")).toString();
        md += QStringLiteral("- **%1** (%2%3): %4\n")
                  .arg(f.value(QStringLiteral("verdict")).toString(), f.value(QStringLiteral("kind")).toString(),
                       step.isEmpty() ? QString() : QStringLiteral(", ") + step,
                       f.value(QStringLiteral("message")).toString());
    }
    const QJsonArray reports = c.value(QStringLiteral("reports")).toArray();
    for (qsizetype i = 0; i < reports.size(); ++i) {
        const KernelReport r = reportFromJson(reports[i].toObject());
        md += QStringLiteral("\n#### Report %1: %2\n\n").arg(i + 1).arg(r.title);
        md += fenced(formatReport(r));
    }
    const QJsonArray addresses = c.value(QStringLiteral("addresses")).toArray();
    if (!addresses.isEmpty()) {
        md += QStringLiteral("\nRegisters in the module's code (resolved with this load's sections):\n\n");
        for (const QJsonValue &av : addresses) {
            const QJsonObject a = av.toObject();
            const int line = a.value(QStringLiteral("line")).toInt();
            md += QStringLiteral("- `%1` %2 = %3+0x%4: %5%6\n")
                      .arg(a.value(QStringLiteral("register")).toString(),
                           a.value(QStringLiteral("address")).toString(), a.value(QStringLiteral("section")).toString())
                      .arg(qulonglong(a.value(QStringLiteral("offset")).toInteger()), 0, 16)
                      .arg(a.value(QStringLiteral("function")).toString(QStringLiteral("?")),
                           line > 0
                               ? QStringLiteral(" (%1:%2)").arg(a.value(QStringLiteral("file")).toString()).arg(line)
                               : QString());
        }
    }
    const QJsonArray leaks = c.value(QStringLiteral("leaks")).toArray();
    if (!leaks.isEmpty())
        md += QStringLiteral("\nLeaked allocations:\n\n") + leakTable(leaks, false);
    return md;
}

} // namespace

QString runReportMarkdown(const QJsonObject &run)
{
    return runReportMarkdown(run, [&run](const std::function<void(const QJsonObject &)> &fn) {
        for (const QJsonValue &cv : run.value(QStringLiteral("cycles")).toArray())
            fn(cv.toObject());
        return true;
    });
}

QString runReportMarkdown(const QJsonObject &run, const CycleJsonSource &cycles)
{
    QString md; // the run's findings; summary and totals go before them once the cycles are read

    const QJsonArray runFindings = run.value(QStringLiteral("findings")).toArray();
    if (!runFindings.isEmpty()) {
        md += QStringLiteral("\n## Run findings\n\n");
        for (const QJsonValue &fv : runFindings) {
            const QJsonObject f = fv.toObject();
            md += QStringLiteral("- **%1** (%2): %3\n")
                      .arg(f.value(QStringLiteral("verdict")).toString(), f.value(QStringLiteral("kind")).toString(),
                           f.value(QStringLiteral("message")).toString());
        }
    }

    QString failing;
    QString table
        = QStringLiteral("| Cycle | Verdict | Total ms | Slab Δ kB | First finding |\n|---:|---|---:|---:|---|\n");
    QJsonArray allLeaks;
    QMap<QString, QList<int>> leakCycles;
    // Only what the failing cycles and the leak sites need is held: a long run streams through.
    CycleTimes times;
    const bool complete = cycles([&](const QJsonObject &c) {
        times.add(c);
        for (const QJsonValue &l : c.value(QStringLiteral("leaks")).toArray()) {
            const QString where = leakWhere(l.toObject());
            if (!leakCycles.contains(where))
                allLeaks.append(l);
            leakCycles[where].append(c.value(QStringLiteral("n")).toInt());
        }
        if (c.value(QStringLiteral("verdict")).toString() == QLatin1String("pass"))
            return;
        QString first;
        for (const QJsonValue &fv : c.value(QStringLiteral("findings")).toArray()) {
            if (fv.toObject().value(QStringLiteral("verdict")) == c.value(QStringLiteral("verdict"))) {
                first = fv.toObject().value(QStringLiteral("message")).toString();
                break;
            }
        }
        const QJsonValue delta = c.value(QStringLiteral("memory")).toObject().value(QStringLiteral("slab_delta_kb"));
        table += QStringLiteral("| %1 | %2 | %3 | %4 | %5 |\n")
                     .arg(c.value(QStringLiteral("n")).toInt())
                     .arg(c.value(QStringLiteral("verdict")).toString(),
                          ms(c.value(QStringLiteral("steps")).toObject().value(QStringLiteral("total"))),
                          delta.isDouble() ? QString::number(delta.toInteger()) : QStringLiteral("–"), cell(first));
        failing += failingCycle(c);
    });
    md += QStringLiteral("\n## Failing cycles\n\n");
    md += failing.isEmpty() ? QStringLiteral("None: every cycle passed.\n") : table + failing;
    md.prepend(summary(run) + totals(run, times));
    if (!complete)
        md += QStringLiteral(
            "\n**Not every cycle could be read back from the run's spool: this list may be short.**\n");

    const QJsonObject kmemleak = run.value(QStringLiteral("kmemleak")).toObject();
    const QJsonArray kmemleakLeaks = kmemleak.value(QStringLiteral("leaks")).toArray();
    md += QStringLiteral("\n## Leak sites\n\n");
    if (allLeaks.isEmpty() && kmemleakLeaks.isEmpty())
        md += QStringLiteral("None found.\n");
    if (!allLeaks.isEmpty())
        md += leakTable(allLeaks, true, leakCycles);
    if (!kmemleakLeaks.isEmpty())
        md += QStringLiteral("\nkmemleak, at the end of the run:\n\n") + leakTable(kmemleakLeaks, false);
    if (const QString note = kmemleak.value(QStringLiteral("note")).toString(); !note.isEmpty())
        md += QStringLiteral("\n%1.\n").arg(note);
    return md;
}

} // namespace kms
