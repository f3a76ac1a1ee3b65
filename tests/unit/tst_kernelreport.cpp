#include "report/kernelreport.h"

#include <QTest>

using namespace kms;

class TestKernelReport : public QObject
{
    Q_OBJECT
private slots:
    void kindNamesRoundTrip()
    {
        const QStringList contract{"oops",      "bug",         "panic", "warning", "kasan", "gpf",  "hung_task",
                                   "rcu_stall", "soft_lockup", "ubsan", "lockdep", "mce",   "other"};
        for (const QString &name : contract) {
            const auto kind = reportKindFromString(name);
            QVERIFY2(kind.has_value(), qPrintable(name));
            QCOMPARE(toString(*kind), name);
        }
        QVERIFY(!reportKindFromString("nonsense").has_value());
    }
    void archNamesRoundTrip()
    {
        const QStringList contract{"x86_64", "i386", "arm", "arm64", "ppc64", "s390x", "riscv64", "unknown"};
        for (const QString &name : contract) {
            const auto arch = archFromString(name);
            QVERIFY2(arch.has_value(), qPrintable(name));
            QCOMPARE(toString(*arch), name);
        }
    }
    void contextNames()
    {
        QCOMPARE(toString(FrameContext::Irq), QStringLiteral("irq"));
        QCOMPARE(toString(FrameContext::SoftIrq), QStringLiteral("softirq"));
        QVERIFY(toString(FrameContext::None).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestKernelReport)
#include "tst_kernelreport.moc"
