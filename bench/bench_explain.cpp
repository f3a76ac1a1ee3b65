// The cost of the fault explanation per report: warm decode (parse + resolve) of the virtual
// node's captures (tests/data/captures/explain) with the explanation on, against the same decode
// with it off (Symbolizer::setExplainFaults(false)), in one run. Counters: reports per
// iteration and how many got a member chain, a pointer variable, an address kind only.
#include "report/reportdetector.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QCoreApplication>
#include <QFile>

#include <benchmark/benchmark.h>

#include <cstdio>

using namespace kms;

namespace {

struct Input {
    QString arch;
    QString module;
    QString log;
};

const QList<Input> inputs = {
    {QStringLiteral("x86_64"), QStringLiteral("kmsexplain"), QStringLiteral("x86_64-kmsexplain.log")},
    {QStringLiteral("armhf"), QStringLiteral("kmsexplain"), QStringLiteral("armhf-kmsexplain.log")},
    {QStringLiteral("x86_64"), QStringLiteral("prudaq"), QStringLiteral("x86_64-prudaq-unload_race.log")},
    {QStringLiteral("x86_64"), QStringLiteral("prudaq"), QStringLiteral("x86_64-prudaq-unload_uaf.log")},
    {QStringLiteral("armhf"), QStringLiteral("prudaq"), QStringLiteral("armhf-prudaq-unload_race.log")},
    {QStringLiteral("armhf"), QStringLiteral("prudaq"), QStringLiteral("armhf-prudaq-unload_uaf.log")},
};

struct Setup {
    ModuleCatalog catalog;
    std::unique_ptr<Symbolizer> symbolizer;
    QList<QByteArray> logs;
};

// All modules in one catalog (names differ by build id per architecture: the reports print
// none, so one symbolizer per architecture), warmed by one decode.
std::unique_ptr<Setup> setup(const QString &arch, bool explain)
{
    auto s = std::make_unique<Setup>();
    QString error;
    for (const QString &module : {QStringLiteral("kmsexplain"), QStringLiteral("prudaq")})
        s->catalog.addPath(QStringLiteral(KMS_CAPTURES "/ko/%1/%2.ko.xz").arg(arch, module), &error);
    PathMap paths;
    paths.add(QStringLiteral("/tmp/kmsexplain-") + arch, QStringLiteral(KMS_CAPTURES "/src"));
    paths.add(QStringLiteral("/work/vnode-explain/ko/") + arch, QStringLiteral(KMS_CAPTURES "/src"));
    s->symbolizer = std::make_unique<Symbolizer>(s->catalog, paths);
    s->symbolizer->setExplainFaults(explain);
    for (const Input &in : inputs) {
        if (in.arch != arch)
            continue;
        QFile f(QStringLiteral(KMS_CAPTURES "/") + in.log);
        if (f.open(QIODevice::ReadOnly))
            s->logs << f.readAll();
    }
    for (const QByteArray &log : std::as_const(s->logs)) {
        QList<KernelReport> reports = detectReports(log);
        for (KernelReport &r : reports)
            s->symbolizer->resolve(r);
    }
    return s;
}

void decode(benchmark::State &state, const QString &arch, bool explain)
{
    const auto s = setup(arch, explain);
    int reports = 0;
    int members = 0;
    int pointers = 0;
    int addressOnly = 0;
    for (auto _ : state) {
        reports = members = pointers = addressOnly = 0;
        for (const QByteArray &log : std::as_const(s->logs)) {
            QList<KernelReport> decoded = detectReports(log);
            for (KernelReport &r : decoded) {
                s->symbolizer->resolve(r);
                ++reports;
                if (!r.explanation)
                    continue;
                members += r.explanation->member ? 1 : 0;
                pointers
                    += r.explanation->pointer && r.explanation->pointer->kind != QLatin1String("temporary") ? 1 : 0;
                addressOnly += !r.explanation->member && !r.explanation->pointer && !r.explanation->address.isEmpty();
            }
            benchmark::DoNotOptimize(decoded);
        }
    }
    state.counters["reports"] = reports;
    state.counters["us_per_report"] = benchmark::Counter(
        double(reports), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.counters["member"] = members;
    state.counters["pointer_var"] = pointers;
    state.counters["address_only"] = addressOnly;
}

void BM_WarmDecode_x86_64_NoExplain(benchmark::State &state)
{
    decode(state, QStringLiteral("x86_64"), false);
}
void BM_WarmDecode_x86_64_Explain(benchmark::State &state)
{
    decode(state, QStringLiteral("x86_64"), true);
}
void BM_WarmDecode_armhf_NoExplain(benchmark::State &state)
{
    decode(state, QStringLiteral("armhf"), false);
}
void BM_WarmDecode_armhf_Explain(benchmark::State &state)
{
    decode(state, QStringLiteral("armhf"), true);
}
BENCHMARK(BM_WarmDecode_x86_64_NoExplain)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WarmDecode_x86_64_Explain)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WarmDecode_armhf_NoExplain)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WarmDecode_armhf_Explain)->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
