// In-process decode of a 30-frame oops of the kmsfixture module: what the GUI pays per report.
#include "report/reportdetector.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QCoreApplication>
#include <QProcess>

#include <benchmark/benchmark.h>

#include <cstdio>

using namespace kms;

namespace {

QByteArray oopsText()
{
    static const QByteArray text = [] {
        QProcess p;
        p.start(QStringLiteral("python3"),
                {QStringLiteral(KMS_MAKE_OOPS), QStringLiteral(KMS_FIXTURE_KO), QStringLiteral("x86_64"),
                 QStringLiteral("--frames"), QStringLiteral("30")});
        p.waitForFinished(60000);
        if (p.exitCode() != 0)
            std::fprintf(stderr, "make-oops.py failed: %s\n", p.readAllStandardError().constData());
        return p.readAllStandardOutput();
    }();
    return text;
}

KernelReport parsedReport()
{
    const QList<KernelReport> reports = detectReports(oopsText());
    return reports.isEmpty() ? KernelReport{} : reports.first();
}

void BM_Parse(benchmark::State &state)
{
    const QByteArray text = oopsText();
    for (auto _ : state)
        benchmark::DoNotOptimize(detectReports(text));
    state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMicrosecond);

void BM_IndexCatalog(benchmark::State &state)
{
    for (auto _ : state) {
        ModuleCatalog catalog;
        QString error;
        benchmark::DoNotOptimize(catalog.addPath(QStringLiteral(KMS_FIXTURE_KO), &error));
    }
}
BENCHMARK(BM_IndexCatalog)->Unit(benchmark::kMicrosecond);

// A fresh symbolizer each time: libdwfl reporting, relocation and the first lookups.
void BM_ResolveCold(benchmark::State &state)
{
    ModuleCatalog catalog;
    QString error;
    catalog.addPath(QStringLiteral(KMS_FIXTURE_KO), &error);
    const KernelReport parsed = parsedReport();
    for (auto _ : state) {
        Symbolizer symbolizer(catalog);
        KernelReport report = parsed;
        symbolizer.resolve(report);
        benchmark::DoNotOptimize(report);
    }
    state.counters["frames"] = parsed.frames.size();
}
BENCHMARK(BM_ResolveCold)->Unit(benchmark::kMicrosecond);

// The GUI's case: catalog and symbolizer already loaded, a new report arrives.
void BM_ResolveWarm(benchmark::State &state)
{
    ModuleCatalog catalog;
    QString error;
    catalog.addPath(QStringLiteral(KMS_FIXTURE_KO), &error);
    Symbolizer symbolizer(catalog);
    const KernelReport parsed = parsedReport();
    KernelReport first = parsed;
    symbolizer.resolve(first);
    int resolved = 0;
    for (const Frame &f : first.frames)
        resolved += f.line > 0 ? 1 : 0;
    for (auto _ : state) {
        KernelReport report = parsed;
        symbolizer.resolve(report);
        benchmark::DoNotOptimize(report);
    }
    state.counters["frames"] = parsed.frames.size();
    state.counters["resolved"] = resolved;
}
BENCHMARK(BM_ResolveWarm)->Unit(benchmark::kMicrosecond);

// Parse + warm resolve: a report line block to decoded frames.
void BM_DecodeWarm(benchmark::State &state)
{
    ModuleCatalog catalog;
    QString error;
    catalog.addPath(QStringLiteral(KMS_FIXTURE_KO), &error);
    Symbolizer symbolizer(catalog);
    const QByteArray text = oopsText();
    for (auto _ : state) {
        QList<KernelReport> reports = detectReports(text);
        for (KernelReport &r : reports)
            symbolizer.resolve(r);
        benchmark::DoNotOptimize(reports);
    }
}
BENCHMARK(BM_DecodeWarm)->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (parsedReport().frames.size() < 30) {
        std::fprintf(stderr, "bench_decode: the fixture oops did not parse into 30 frames\n");
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
