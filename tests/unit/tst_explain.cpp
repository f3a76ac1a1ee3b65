// Fault explanation without DWARF and on bad input: the seed ARM oops (no .ko), the kinds of
// addresses from the kernel's own poison and layout constants (include/linux/poison.h,
// mm/slab.h, Documentation/x86/x86_64/mm.rst), the access chains of C lines, and reports whose
// registers or Code: are missing or garbled, or whose .ko is of another architecture.
#include "explain/addresskind.h"
#include "explain/memberchain.h"
#include "report/reportdetector.h"
#include "report/reportformatter.h"
#include "report/reportjson.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace kms;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(path));
    return f.readAll();
}

QByteArray seed()
{
    return readFile(QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log"));
}

KernelReport decodeOne(const QByteArray &log, const QString &ko = {})
{
    ModuleCatalog catalog;
    QString error;
    if (!ko.isEmpty() && !catalog.addPath(ko, &error))
        qFatal("%s", qPrintable(error));
    Symbolizer symbolizer(catalog);
    QList<KernelReport> reports = detectReports(log);
    if (reports.isEmpty())
        qFatal("no report");
    symbolizer.resolve(reports.first());
    return reports.first();
}

QByteArray withoutLines(QByteArray log, const QByteArray &needle)
{
    QList<QByteArray> kept;
    for (const QByteArray &line : log.split('\n')) {
        if (!line.contains(needle))
            kept << line;
    }
    return kept.join('\n');
}

QStringList kinds(const QList<AddressReading> &readings)
{
    QStringList out;
    for (const AddressReading &r : readings)
        out << r.kind;
    return out;
}

} // namespace

class TestExplain : public QObject
{
    Q_OBJECT
private slots:
    // The seed: "ldrb r3, [r3, r6]" with r3 = 0 and r6 = 0x1c1, no module given.
    void seedWithoutModule()
    {
        const KernelReport r = decodeOne(seed());
        QVERIFY(r.explanation);
        const FaultExplanation &e = *r.explanation;
        QVERIFY2(e.error.isEmpty(), qPrintable(e.error));
        QVERIFY(e.access);
        QCOMPARE(e.access->instruction, QStringLiteral("ldrb r3, [r3, r6]"));
        QCOMPARE(e.access->base, QStringLiteral("r3"));
        QCOMPARE(e.access->index, QStringLiteral("r6"));
        QCOMPARE(e.access->size, 1);
        QVERIFY(!e.access->write);
        QCOMPARE(e.access->expression, QStringLiteral("r3 (0x0) + r6 (0x1c1)"));
        QCOMPARE(e.access->address, std::optional<std::uint64_t>(0x1c1));
        QCOMPARE(e.access->matchesFault, std::optional<bool>(true));
        QCOMPARE(kinds(e.address), QStringList{QStringLiteral("null")});
        QCOMPARE(e.address.first().offset, 0x1c1);
        QCOMPARE(e.address.first().text, QStringLiteral("NULL + 0x1c1"));
        // The member needs DWARF, and says so.
        QVERIFY(!e.pointer);
        QVERIFY(!e.member);
        QVERIFY(e.notes.join(QLatin1Char(' ')).contains(QLatin1String("need the DWARF of shepherd.ko")));
        QVERIFY(e.summary.contains(QLatin1String("r3 (0x0) + r6 (0x1c1) = 0x1c1")));

        // In the outputs: the JSON contract, and the paragraph under the human header.
        const QJsonObject json = toJson(r).value(QStringLiteral("explanation")).toObject();
        QCOMPARE(json.value(QStringLiteral("access")).toObject().value(QStringLiteral("address")).toString(),
                 QStringLiteral("0x1c1"));
        QCOMPARE(
            json.value(QStringLiteral("address")).toArray().first().toObject().value(QStringLiteral("kind")).toString(),
            QStringLiteral("null"));
        QVERIFY(json.value(QStringLiteral("member")).isNull());
        const KernelReport back = reportFromJson(toJson(r));
        QVERIFY(back.explanation);
        QCOMPARE(back.explanation->summary, e.summary);
        QCOMPARE(back.explanation->access->displacement, e.access->displacement);
        const QStringList text = formatReport(r).split(QLatin1Char('\n'));
        QVERIFY(text.value(1).startsWith(QLatin1String("  explained: `ldrb r3, [r3, r6]` reads 1 byte")));
    }

