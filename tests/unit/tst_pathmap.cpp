#include "symbols/pathmap.h"

#include <QTest>

using kms::PathMap;

class TestPathMap : public QObject
{
    Q_OBJECT

private slots:
    void emptyMapKeepsPaths()
    {
        PathMap map;
        QVERIFY(map.isEmpty());
        QCOMPARE(map.map(QStringLiteral("/build/src/a.c")), QStringLiteral("/build/src/a.c"));
    }

    void longestPrefixWins()
    {
        PathMap map;
        map.add(QStringLiteral("/build"), QStringLiteral("/home/me/b"));
        map.add(QStringLiteral("/build/linux/drivers"), QStringLiteral("/src/drivers"));
        map.add(QStringLiteral("/build/linux"), QStringLiteral("/src/linux"));
        QVERIFY(!map.isEmpty());
        QCOMPARE(map.map(QStringLiteral("/build/linux/drivers/pru/x.c")), QStringLiteral("/src/drivers/pru/x.c"));
        QCOMPARE(map.map(QStringLiteral("/build/linux/kernel/fork.c")), QStringLiteral("/src/linux/kernel/fork.c"));
        QCOMPARE(map.map(QStringLiteral("/build/other/y.c")), QStringLiteral("/home/me/b/other/y.c"));
        QCOMPARE(map.map(QStringLiteral("/elsewhere/z.c")), QStringLiteral("/elsewhere/z.c"));
    }

    void wholeComponentsOnly()
    {
        PathMap map;
        map.add(QStringLiteral("/usr/src"), QStringLiteral("/mnt/src"));
        QCOMPARE(map.map(QStringLiteral("/usr/srcx/a.c")), QStringLiteral("/usr/srcx/a.c"));
        QCOMPARE(map.map(QStringLiteral("/usr/src/a.c")), QStringLiteral("/mnt/src/a.c"));
        QCOMPARE(map.map(QStringLiteral("/usr/src")), QStringLiteral("/mnt/src"));
    }

    void trailingSlashesAndRoot()
    {
        PathMap map;
        map.add(QStringLiteral("/old/"), QStringLiteral("/new/"));
        QCOMPARE(map.map(QStringLiteral("/old/a.c")), QStringLiteral("/new/a.c"));
        PathMap root;
        root.add(QStringLiteral("/"), QStringLiteral("/sysroot"));
        QCOMPARE(root.map(QStringLiteral("/a/b.c")), QStringLiteral("/sysroot/a/b.c"));
        PathMap toRoot;
        toRoot.add(QStringLiteral("/chroot"), QStringLiteral("/"));
        QCOMPARE(toRoot.map(QStringLiteral("/chroot/a.c")), QStringLiteral("/a.c"));
    }

    void relativeSourcesAndLaterRuleReplaces()
    {
        PathMap map;
        map.add(QStringLiteral("drivers"), QStringLiteral("/src/drivers"));
        QCOMPARE(map.map(QStringLiteral("drivers/x.c")), QStringLiteral("/src/drivers/x.c"));
        map.add(QStringLiteral("drivers"), QStringLiteral("/other"));
        QCOMPARE(map.map(QStringLiteral("drivers/x.c")), QStringLiteral("/other/x.c"));
    }
};

QTEST_GUILESS_MAIN(TestPathMap)
#include "tst_pathmap.moc"
