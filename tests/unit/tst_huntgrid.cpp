#include "hunt/huntgrid.h"
#include "hunt/huntjson.h"
#include "hunt/huntresult.h"
#include "hunt/reproducer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace kms::hunt;

class TestHuntGrid : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseDimensions()
    {
        QString error;
        auto settle = Dimension::parse(QStringLiteral("settle=0, 10ms,1s"), &error);
        QVERIFY2(settle, qPrintable(error));
        QCOMPARE(settle->kind, Dimension::Kind::Settle);
        QCOMPARE(settle->values, (QStringList{"0", "10", "1000"}));

        auto param = Dimension::parse(QStringLiteral("param:fault_window_us=0,5000"), &error);
        QVERIFY(param);
        QCOMPARE(param->kind, Dimension::Kind::Param);
        QCOMPARE(param->name, QStringLiteral("fault_window_us"));
        QCOMPARE(param->values, (QStringList{"0", "5000"}));

        auto load = Dimension::parse(QStringLiteral("load=none,cpu,irq"), &error);
        QVERIFY(load);
        QCOMPARE(load->values.size(), 3);
        auto telemetry = Dimension::parse(QStringLiteral("telemetry=off,on"), &error);
        QVERIFY(telemetry);
        QCOMPARE(telemetry->values, (QStringList{"off", "on"}));
        // `reader` is the same condition: one grid cannot have both.
        auto reader = Dimension::parse(QStringLiteral("reader=off,on"), &error);
        QVERIFY(reader);
        QCOMPARE(reader->kind, Dimension::Kind::Telemetry);
        QCOMPARE(reader->values, (QStringList{"off", "on"}));
        Grid grid;
        QVERIFY(grid.add(*telemetry, &error));
        QVERIFY(!grid.add(*reader, &error));
        const QList<Conditions> cells = Grid().cells({});
        QCOMPARE(cells.size(), 1);
        Grid byReader;
        QVERIFY(byReader.add(*reader, &error));
        const QList<Conditions> two = byReader.cells({});
        QCOMPARE(two.size(), 2);
        QVERIFY(!two[0].telemetry);
        QVERIFY(two[1].telemetry);
    }

    void rejectsBadDimensions_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("message");
        QTest::newRow("no =") << "settle"
                              << "expected NAME=";
        QTest::newRow("unknown") << "speed=1,2"
                                 << "unknown condition";
        QTest::newRow("bad settle") << "settle=fast"
                                    << "settle 'fast'";
        QTest::newRow("negative settle") << "settle=-5"
                                         << "settle '-5'";
        QTest::newRow("empty value") << "settle=0,,10"
                                     << "empty value";
        QTest::newRow("twice") << "settle=1,1"
                               << "given twice";
        QTest::newRow("bad param name") << "param:a;b=1"
                                        << "not a module parameter name";
        QTest::newRow("param with space") << "param:x=a b"
                                          << "whitespace";
        QTest::newRow("param with newline") << "param:x=a\nb"
                                            << "control";
        QTest::newRow("bad load") << "load=gpu"
                                  << "none, cpu or irq";
        QTest::newRow("bad telemetry") << "telemetry=maybe"
                                       << "on or off";
        QTest::newRow("telemetry twice") << "telemetry=on,1"
                                         << "given twice";
        QTest::newRow("bad reader") << "reader=sometimes"
                                    << "on or off";
    }
    void rejectsBadDimensions()
    {
        QFETCH(QString, spec);
        QFETCH(QString, message);
        QString error;
        QVERIFY(!Dimension::parse(spec, &error));
        QVERIFY2(error.contains(message), qPrintable(error));
    }

    void moduleParams()
    {
        QString error;
        auto params = parseModuleParams(QStringLiteral("  fault=unload_race  drain fault=none x=1"), &error);
        QVERIFY2(params, qPrintable(error));
        QCOMPARE(formatModuleParams(*params), QStringLiteral("fault=none drain x=1")); // the last value wins
        QVERIFY(!parseModuleParams(QStringLiteral("$(reboot)=1"), &error));
        QVERIFY(error.contains(QLatin1String("not a module parameter name")));
        QVERIFY(parseModuleParams(QString(), &error)->isEmpty());
    }

    // The first dimension varies slowest; the cell's parameters are the base ones with its
    // values applied in place.
    void cartesianProduct()
    {
        QString error;
        Grid grid;
        QVERIFY(grid.add(*Dimension::parse(QStringLiteral("settle=0,100"), &error), &error));
        QVERIFY(grid.add(*Dimension::parse(QStringLiteral("param:fault_window_us=0,5000,20"), &error), &error));
        QVERIFY(!grid.add(*Dimension::parse(QStringLiteral("settle=1"), &error), &error));
        QVERIFY(error.contains(QLatin1String("twice")));
        QVERIFY(grid.add(*Dimension::parse(QStringLiteral("load=none,cpu"), &error), &error));
        QCOMPARE(grid.cellCount(), 12);

        Conditions base;
        base.params = *parseModuleParams(QStringLiteral("fault=unload_race fault_window_us=7 drain"), &error);
        const QList<Conditions> cells = grid.cells(base);
        QCOMPARE(cells.size(), 12);
        QCOMPARE(cells[0].settleMs, 0);
        QCOMPARE(formatModuleParams(cells[0].params), QStringLiteral("fault=unload_race fault_window_us=0 drain"));
        QCOMPARE(cells[0].load, BackgroundLoad::None);
        QCOMPARE(cells[1].load, BackgroundLoad::Cpu);
        QCOMPARE(formatModuleParams(cells[2].params), QStringLiteral("fault=unload_race fault_window_us=5000 drain"));
        QCOMPARE(cells[6].settleMs, 100);
        QCOMPARE(formatModuleParams(cells[11].params), QStringLiteral("fault=unload_race fault_window_us=20 drain"));
        QCOMPARE(cells[11].load, BackgroundLoad::Cpu);
        for (int i = 0; i < cells.size(); ++i) {
            for (int j = i + 1; j < cells.size(); ++j)
                QVERIFY(!(cells[i] == cells[j]));
        }
        // No dimension: one cell, the base.
        QCOMPARE(Grid().cells(base), QList<Conditions>{base});
    }

    void cellCounting()
    {
        CellResult cell;
        cell.addCycle(QStringLiteral("pass"), {});
        cell.addCycle(QStringLiteral("pass"), {});
        cell.addCycle(QStringLiteral("crash"), {QStringLiteral("BUG: unable to handle page fault in a")});
        cell.addCycle(QStringLiteral("warning"), {QStringLiteral("WARNING in b")});
        cell.addCycle(
            QStringLiteral("crash"),
            {QStringLiteral("general protection fault in c"), QStringLiteral("BUG: unable to handle page fault in a")});
        cell.addCycle(QStringLiteral("crash"), {QStringLiteral("BUG: unable to handle page fault in a")});
        QCOMPARE(cell.cycles, 6);
        QCOMPARE(cell.crashes, 3);
        QCOMPARE(cell.firstCrashCycle, std::optional<qint64>(3));
        QCOMPARE(cell.titles, (QStringList{"BUG: unable to handle page fault in a", "general protection fault in c"}));
        QCOMPARE(cell.verdicts.value(QStringLiteral("pass")), 2);
        QCOMPARE(cell.verdicts.value(QStringLiteral("warning")), 1);
        QCOMPARE(cell.crashList.size(), 3);
        QCOMPARE(cell.crashList[1].cycle, 5);
    }

    void bestCellChoice()
    {
        QList<CellResult> cells(4);
        QCOMPARE(bestCell(cells), -1);
        cells[0].cycles = 1; // 1 of 1: a wide interval
        cells[0].crashes = 1;
        cells[0].firstCrashCycle = 1;
        cells[1].cycles = 10; // 5 of 10: the higher lower bound
        cells[1].crashes = 5;
        cells[1].firstCrashCycle = 2;
        cells[2].cycles = 100;
        QCOMPARE(bestCell(cells), 1);
        cells[3] = cells[1];
        cells[3].firstCrashCycle = 1;
        QCOMPARE(bestCell(cells), 3);
    }

    // The pasted loop must run in a real shell: here /bin/sh with stand-in modprobe and nice
    // functions that record what they were called with.
    void nodeCommandRuns()
    {
        ReproducerContext context;
        context.module = QStringLiteral("prudaq");
        context.telemetryPath = QStringLiteral("/dev/null");
        Conditions c;
        c.settleMs = 10;
        c.telemetry = true;
        c.load = BackgroundLoad::Cpu;
        QString error;
        c.params = *parseModuleParams(QStringLiteral("fault=unload_race fault_window_us=5000"), &error);
        const QString command = nodeCommand(context, c);
        QVERIFY(command.contains(QLatin1String("modprobe prudaq fault=unload_race fault_window_us=5000")));
        QVERIFY(command.contains(QLatin1String("sleep 0.010")));
        QVERIFY(command.contains(QLatin1String("renice -n 19 -p")));
        // The stand-in renice leaves a mark the first modprobe waits for, so the background
        // load is seen niced before the loop ends.
        QTemporaryDir dir;
        const QString script = QStringLiteral("n=0; m=%1/nice\n"
                                              "modprobe() { while [ ! -e $m ]; do sleep 0.01; done;"
                                              " echo \"modprobe $*\"; n=$((n+1)); [ $n -lt 5 ]; }\n"
                                              "renice() { echo \"renice $*\" >$m; }\n")
                                   .arg(dir.path())
            + command + QLatin1Char('\n');
        QProcess sh;
        sh.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), script});
        QVERIFY(sh.waitForFinished(20000));
        QCOMPARE(sh.exitCode(), 0);
        const QStringList lines = QString::fromUtf8(sh.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.count(QStringLiteral("modprobe prudaq fault=unload_race fault_window_us=5000")), 3);
        QCOMPARE(lines.count(QStringLiteral("modprobe -r prudaq")), 2);
        QFile mark(dir.filePath(QStringLiteral("nice")));
        QVERIFY(mark.open(QIODevice::ReadOnly));
        QVERIFY(mark.readAll().startsWith("renice -n 19 -p "));

        c.settleMs = 0;
        c.telemetry = false;
        c.load = BackgroundLoad::None;
        QCOMPARE(nodeCommand(context, c),
                 QStringLiteral("while modprobe prudaq fault=unload_race fault_window_us=5000 && "
                                "modprobe -r prudaq; do :; done"));
        c.settleMs = 10;
        c.telemetry = true;
        c.load = BackgroundLoad::Cpu;
        const QString cli = cliCommand(context, c);
        QVERIFY(cli.startsWith(QLatin1String("kmodscope-cli cycle --ssh '' --module prudaq --params "
                                             "'fault=unload_race fault_window_us=5000' --settle 10")));
    }

    void json()
    {
        HuntResult result;
        result.module = QStringLiteral("prudaq");
        CellResult cell;
        QString error;
        cell.conditions.params = *parseModuleParams(QStringLiteral("fault_window_us=5000"), &error);
        cell.conditions.settleMs = 10;
        for (int i = 0; i < 8; ++i)
            cell.addCycle(i % 4 == 1 ? QStringLiteral("crash") : QStringLiteral("pass"), {QStringLiteral("BUG: x")});
        cell.wallMs = 1500;
        result.cells = {cell, CellResult{}};
        result.best = Reproducer{0, QStringLiteral("while ...; do :; done"), QStringLiteral("kmodscope-cli cycle")};
        const QJsonObject o = QJsonDocument::fromJson(QJsonDocument(huntToJson(result)).toJson()).object();
        const QJsonObject c0 = o[QStringLiteral("cells")].toArray()[0].toObject();
        QCOMPARE(c0[QStringLiteral("params")].toObject()[QStringLiteral("fault_window_us")].toString(),
                 QStringLiteral("5000"));
        QCOMPARE(c0[QStringLiteral("params")].toObject()[QStringLiteral("settle_ms")].toInt(), 10);
        QCOMPARE(c0[QStringLiteral("cycles")].toInt(), 8);
        QCOMPARE(c0[QStringLiteral("crashes")].toInt(), 2);
        QCOMPARE(c0[QStringLiteral("rate")].toDouble(), 0.25);
        QVERIFY(c0[QStringLiteral("ci_low")].toDouble() > 0 && c0[QStringLiteral("ci_high")].toDouble() < 1);
        QCOMPARE(c0[QStringLiteral("first_crash_cycle")].toInt(), 2);
        QCOMPARE(c0[QStringLiteral("titles")].toArray().size(), 1);
        QCOMPARE(c0[QStringLiteral("wall_s")].toDouble(), 1.5);
        const QJsonObject c1 = o[QStringLiteral("cells")].toArray()[1].toObject();
        QVERIFY(c1[QStringLiteral("first_crash_cycle")].isNull());
        QCOMPARE(c1[QStringLiteral("ci_high")].toDouble(), 1.0); // no cycles, no knowledge
        QCOMPARE(o[QStringLiteral("best")].toObject()[QStringLiteral("node_command")].toString(),
                 QStringLiteral("while ...; do :; done"));
        QVERIFY(o[QStringLiteral("compare")].isNull());
    }
};

QTEST_GUILESS_MAIN(TestHuntGrid)
#include "tst_huntgrid.moc"