    void addressKinds_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<quint64>("address");
        QTest::addColumn<qint64>("pointer"); // -1: none
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<qint64>("offset"); // of the first reading
        const auto x86 = QStringLiteral("x86_64");
        const auto arm = QStringLiteral("arm");
        const auto arm64 = QStringLiteral("arm64");
        const QStringList null{QStringLiteral("null")};
        QTest::newRow("NULL+off") << x86 << quint64(0x174) << qint64(0) << null << qint64(0x174);
        QTest::newRow("NULL+off, no registers") << x86 << quint64(0x174) << qint64(-1) << null << qint64(0x174);
        QTest::newRow("POISON_FREE") << x86 << quint64(0x6b6b6b6b6b6b6cdf) << qint64(0x6b6b6b6b6b6b6b6b)
                                     << QStringList{QStringLiteral("slab_free")} << qint64(0x174);
        QTest::newRow("POISON_FREE, address only") << x86 << quint64(0x6b6b6b6b6b6b6cdf) << qint64(-1)
                                                   << QStringList{QStringLiteral("slab_free")} << qint64(0x174);
        QTest::newRow("POISON_FREE + POISON_END") << x86 << quint64(0xa56b6b6b6b6b6b6b) << qint64(0xa56b6b6b6b6b6b6b)
                                                  << QStringList{QStringLiteral("slab_free")} << qint64(0);
        QTest::newRow("POISON_INUSE") << arm << quint64(0x5a5a5a62) << qint64(0x5a5a5a5a)
                                      << QStringList{QStringLiteral("slab_uninit")} << qint64(8);
        QTest::newRow("SLUB_RED_ACTIVE") << x86 << quint64(0xcccccccccccccccc) << qint64(0xcccccccccccccccc)
                                         << QStringList{QStringLiteral("redzone_active")} << qint64(0);
        QTest::newRow("SLUB_RED_INACTIVE") << arm << quint64(0xbbbbbbbb) << qint64(0xbbbbbbbb)
                                           << QStringList{QStringLiteral("redzone_inactive")} << qint64(0);
        QTest::newRow("LIST_POISON2 x86") << x86 << quint64(0xdead000000000122) << qint64(0xdead000000000122)
                                          << QStringList{QStringLiteral("list_poison2")} << qint64(0);
        QTest::newRow("LIST_POISON1 arm64") << arm64 << quint64(0xdead000000000108) << qint64(0xdead000000000100)
                                            << QStringList{QStringLiteral("list_poison1")} << qint64(8);
        QTest::newRow("LIST_POISON1 arm: two readings")
            << arm << quint64(0x104) << qint64(0x100)
            << QStringList{QStringLiteral("list_poison1"), QStringLiteral("null")} << qint64(4);
        QTest::newRow("LIST_POISON2 arm, address only")
            << arm << quint64(0x126) << qint64(-1)
            << QStringList{QStringLiteral("null"), QStringLiteral("list_poison2")} << qint64(0x126);
        QTest::newRow("non-canonical") << x86 << quint64(0x1234567812345678) << qint64(0x1234567812345678)
                                       << QStringList{QStringLiteral("non_canonical")} << qint64(0);
        QTest::newRow("KASAN shadow") << x86 << quint64(0xffffec0000001000) << qint64(-1)
                                      << QStringList{QStringLiteral("kasan_shadow")} << qint64(0);
        QTest::newRow("user x86") << x86 << quint64(0x7ffd12345678) << qint64(0x7ffd12345670)
                                  << QStringList{QStringLiteral("user")} << qint64(0);
        QTest::newRow("user arm") << arm << quint64(0x00400010) << qint64(-1) << QStringList{QStringLiteral("user")}
                                  << qint64(0);
        QTest::newRow("kernel") << x86 << quint64(0xffff888003a00000) << qint64(0xffff888003a00000)
                                << QStringList{QStringLiteral("kernel")} << qint64(0);
        QTest::newRow("module section") << x86 << quint64(0xffffffffc0a00123) << qint64(-1)
                                        << QStringList{QStringLiteral("module_section")} << qint64(0x123);
    }

    void addressKinds()
    {
        QFETCH(QString, arch);
        QFETCH(quint64, address);
        QFETCH(qint64, pointer);
        QFETCH(QStringList, expected);
        QFETCH(qint64, offset);
        const SectionLookup sections = [](std::uint64_t a) -> std::optional<SectionHit> {
            if (a >= 0xffffffffc0a00000 && a < 0xffffffffc0a01000)
                return SectionHit{QStringLiteral("prudaq"), QStringLiteral(".text"), a - 0xffffffffc0a00000};
            return std::nullopt;
        };
        const QList<AddressReading> r
            = classifyAddress(address, pointer < 0 ? std::nullopt : std::optional(std::uint64_t(pointer)),
                              *archFromString(arch), sections);
        QCOMPARE(kinds(r), expected);
        QCOMPARE(r.first().offset, offset);
        QVERIFY(!r.first().text.isEmpty());
    }

    void accessChains()
    {
        const QList<AccessChain> chains
            = parseAccessChains(QStringLiteral("head = READ_ONCE(comm->shm->msg_from_pru0.head); /* a->b */"));
        QCOMPARE(chains.size(), 1);
        QCOMPARE(chains[0].text(), QStringLiteral("comm->shm->msg_from_pru0.head"));
        QCOMPARE(chains[0].prefix(1), QStringLiteral("comm->shm"));

        const QList<AccessChain> more = parseAccessChains(
            QStringLiteral("x = dev->samples[7] + p->data[i + 1].len + \"s->t\" + q [ 0x10 ] . v + 1.5f + s.a;"));
        QStringList texts;
        for (const AccessChain &c : more)
            texts << c.text();
        QCOMPARE(texts,
                 (QStringList{QStringLiteral("dev->samples[7]"), QStringLiteral("p->data[i + 1].len"),
                              QStringLiteral("q[0x10].v"), QStringLiteral("s.a")}));
        QCOMPARE(more[0].steps[1].index, std::optional<long long>(7));
        QVERIFY(!more[1].steps[1].index);
        QCOMPARE(more[2].steps[0].index, std::optional<long long>(16));
    }

    // Bad input: a clear "cannot explain" and the rest of the report as without explanation.
    void badInput_data()
    {
        QTest::addColumn<QByteArray>("log");
        QTest::addColumn<QString>("error");
        QTest::newRow("registers missing") << withoutLines(seed(), "r3 : ")
                                           << QStringLiteral("cannot explain the access: the report does not print r3");
        QTest::newRow("Code: missing") << withoutLines(seed(), "Code: ")
                                       << QStringLiteral("cannot explain the access: the report has no Code: line");
        QByteArray garbled = seed();
        garbled.replace("e5943000 (e7d33006)", "e5943000 (ffffffff)");
        QTest::newRow("Code: garbled") << garbled
                                       << QStringLiteral("cannot explain the access: the trapping Code: bytes do not "
                                                         "decode as arm");
        QByteArray unmarked = seed();
        unmarked.replace("(e7d33006)", "e7d33006");
        QTest::newRow("Code: without trap") << unmarked
                                            << QStringLiteral("cannot explain the access: the Code: line does not mark "
                                                              "the trapping instruction");
    }

    void badInput()
    {
        QFETCH(QByteArray, log);
        QFETCH(QString, error);
        const KernelReport r = decodeOne(log);
        QVERIFY(r.explanation);
        QCOMPARE(r.explanation->error, error);
        QVERIFY(r.explanation->summary.contains(error));
        // The printed fault address still reads as NULL + 0x1c1 (and, on 32-bit ARM, as
        // LIST_POISON2 + 0x9f).
        QCOMPARE(kinds(r.explanation->address), (QStringList{QStringLiteral("null"), QStringLiteral("list_poison2")}));
        QCOMPARE(r.explanation->address.first().offset, 0x1c1);
        unharmed(log, r);
    }

    // A report from armhf with the x86_64 build of its module.
    void otherArchitecture()
    {
        const QByteArray log = readFile(QStringLiteral(KMS_TEST_DATA_DIR "/captures/explain/armhf-kmsexplain.log"));
        const KernelReport r
            = decodeOne(log, QStringLiteral(KMS_TEST_DATA_DIR "/captures/explain/ko/x86_64/kmsexplain.ko.xz"));
        QVERIFY(r.explanation);
        QCOMPARE(r.explanation->error,
                 QStringLiteral("cannot explain: the report is from arm but kmsexplain.ko is built for x86_64"));
        QVERIFY(!r.explanation->pointer);
        QVERIFY(!r.explanation->member);
        QVERIFY(r.explanation->access); // from the report's own Code: and registers
        unharmed(log, r);
    }

    // Reports without a fault address (a WARNING) get no explanation.
    void onlyForFaults()
    {
        const QByteArray log = readFile(QStringLiteral(KMS_SAMPLES_DIR "/arm32-reload-cma-alloc-failure.log"));
        for (KernelReport r : detectReports(log)) {
            ModuleCatalog catalog;
            Symbolizer symbolizer(catalog);
            symbolizer.resolve(r);
            QCOMPARE(r.explanation.has_value(), r.faultAddress.has_value() || r.kind == ReportKind::Gpf);
        }
    }

private:
    // Everything but the explanation is what the report engine gives without it.
    void unharmed(const QByteArray &log, const KernelReport &explained)
    {
        ModuleCatalog catalog;
        Symbolizer symbolizer(catalog);
        symbolizer.setExplainFaults(false);
        KernelReport plain = detectReports(log).first();
        symbolizer.resolve(plain);
        QVERIFY(!plain.explanation);
        QJsonObject a = toJson(explained);
        QJsonObject b = toJson(plain);
        a.remove(QStringLiteral("explanation"));
        b.remove(QStringLiteral("explanation"));
        // Frames of a module given only to the explained decode resolve there; compare the rest.
        a.remove(QStringLiteral("frames"));
        b.remove(QStringLiteral("frames"));
        // So do the register frames (ARM "LR is at"), which are looked up like frames.
        a.remove(QStringLiteral("register_frames"));
        b.remove(QStringLiteral("register_frames"));
        QCOMPARE(QJsonDocument(a).toJson(), QJsonDocument(b).toJson());
        QCOMPARE(explained.frames.size(), plain.frames.size());
    }
};

QTEST_GUILESS_MAIN(TestExplain)
#include "tst_explain.moc"
