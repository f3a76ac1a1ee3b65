#include "sectionspec.h"

#include <QTest>

using namespace kms::cli;

class TestSectionSpec : public QObject
{
    Q_OBJECT
private slots:
    void documentedForm()
    {
        QString error;
        const auto spec
            = parseSectionSpec(QStringLiteral("prudaq:.text=0xffffffffc0a00000,.exit.text=0xffffffffc0a05000"), &error);
        QVERIFY2(spec, qPrintable(error));
        QCOMPARE(spec->module, QStringLiteral("prudaq"));
        QCOMPARE(spec->sections.size(), 2);
        QCOMPARE(spec->sections[0].first, QStringLiteral(".text"));
        QCOMPARE(spec->sections[0].second, 0xffffffffc0a00000ULL);
        QCOMPARE(spec->sections[1].first, QStringLiteral(".exit.text"));
        QCOMPARE(spec->sections[1].second, 0xffffffffc0a05000ULL);
    }
    void issueForm()
    {
        QString error;
        const auto spec = parseSectionSpec(QStringLiteral("prudaq=.text:0xc0a00000,.init.text:0xc0a09000"), &error);
        QVERIFY2(spec, qPrintable(error));
        QCOMPARE(spec->module, QStringLiteral("prudaq"));
        QCOMPARE(spec->sections[1].first, QStringLiteral(".init.text"));
        QCOMPARE(spec->sections[1].second, 0xc0a09000ULL);
    }
    void rejectsGarbage_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << QString();
        QTest::newRow("no address") << QStringLiteral("prudaq:.text");
        QTest::newRow("bad number") << QStringLiteral("prudaq:.text=0xZZ");
        QTest::newRow("bad module") << QStringLiteral("pru daq;rm:.text=0x10");
        QTest::newRow("no sections") << QStringLiteral("prudaq:=");
    }
    void rejectsGarbage()
    {
        QFETCH(QString, text);
        QString error;
        QVERIFY(!parseSectionSpec(text, &error));
        QVERIFY(!error.isEmpty());
    }
    void sourceMap()
    {
        QString error;
        const auto map = parseSourceMap(QStringLiteral("/build/prudaq=/home/me/prudaq"), &error);
        QVERIFY(map);
        QCOMPARE(map->first, QStringLiteral("/build/prudaq"));
        QCOMPARE(map->second, QStringLiteral("/home/me/prudaq"));
        QVERIFY(!parseSourceMap(QStringLiteral("nomap"), &error));
    }
};

QTEST_GUILESS_MAIN(TestSectionSpec)
#include "tst_sectionspec.moc"
