#include "symbols/modulecatalog.h"

#include "tst_symbols_helpers.h"

#include <QTemporaryDir>

using namespace kms;
using namespace symtest;

namespace {

QString readBuildId(const QString &ko)
{
    const RunResult notes = run(QStringLiteral("readelf"), {QStringLiteral("-n"), ko});
    return QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromUtf8(notes.out)).captured(1);
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

} // namespace

class TestModuleCatalog : public QObject
{
    Q_OBJECT

private slots:
    void indexesEachArch_data()
    {
        QTest::addColumn<int>("arch");
        for (int i = 0; i < fixtureArches().size(); ++i)
            QTest::newRow(fixtureArches().at(i).name) << i;
    }

    void indexesEachArch()
    {
        QFETCH(int, arch);
        const QString ko = QString::fromUtf8(fixtureArches().at(arch).ko);
        SYMTEST_REQUIRE_FIXTURE(ko);
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(ko, &error), qPrintable(error));
        QCOMPARE(catalog.entries().size(), 1);
        const ModuleCatalog::Entry e = catalog.entries().first();
        QCOMPARE(e.name, QStringLiteral("kmsfixture"));
        QCOMPARE(e.path, ko);
        QVERIFY(e.hasDebugInfo);
        QVERIFY(!e.compressed);
        const QString id = readBuildId(ko);
        QCOMPARE(id.size(), 40);
        QCOMPARE(QString::fromLatin1(e.buildId), id);
        QVERIFY(catalog.find(QStringLiteral("kmsfixture")));
        QVERIFY(!catalog.find(QStringLiteral("kmsfixtur")));
        QCOMPARE(catalog.findByBuildId(id.toLatin1())->path, ko);
        QCOMPARE(catalog.findByBuildId(id.toUpper().toLatin1())->path, ko);
        QCOMPARE(catalog.findByBuildId(QByteArray::fromHex(id.toLatin1()))->path, ko);
        QVERIFY(!catalog.findByBuildId(QByteArrayLiteral("00112233")));
        QVERIFY(!catalog.findByBuildId({}));
    }

    void compressedAndStrippedVariants()
    {
        const QString ko = QString::fromUtf8(fixtureArches().first().ko);
        SYMTEST_REQUIRE_FIXTURE(ko);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString base = dir.filePath(QStringLiteral("mods/"));
        QVERIFY(QDir().mkpath(base + QStringLiteral("a/b")));
        QVERIFY(QFile::copy(ko, base + QStringLiteral("a/kmsfixture.ko")));
        QVERIFY(QFile::copy(ko, base + QStringLiteral("a/b/kmsfixture.ko")));
        SYMTEST_RUN(rx, QStringLiteral("xz"), QStringList({base + QStringLiteral("a/kmsfixture.ko")}));
        SYMTEST_RUN(
            rz, QStringLiteral("zstd"),
            QStringList({QStringLiteral("-q"), QStringLiteral("--rm"), base + QStringLiteral("a/b/kmsfixture.ko")}));
        SYMTEST_RUN(rs, QStringLiteral("strip"),
                    QStringList({QStringLiteral("--strip-debug"), QStringLiteral("-o"),
                                 base + QStringLiteral("stripped.ko"), ko}));
        // Not modules: skipped in a directory.
        QVERIFY(writeFile(base + QStringLiteral("notes.ko"), "not an ELF file\n"));
        QVERIFY(writeFile(base + QStringLiteral("bad.ko.xz"),
                          "\xFD"
                          "7zXZ garbage"));
        QVERIFY(writeFile(base + QStringLiteral("README"), "hello"));
        QVERIFY(writeFile(base + QStringLiteral("empty.ko.zst"), QByteArray()));

        QString error;
        {
            // Compressed files in a directory are read on demand: by name, by build id.
            ModuleCatalog lazy;
            QVERIFY2(lazy.addPath(base + QStringLiteral("a"), &error), qPrintable(error));
            const ModuleCatalog::Entry *e = lazy.find(QStringLiteral("kmsfixture"));
            QVERIFY(e);
            QVERIFY(e->compressed);
            QVERIFY(e->hasDebugInfo);
            QCOMPARE(QString::fromLatin1(e->buildId), readBuildId(ko));
            QVERIFY(!lazy.find(QStringLiteral("bad"))); // bad.ko.xz is not a module
            ModuleCatalog byId;
            QVERIFY(byId.addPath(base + QStringLiteral("a"), &error));
            QVERIFY(byId.findByBuildId(readBuildId(ko).toLatin1()));
            QCOMPARE(byId.findAll(QStringLiteral("kmsfixture")).size(), 2);
        }
        ModuleCatalog catalog;
        QVERIFY2(catalog.addPath(base, &error), qPrintable(error));
        const QList<ModuleCatalog::Entry> entries = catalog.entries();
        QCOMPARE(entries.size(), 3);
        const QString id = readBuildId(ko);
        int compressed = 0;
        for (const ModuleCatalog::Entry &e : entries) {
            QCOMPARE(e.name, QStringLiteral("kmsfixture"));
            QCOMPARE(QString::fromLatin1(e.buildId), id);
            compressed += e.compressed;
            QCOMPARE(e.hasDebugInfo, !e.path.endsWith(QLatin1String("stripped.ko")));
            QVERIFY(e.compressed == (e.path.endsWith(QLatin1String(".xz")) || e.path.endsWith(QLatin1String(".zst"))));
        }
        QCOMPARE(compressed, 2);
        QCOMPARE(catalog.findAll(QStringLiteral("kmsfixture")).size(), 3);
        // Adding the same directory again adds nothing.
        QVERIFY(catalog.addPath(base, &error));
        QCOMPARE(catalog.entries().size(), 3);

        // Named files that are not ELF are errors, with the reason.
        ModuleCatalog strict;
        error.clear();
        QVERIFY(!strict.addPath(base + QStringLiteral("notes.ko"), &error));
        QVERIFY2(error.contains(QLatin1String("not an ELF")), qPrintable(error));
        QVERIFY(error.contains(QLatin1String("notes.ko")));
        error.clear();
        QVERIFY(!strict.addPath(base + QStringLiteral("bad.ko.xz"), &error));
        QVERIFY2(error.contains(QLatin1String("xz")), qPrintable(error));
        error.clear();
        QVERIFY(!strict.addPath(base + QStringLiteral("README"), &error));
        QVERIFY(!error.isEmpty());
        error.clear();
        QVERIFY(!strict.addPath(base + QStringLiteral("missing.ko"), &error));
        QVERIFY2(error.contains(QLatin1String("no such file")), qPrintable(error));
        QVERIFY(strict.entries().isEmpty());
        QVERIFY(!strict.addPath(base + QStringLiteral("notes.ko"), nullptr)); // null error is fine
    }

    void dashAndUnderscoreAreEquivalent()
    {
        const QString ko = QString::fromUtf8(fixtureArches().first().ko);
        SYMTEST_REQUIRE_FIXTURE(ko);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        // Without a .modinfo the name comes from the file name; '-' becomes '_'.
        const QString renamed = dir.filePath(QStringLiteral("my-fixture_mod.ko"));
        SYMTEST_RUN(
            r, QStringLiteral("objcopy"),
            QStringList({QStringLiteral("--rename-section"), QStringLiteral(".modinfo=.kmsinfo"), ko, renamed}));
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(renamed, &error), qPrintable(error));
        QCOMPARE(catalog.entries().first().name, QStringLiteral("my_fixture_mod"));
        for (const char *name : {"my_fixture_mod", "my-fixture-mod", "my-fixture_mod", "my_fixture-mod"})
            QVERIFY2(catalog.find(QLatin1String(name)), name);
        QVERIFY(!catalog.find(QStringLiteral("my.fixture.mod")));
        QCOMPARE(ModuleCatalog::normalizedName(QStringLiteral("snd-hda-intel")), QStringLiteral("snd_hda_intel"));
    }

    void vmlinuxMustBeElf()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString text = dir.filePath(QStringLiteral("vmlinux"));
        QVERIFY(writeFile(text, "#!/bin/sh\n"));
        ModuleCatalog catalog;
        QString error;
        QVERIFY(!catalog.setVmlinux(text, &error));
        QVERIFY2(error.contains(QLatin1String("not an ELF")), qPrintable(error));
        QVERIFY(!catalog.vmlinux());
    }
};

QTEST_GUILESS_MAIN(TestModuleCatalog)
#include "tst_modulecatalog.moc"
