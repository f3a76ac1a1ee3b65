// Real oopses of the prudaq module captured on the virtual node's serial console: the report
// engine must read them as a kernel developer reads them. Expected values are read off the logs.
#include "report/reportdetector.h"

#include <QFile>
#include <QTest>

using namespace kms;

namespace {

QList<KernelReport> detectFile(const QString &name)
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/captures/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(f.fileName()));
    return detectReports(f.readAll());
}

int countInModule(const KernelReport &r, const QString &module)
{
    int n = 0;
    for (const Frame &f : r.frames)
        n += f.module == module ? 1 : 0;
    return n;
}

} // namespace

class TestCaptures : public QObject
{
    Q_OBJECT
private slots:
    void x86UnloadRace()
    {
        const auto reports = detectFile(QStringLiteral("x86_64-prudaq-unload_race.log"));
        QCOMPARE(reports.size(), 1);
        const KernelReport &r = reports.first();
        QCOMPARE(toString(r.kind), QStringLiteral("oops"));
        QCOMPARE(r.title, QStringLiteral("NULL pointer dereference in prudaq_comm_receive_msg"));
        QCOMPARE(toString(r.arch), QStringLiteral("x86_64"));
        QCOMPARE(r.faultAddress.value(), 0x174u);
        // The registers repeated after the end marker do not keep the panic out.
        QVERIFY(r.panicked);
        QVERIFY(!r.corrupted);
        QCOMPARE(r.firstLine, 3);
        QCOMPARE(r.lastLine, 88);
        QCOMPARE(r.pid.value(), 1141);
        QCOMPARE(r.comm, QStringLiteral("modprobe"));
        QCOMPARE(r.kernelRelease, QStringLiteral("6.1.0-56-amd64"));
        QCOMPARE(r.frames.size(), 30);
        QCOMPARE(r.frames[0].function, QStringLiteral("prudaq_comm_receive_msg"));
        QCOMPARE(r.frames[0].offset.value(), 0xdu);
        QVERIFY(r.frames[0].exactPc);
        QCOMPARE(toString(r.frames[0].context), QStringLiteral("irq"));
        QCOMPARE(r.frames[1].function, QStringLiteral("prudaq_coord_cb"));
        QCOMPARE(r.frames[1].offset.value(), 0x8du);
        QVERIFY(!r.frames[1].exactPc);
        QVERIFY(!r.frames[2].reliable); // ? try_to_wake_up
        QCOMPARE(r.frames[7].function, QStringLiteral("sysvec_apic_timer_interrupt"));
        QCOMPARE(toString(r.frames[7].context), QStringLiteral("irq"));
        QCOMPARE(r.frames[8].function, QStringLiteral("asm_sysvec_apic_timer_interrupt"));
        QCOMPARE(toString(r.frames[8].context), QStringLiteral("task"));
        // The in-trace RIP: the PC the timer interrupted in the exit path.
        QCOMPARE(r.frames[9].function, QStringLiteral("delay_tsc"));
        QVERIFY(r.frames[9].exactPc);
        QCOMPARE(r.frames[11].function, QStringLiteral("prudaq_fault_early_unmap.constprop.0"));
        QCOMPARE(r.frames[13].function, QStringLiteral("prudaq_exit"));
        QCOMPARE(r.frames[29].function, QStringLiteral("entry_SYSCALL_64_after_hwframe"));
        QCOMPARE(countInModule(r, QStringLiteral("prudaq")), 6);
        QVERIFY(r.code.has_value());
        QCOMPARE(r.code->bytes.at(r.code->trapIndex), char(0x8b));
    }

    void x86UnloadUaf()
    {
        const auto reports = detectFile(QStringLiteral("x86_64-prudaq-unload_uaf.log"));
        QCOMPARE(reports.size(), 1);
        const KernelReport &r = reports.first();
        QCOMPARE(toString(r.kind), QStringLiteral("gpf"));
        QCOMPARE(r.guiltyFunction, QStringLiteral("prudaq_comm_receive_msg"));
        QCOMPARE(r.guiltyModule, QStringLiteral("prudaq"));
        QCOMPARE(r.faultAddress.value(), 0x6b6b6b6b6b6b6cdfULL);
        QVERIFY(r.panicked);
    }

    void x86NullExit()
    {
        const auto reports = detectFile(QStringLiteral("x86_64-prudaq-null_exit.log"));
        QCOMPARE(reports.size(), 1);
        const KernelReport &r = reports.first();
        QCOMPARE(r.title, QStringLiteral("NULL pointer dereference in prudaq_exit"));
        QCOMPARE(r.faultAddress.value(), 0x4u);
        QVERIFY(!r.panicked);
        QCOMPARE(r.frames[0].function, QStringLiteral("prudaq_exit"));
        QVERIFY(r.frames[0].exactPc);
    }

    void armUnloadRace()
    {
        const auto reports = detectFile(QStringLiteral("armhf-prudaq-unload_race.log"));
        QCOMPARE(reports.size(), 1);
        const KernelReport &r = reports.first();
        QCOMPARE(toString(r.kind), QStringLiteral("oops"));
        QCOMPARE(r.title, QStringLiteral("page domain fault in prudaq_comm_receive_msg"));
        QCOMPARE(toString(r.arch), QStringLiteral("arm"));
        QCOMPARE(r.faultAddress.value(), 0x174u);
        QVERIFY(r.panicked);
        QCOMPARE(r.cpu.value(), 0);
        QCOMPARE(r.pid.value(), 128);
        QCOMPARE(r.kernelRelease, QStringLiteral("6.1.0-50-armmp"));
        QCOMPARE(r.modules.first(), QStringLiteral("prudaq"));
        // Every "f [mod] from g+off/size" line, 20 of them, gives the next frame after the PC.
        QCOMPARE(r.frames.size(), 21);
        QCOMPARE(r.frames[0].function, QStringLiteral("prudaq_comm_receive_msg"));
        QCOMPARE(r.frames[0].offset.value(), 0x18u);
        QVERIFY(r.frames[0].exactPc);
        QCOMPARE(toString(r.frames[0].context), QStringLiteral("irq"));
        QCOMPARE(r.frames[1].function, QStringLiteral("prudaq_coord_cb"));
        QCOMPARE(r.frames[1].offset.value(), 0x88u);
        QCOMPARE(r.frames[1].size.value(), 0x4c8u);
        QVERIFY(!r.frames[1].exactPc);
        QCOMPARE(r.frames[10].function, QStringLiteral("__irq_svc"));
        QCOMPARE(toString(r.frames[10].context), QStringLiteral("irq"));
        // The PC __irq_svc interrupted is exact.
        QCOMPARE(r.frames[11].function, QStringLiteral("console_emit_next_record.constprop.0"));
        QVERIFY(r.frames[11].exactPc);
        QCOMPARE(toString(r.frames[11].context), QStringLiteral("task"));
        QCOMPARE(r.frames[18].function, QStringLiteral("prudaq_exit"));
        QCOMPARE(r.frames[20].function, QStringLiteral("ret_fast_syscall"));
        QCOMPARE(r.frames[20].offset.value(), 0u);
        QCOMPARE(countInModule(r, QStringLiteral("prudaq")), 5);
        QVERIFY(r.code.has_value());
        QCOMPARE(r.code->trapIndex, 16);
        QCOMPARE(r.code->bytes.mid(16, 4), QByteArray::fromHex("742193e5")); // e5932174, little endian
    }
};

QTEST_GUILESS_MAIN(TestCaptures)
#include "tst_captures.moc"
