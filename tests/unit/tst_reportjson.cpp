#include "report/reportformatter.h"
#include "report/reportjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace kms;

namespace {

KernelReport sampleReport()
{
    KernelReport r;
    r.kind = ReportKind::Oops;
    r.title = QStringLiteral("NULL pointer dereference in pru0_comm_receive_msg");
    r.guiltyFunction = QStringLiteral("pru0_comm_receive_msg");
    r.guiltyModule = QStringLiteral("shepherd");
    r.arch = Arch::Arm;
    r.panicked = true;
    r.firstLine = 1;
    r.lastLine = 97;
    r.faultAddress = 0x1c1;
    r.cpu = 0;
    r.pid = 1726;
    r.comm = QStringLiteral("modprobe");
    r.kernelRelease = QStringLiteral("4.19.94-ti-r73");
    r.modules = {QStringLiteral("shepherd"), QStringLiteral("pru_rproc")};
    r.registers = {{QStringLiteral("pc"), 0xbf19b018}, {QStringLiteral("r6"), 0x1c1}};
    CodeBytes code;
    code.bytes = QByteArray::fromHex("1a4f4be3c16100e3");
    code.trapIndex = 4;
    code.disassembly = {{0, QStringLiteral("movt r4, #0xbf1a"), false}, {4, QStringLiteral("movw r6, #0x1c1"), true}};
    r.code = code;
    Frame pc;
    pc.function = QStringLiteral("pru0_comm_receive_msg");
    pc.offset = 0x28;
    pc.size = 0x94;
    pc.module = QStringLiteral("shepherd");
    pc.address = 0xbf19b018;
    pc.exactPc = true;
    pc.context = FrameContext::Irq;
    pc.file = QStringLiteral("/src/commons.c");
    pc.line = 123;
    pc.column = 9;
    pc.inlinedFunction = QStringLiteral("pru0_mbox_peek");
    pc.inlinedBy = {{QStringLiteral("coordinator_callback"), QStringLiteral("/src/coord.c"), 88, 3, QString()}};
    Frame ret;
    ret.function = QStringLiteral("__hrtimer_run_queues");
    ret.offset = 0x1a4;
    ret.reliable = false;
    ret.error = QStringLiteral("no vmlinux given");
    r.frames = {pc, ret};
    return r;
}

} // namespace

class TestReportJson : public QObject
{
    Q_OBJECT
private slots:
    void contractFields()
    {
        const QJsonObject o = toJson(sampleReport());
        for (const char *key : {"kind", "title", "guilty_function", "guilty_module", "arch", "panicked", "corrupted",
                                "first_line", "last_line", "fault_address", "cpu", "pid", "comm", "taint",
                                "kernel_release", "modules", "registers", "code", "frames"}) {
            QVERIFY2(o.contains(QLatin1String(key)), key);
        }
        QCOMPARE(o.value("kind").toString(), QStringLiteral("oops"));
        QCOMPARE(o.value("fault_address").toString(), QStringLiteral("0x1c1"));
        QCOMPARE(o.value("registers").toObject().value("pc").toString(), QStringLiteral("0xbf19b018"));
        QVERIFY(o.value("taint").isNull());
        QCOMPARE(o.value("code").toObject().value("trap_index").toInt(), 4);
        QCOMPARE(o.value("code").toObject().value("bytes").toString(), QStringLiteral("1a 4f 4b e3 c1 61 00 e3"));

        const QJsonArray frames = o.value("frames").toArray();
        QCOMPARE(frames.size(), 2);
        const QJsonObject f0 = frames[0].toObject();
        for (const char *key : {"function", "offset", "size", "module", "build_id", "address", "reliable", "exact_pc",
                                "context", "file", "line", "column", "source_exists", "inlined_by", "error"}) {
            QVERIFY2(f0.contains(QLatin1String(key)), key);
        }
        QCOMPARE(f0.value("offset").toInt(), 0x28);
        QCOMPARE(f0.value("address").toString(), QStringLiteral("0xbf19b018"));
        QCOMPARE(f0.value("context").toString(), QStringLiteral("irq"));
        QVERIFY(f0.value("build_id").isNull());
        QCOMPARE(f0.value("inlined_by").toArray().first().toObject().value("line").toInt(), 88);
        QCOMPARE(f0.value("inlined_function").toString(), QStringLiteral("pru0_mbox_peek"));
        const QJsonObject f1 = frames[1].toObject();
        QVERIFY(f1.value("file").isNull());
        QVERIFY(f1.value("line").isNull());
        QVERIFY(f1.value("context").isNull());
        QCOMPARE(f1.value("reliable").toBool(), false);
        QCOMPARE(f1.value("error").toString(), QStringLiteral("no vmlinux given"));
    }

