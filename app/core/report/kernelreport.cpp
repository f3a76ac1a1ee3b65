#include "report/kernelreport.h"

#include <array>

namespace kms {

namespace {

constexpr std::array kindNames{
    std::pair{ReportKind::Oops, "oops"},
    std::pair{ReportKind::Bug, "bug"},
    std::pair{ReportKind::Panic, "panic"},
    std::pair{ReportKind::Warning, "warning"},
    std::pair{ReportKind::Kasan, "kasan"},
    std::pair{ReportKind::Gpf, "gpf"},
    std::pair{ReportKind::HungTask, "hung_task"},
    std::pair{ReportKind::RcuStall, "rcu_stall"},
    std::pair{ReportKind::SoftLockup, "soft_lockup"},
    std::pair{ReportKind::Ubsan, "ubsan"},
    std::pair{ReportKind::Lockdep, "lockdep"},
    std::pair{ReportKind::Mce, "mce"},
    std::pair{ReportKind::Kmemleak, "kmemleak"},
    std::pair{ReportKind::Lockup, "lockup"},
    std::pair{ReportKind::ListCorruption, "list_corruption"},
    std::pair{ReportKind::Refcount, "refcount"},
    std::pair{ReportKind::Kcsan, "kcsan"},
    std::pair{ReportKind::Odebug, "odebug"},
    std::pair{ReportKind::StackCorruption, "stack_corruption"},
    std::pair{ReportKind::Other, "other"},
};

constexpr std::array archNames{
    std::pair{Arch::X86_64, "x86_64"},   std::pair{Arch::I386, "i386"},       std::pair{Arch::Arm, "arm"},
    std::pair{Arch::Arm64, "arm64"},     std::pair{Arch::Ppc64, "ppc64"},     std::pair{Arch::S390x, "s390x"},
    std::pair{Arch::Riscv64, "riscv64"}, std::pair{Arch::Unknown, "unknown"},
};

template<typename Table, typename Enum> QString nameOf(const Table &table, Enum value)
{
    for (const auto &[v, name] : table) {
        if (v == value)
            return QString::fromLatin1(name);
    }
    return {};
}

template<typename Table>
auto valueOf(const Table &table, const QString &name) -> std::optional<decltype(table[0].first)>
{
    for (const auto &[v, n] : table) {
        if (name == QLatin1String(n))
            return v;
    }
    return std::nullopt;
}

} // namespace

QString toString(ReportKind kind)
{
    return nameOf(kindNames, kind);
}

QString toString(Arch arch)
{
    return nameOf(archNames, arch);
}

QString toString(FrameContext context)
{
    switch (context) {
    case FrameContext::Task:
        return QStringLiteral("task");
    case FrameContext::Irq:
        return QStringLiteral("irq");
    case FrameContext::SoftIrq:
        return QStringLiteral("softirq");
    case FrameContext::Nmi:
        return QStringLiteral("nmi");
    case FrameContext::None:
        break;
    }
    return {};
}

std::optional<ReportKind> reportKindFromString(const QString &name)
{
    return valueOf(kindNames, name);
}

std::optional<Arch> archFromString(const QString &name)
{
    return valueOf(archNames, name);
}

} // namespace kms
