// Build ids as the node gives them for debuginfod: raw ELF notes (what /sys/module/NAME/notes/
// .note.gnu.build-id and /sys/kernel/notes hold), here the fixture modules' own note sections
// dumped by objcopy and printed by `od` as the node command prints them. Oracle: readelf -n.
#include "tst_symbols_helpers.h"

#include "node/buildids.h"

#include "../../app/cli/debuginfodoptions.h"

#include <QTemporaryDir>

using namespace kms;
using namespace symtest;

class TestDebuginfodBuildIds : public QObject
{
    Q_OBJECT

    static QByteArray readelfBuildId(const QString &ko)
    {
        const RunResult r = run(QStringLiteral("readelf"), {QStringLiteral("-n"), ko});
        const auto m = QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromUtf8(r.out));
        return m.hasMatch() ? m.captured(1).toLatin1() : QByteArray();
    }

private Q_SLOTS:
    void notesOfEachArch_data()
    {
        QTest::addColumn<int>("arch");
        for (int i = 0; i < fixtureArches().size(); ++i)
            QTest::newRow(fixtureArches().at(i).name) << i;
    }

    void notesOfEachArch()
    {
        QFETCH(int, arch);
        const FixtureArch &fx = fixtureArches().at(arch);
        SYMTEST_REQUIRE_FIXTURE(QString::fromLatin1(fx.ko));
        QTemporaryDir dir;
        const QString note = dir.filePath(QStringLiteral("note"));
        SYMTEST_RUN(
            dump, tool(fx.toolPrefix, "objcopy"),
            QStringList({QStringLiteral("-O"), QStringLiteral("binary"),
                         QStringLiteral("--only-section=.note.gnu.build-id"), QString::fromLatin1(fx.ko), note}));
        QFile f(note);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray raw = f.readAll();
        const QByteArray expected = readelfBuildId(QString::fromLatin1(fx.ko));
        QVERIFY(expected.size() >= 16);
        QCOMPARE(buildids::fromNotes(raw), expected);

        // As the node lists it: od's hex bytes under a "module NAME" line, the kernel's first.
        SYMTEST_RUN(od, QStringLiteral("od"),
                    QStringList({QStringLiteral("-An"), QStringLiteral("-v"), QStringLiteral("-tx1"), note}));
        const QByteArray listing = "kernel\n" + od.out + "module kms-fixture\n" + od.out + "module other\n";
        const NodeBuildIds ids = buildids::parseNodeListing(listing);
        QCOMPARE(ids.kernel, expected);
        QCOMPARE(ids.modules.value(QStringLiteral("kms_fixture")), expected);
        QVERIFY(!ids.modules.contains(QStringLiteral("other"))); // unreadable: left out
    }

    void badNotesGiveNothing()
    {
        QCOMPARE(buildids::fromNotes(QByteArray()), QByteArray());
        QCOMPARE(buildids::fromNotes(QByteArray(11, '\0')), QByteArray());
        // A note header claiming more than there is.
        QByteArray truncated("\x04\x00\x00\x00\x14\x00\x00\x00\x03\x00\x00\x00GNU\0\x01\x02", 18);
        QCOMPARE(buildids::fromNotes(truncated), QByteArray());
        QCOMPARE(buildids::parseNodeListing("kernel\nmodule x\nnot hex at all\n").modules.size(), 0);
    }

    // The command is plain sh: it runs here (on this machine's own /sys) and lists the kernel.
    void nodeCommandRunsUnderSh()
    {
        SYMTEST_RUN(r, QStringLiteral("sh"),
                    QStringList({QStringLiteral("-c"), QString::fromLatin1(buildids::nodeCommand())}));
        QVERIFY(r.out.startsWith("kernel\n"));
        const NodeBuildIds ids = buildids::parseNodeListing(r.out);
        if (QFileInfo(QStringLiteral("/sys/kernel/notes")).isReadable())
            QVERIFY2(ids.kernel.size() >= 16, r.out.left(400).constData());
    }

    void buildIdSpec()
    {
        QString module;
        QByteArray id;
        QString error;
        QVERIFY(cli::parseBuildIdSpec(QStringLiteral("vmlinux=ABCDEF0123456789"), &module, &id, &error));
        QCOMPARE(module, QStringLiteral("vmlinux"));
        QCOMPARE(id, QByteArray("abcdef0123456789"));
        for (const char *bad : {"vmlinux", "=abcd0123", "m=abc", "m=xyzxyzxy", "m=ab", "a b=abcdef01"})
            QVERIFY2(!cli::parseBuildIdSpec(QString::fromLatin1(bad), &module, &id, &error), bad);
        QVERIFY(error.contains(QStringLiteral("MOD=HEX")));
    }
};

QTEST_GUILESS_MAIN(TestDebuginfodBuildIds)
#include "tst_debuginfod_buildids.moc"