    void sixtyFourBitAddressesSurvive()
    {
        KernelReport r;
        r.faultAddress = 0xffffffffc0a05000ULL;
        const QByteArray text = QJsonDocument(toJson(r)).toJson();
        const KernelReport back = reportFromJson(QJsonDocument::fromJson(text).object());
        QCOMPARE(back.faultAddress.value(), 0xffffffffc0a05000ULL);
    }

    void roundTrip()
    {
        const KernelReport r = sampleReport();
        const KernelReport back = reportFromJson(toJson(r));
        QCOMPARE(back.title, r.title);
        QCOMPARE(back.pid, r.pid);
        QCOMPARE(back.frames.size(), 2);
        QCOMPARE(back.frames[0].inlinedBy.size(), 1);
        QCOMPARE(back.frames[0].inlinedFunction, QStringLiteral("pru0_mbox_peek"));
        QCOMPARE(back.frames[0].exactPc, true);
        QCOMPARE(back.frames[1].reliable, false);
        QCOMPARE(back.code->bytes, r.code->bytes);
        QCOMPARE(back.code->disassembly[1].trapping, true);
    }

    void humanText()
    {
        const QString text = formatReport(sampleReport());
        QVERIFY(
            text.startsWith(QStringLiteral("== oops: NULL pointer dereference in pru0_comm_receive_msg  [panicked]")));
        QVERIFY(text.contains(QStringLiteral("pru0_comm_receive_msg+0x28/0x94 [shepherd]  {irq,pc}")));
        QVERIFY(text.contains(QStringLiteral("at /src/commons.c:123:9 (not found here)  (in inlined pru0_mbox_peek)")));
        QVERIFY(text.contains(QStringLiteral("inlined into coordinator_callback at /src/coord.c:88:3")));
        QVERIFY(text.contains(QStringLiteral("? __hrtimer_run_queues+0x1a4  {unreliable}")));
        QVERIFY(text.contains(QStringLiteral("(no vmlinux given)")));
        QVERIFY(text.contains(QStringLiteral("=> 0x4:  movw r6, #0x1c1")));
    }

    // ARM "LR is at": a row of its own in register_frames, with the frames' schema and a
    // "register" field; interleaved and register_info are always present.
    void registerFramesContract()
    {
        KernelReport r = sampleReport();
        Frame lr;
        lr.function = QStringLiteral("coordinator_callback");
        lr.offset = 0x58;
        lr.size = 0x12c;
        lr.module = QStringLiteral("shepherd");
        lr.registerName = QStringLiteral("lr");
        lr.inputLine = 7;
        r.registerFrames.append(lr);
        r.registerInfo.append(QStringLiteral("Register r0 information: NULL pointer"));
        r.interleaved = true;
        const QJsonObject o = toJson(r);
        QCOMPARE(o.value(QStringLiteral("interleaved")).toBool(), true);
        const QJsonArray rf = o.value(QStringLiteral("register_frames")).toArray();
        QCOMPARE(rf.size(), 1);
        const QJsonObject f = rf[0].toObject();
        QCOMPARE(f.value(QStringLiteral("register")).toString(), QStringLiteral("lr"));
        QCOMPARE(f.value(QStringLiteral("function")).toString(), QStringLiteral("coordinator_callback"));
        QCOMPARE(f.value(QStringLiteral("offset")).toInt(), 0x58);
        QCOMPARE(f.value(QStringLiteral("exact_pc")).toBool(), false);
        // Every key of a call-trace frame is there too.
        const QJsonObject traceFrame = o.value(QStringLiteral("frames")).toArray()[0].toObject();
        for (const QString &key : traceFrame.keys())
            QVERIFY2(f.contains(key), qPrintable(key));
        QVERIFY(!traceFrame.contains(QStringLiteral("register")));
        QCOMPARE(o.value(QStringLiteral("register_info")).toArray()[0].toString(),
                 QStringLiteral("Register r0 information: NULL pointer"));

        const KernelReport back = reportFromJson(o);
        QCOMPARE(back.registerFrames.size(), 1);
        QCOMPARE(back.registerFrames[0].registerName, QStringLiteral("lr"));
        QCOMPARE(back.registerFrames[0].function, QStringLiteral("coordinator_callback"));
        QVERIFY(back.interleaved);
        QCOMPARE(back.registerInfo, r.registerInfo);

        const QString text = formatReport(r);
        QVERIFY(text.contains(QStringLiteral("lr      coordinator_callback+0x58/0x12c [shepherd]  {register}")));
        QVERIFY(text.contains(QStringLiteral("[interleaved]")));

        // No register frames: empty lists, not missing keys.
        const QJsonObject plain = toJson(sampleReport());
        QVERIFY(plain.value(QStringLiteral("register_frames")).isArray());
        QVERIFY(plain.value(QStringLiteral("register_frames")).toArray().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestReportJson)
#include "tst_reportjson.moc"
