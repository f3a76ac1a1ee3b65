#include "link/shellquote.h"

#include <QProcess>
#include <QTest>

using namespace kms;

class TestShellQuote : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void quotes()
    {
        QCOMPARE(shellQuote(QStringLiteral("abc")), QByteArray("'abc'"));
        QCOMPARE(shellQuote(QStringLiteral("it's")), QByteArray("'it'\\''s'"));
        QCOMPARE(shellQuote(QString()), QByteArray("''"));
        QCOMPARE(shellCommand({QStringLiteral("insmod"), QStringLiteral("/lib/x.ko"), QStringLiteral("fault=none")}),
                 QByteArray("insmod /lib/x.ko fault=none"));
        QCOMPARE(shellCommand({QStringLiteral("echo"), QStringLiteral("a b"), QString()}), QByteArray("echo 'a b' ''"));
        QCOMPARE(shellCommand({QStringLiteral("A=b"), QStringLiteral("c=d")}), QByteArray("'A=b' c=d"));
    }

    // The local /bin/sh (dash here, like many nodes; busybox ash parses quotes the same way)
    // must see every hostile argument literally.
    void roundTripThroughShell_data()
    {
        QTest::addColumn<QString>("argument");
        QTest::newRow("subst") << QStringLiteral("$(touch pwned)");
        QTest::newRow("backtick") << QStringLiteral("`touch pwned`");
        QTest::newRow("semicolon") << QStringLiteral("a; touch pwned");
        QTest::newRow("quotes") << QStringLiteral("'\"'\"\\'");
        QTest::newRow("newline") << QStringLiteral("a\ntouch pwned");
        QTest::newRow("glob") << QStringLiteral("*");
        QTest::newRow("var") << QStringLiteral("$HOME ${IFS}");
        QTest::newRow("utf8") << QStringLiteral("é – ✓");
    }
    void roundTripThroughShell()
    {
        QFETCH(QString, argument);
        QProcess sh;
        sh.start(QStringLiteral("/bin/sh"),
                 {QStringLiteral("-c"),
                  QString::fromUtf8(shellCommand({QStringLiteral("printf"), QStringLiteral("%s"), argument}))});
        QVERIFY(sh.waitForFinished(10000));
        QCOMPARE(sh.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), argument);
    }

    void moduleNames()
    {
        QVERIFY(isValidModuleName(u"prudaq"));
        QVERIFY(isValidModuleName(u"snd-hda_intel"));
        QVERIFY(!isValidModuleName(u""));
        QVERIFY(!isValidModuleName(u"prudaq; reboot"));
        QVERIFY(!isValidModuleName(u"$(touch x)"));
        QVERIFY(!isValidModuleName(u"-f"));
        QVERIFY(!isValidModuleName(u"a/b"));
        QVERIFY(!isValidModuleName(u"x'y"));
        QVERIFY(!isValidModuleName(QString(56, QLatin1Char('a'))));
        QVERIFY(isValidModuleName(QString(55, QLatin1Char('a'))));
    }

    void remotePaths()
    {
        QVERIFY(isValidRemotePath(u"/lib/modules/prudaq.ko"));
        QVERIFY(isValidRemotePath(u"/tmp/with space/$(x)")); // quoted when used
        QVERIFY(!isValidRemotePath(u""));
        QVERIFY(!isValidRemotePath(u"-rf"));
        QVERIFY(!isValidRemotePath(u"/a\nb"));
        QVERIFY(!isValidRemotePath(QStringView(u"/a\0b", 4)));
    }
};

QTEST_GUILESS_MAIN(TestShellQuote)
#include "tst_shellquote.moc"
