#include "log/sessionlog.h"
#include "log/sessionlogreader.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

using namespace kms;

namespace {

// Child mode of the crash test: appends a line every millisecond for half a second, lets the
// event loop run for 100 ms more, then dies with abort(): no destructor, no close(), no
// explicit flush. Every line must be on disk. (Timer-driven: the abort fires after the flush
// timer that was due before it, however loaded the machine is.)
int crashChild(const QString &path)
{
    SessionLog log;
    if (!log.open(path))
        return 3;
    QElapsedTimer clock;
    clock.start();
    int n = 0;
    QTimer tick;
    tick.setInterval(1);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        log.append(LogLine{hostTimeNowNs(), QStringLiteral("serial"), "line " + QByteArray::number(n++), 0});
        if (clock.elapsed() < 500)
            return;
        tick.stop();
        std::fprintf(stderr, "appended %d\n", n);
        std::fflush(stderr);
        QTimer::singleShot(100, [] { std::abort(); });
    });
    tick.start();
    return QCoreApplication::exec();
}

} // namespace

class TestSessionLog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTripEveryByte()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("session.log"));
        QList<LogLine> lines;
        QByteArray all;
        for (int b = 0; b < 256; ++b)
            all.append(char(b));
        lines << LogLine{1700000000123456789, QStringLiteral("serial"), all, 0}
              << LogLine{5, QStringLiteral("ssh\tdmesg\\x"), "tab\there \\n not a newline", LogLine::Overlong}
              << LogLine{6, QStringLiteral("serial"), "echo hi", LogLine::Sent}
              << LogLine{7, QStringLiteral("cycle"), "", quint8(LogLine::Event | LogLine::Sent)}
              << LogLine{8, QStringLiteral("serial"), QByteArray("bad utf8 \xc3\x28 \xff", 13), 0};
        {
            SessionLog log;
            QVERIFY(log.open(path));
            log.appendLines(lines);
        }
        SessionLogReader reader;
        QString error;
        const QList<LogLine> back = reader.readAll(path, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(reader.badRecords(), 0);
        QCOMPARE(back, lines);
    }

    void flushedWithin100ms()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("session.log"));
        SessionLog log;
        QVERIFY(log.open(path));
        log.append(LogLine{1, QStringLiteral("serial"), "first", 0});
        QTest::qWait(100);
        QCOMPARE(SessionLogReader().readAll(path).size(), 1);
    }

    void crashLosesAtMost100ms()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("crash.log"));
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("KMS_SESSIONLOG_CRASH_CHILD"), path);
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(child.waitForFinished(30000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        const QByteArray err = child.readAllStandardError();
        const qsizetype at = err.indexOf("appended ");
        QVERIFY2(at >= 0, err.constData());
        const int appended = err.mid(at + 9).trimmed().split('\n').front().toInt();
        QVERIFY(appended > 10);

        SessionLogReader reader;
        const QList<LogLine> lines = reader.readAll(path);
        QCOMPARE(reader.badRecords(), 0);
        QCOMPARE(lines.size(), appended);
        for (qsizetype i = 0; i < lines.size(); ++i)
            QCOMPARE(lines[i].text, "line " + QByteArray::number(i));
    }

    void rotatesBySize()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("rot.log"));
        {
            SessionLog log;
            log.setMaxBytes(4096);
            log.setKeepFiles(3);
            QVERIFY(log.open(path));
            for (int i = 0; i < 1000; ++i)
                log.append(LogLine{i, QStringLiteral("serial"), "rotating line " + QByteArray::number(i), 0});
        }
        QVERIFY(QFile::exists(path + QStringLiteral(".1")));
        QVERIFY(QFile::exists(path + QStringLiteral(".3")));
        QVERIFY(!QFile::exists(path + QStringLiteral(".4")));
        for (const QString &f : {path, path + QStringLiteral(".1"), path + QStringLiteral(".2")})
            QVERIFY(QFileInfo(f).size() <= 4096);
        SessionLogReader reader;
        const QList<LogLine> lines = reader.readAll(path);
        QCOMPARE(reader.badRecords(), 0);
        QCOMPARE(reader.files().size(), 4);
        QVERIFY(lines.size() > 100);
        // The newest lines, contiguous and in order, ending with the last one.
        const int first = 1000 - int(lines.size());
        for (qsizetype i = 0; i < lines.size(); ++i)
            QCOMPARE(lines[i].text, "rotating line " + QByteArray::number(first + i));
    }

    void reopenContinuesAndRestores()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("again.log"));
        for (int run = 0; run < 2; ++run) {
            SessionLog log;
            QVERIFY(log.open(path));
            log.append(LogLine{run, QStringLiteral("serial"), "run " + QByteArray::number(run), 0});
        }
        const QList<LogLine> lines = SessionLogReader().readAll(path);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[1].text, QByteArray("run 1"));
    }

    void tornLastRecordIsCounted()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("torn.log"));
        {
            SessionLog log;
            QVERIFY(log.open(path));
            log.append(LogLine{1, QStringLiteral("serial"), "whole", 0});
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::Append));
        f.write("17000000");
        f.close();
        SessionLogReader reader;
        QCOMPARE(reader.readAll(path).size(), 1);
        QCOMPARE(reader.badRecords(), 1);
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString child = qEnvironmentVariable("KMS_SESSIONLOG_CRASH_CHILD");
    if (!child.isEmpty())
        return crashChild(child);
    TestSessionLog test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sessionlog.moc"
