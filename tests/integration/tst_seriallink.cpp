// SerialLink against a real pty "device" (see ptypeer.h): chunking, noise, bursts, loss and
// reconnect behind the same path, sending, raw capture.
#include "ptypeer.h"

#include "link/seriallink.h"
#include "log/lineassembler.h"
#include "log/sessionlog.h"
#include "log/sessionlogreader.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace kms;

namespace {

struct Collector {
    QList<LogLine> lines;
    qint64 bytes = 0;
    QList<SerialLink::State> states;

    void attach(SerialLink &link, SessionLog *log = nullptr)
    {
        QObject::connect(&link, &SerialLink::linesReceived, &link, [this, log](const QList<LogLine> &batch) {
            lines.append(batch);
            if (log)
                log->appendLines(batch);
        });
        QObject::connect(&link, &SerialLink::bytesReceived, &link, [this](qint64 total) { bytes = total; });
        QObject::connect(&link, &SerialLink::stateChanged, &link,
                         [this](SerialLink::State state, const QString &) { states.append(state); });
    }
    QList<QByteArray> deviceTexts() const
    {
        QList<QByteArray> out;
        for (const LogLine &l : lines) {
            if (!(l.flags & (LogLine::Event | LogLine::Sent)))
                out.append(l.text);
        }
        return out;
    }
};

QList<QByteArray> expectedLines(const QByteArray &input)
{
    LineAssembler a;
    QList<LogLine> out;
    a.feed(input, 0, out);
    QList<QByteArray> texts;
    for (const LogLine &l : out)
        texts.append(l.text);
    return texts;
}

} // namespace

class TestSerialLink : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }

    void chunkingGarbageAndNoise()
    {
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyNODE1")));
        QVERIFY(peer.create());
        SerialSettings settings;
        settings.path = peer.linkPath();
        settings.rawCapturePath = m_dir.filePath(QStringLiteral("raw1.bin"));
        SerialLink link(settings);
        Collector c;
        c.attach(link);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.contains(SerialLink::State::Open), 10000);

        QRandomGenerator rng(7);
        QByteArray input;
        for (int i = 0; i < 3000; ++i) {
            input += "[ " + QByteArray::number(i) + ".000000] console line " + QByteArray::number(i);
            input += (i % 2) ? "\r\n" : "\n";
            if (i % 250 == 0) { // line noise: control bytes, NULs, invalid UTF-8
                QByteArray garbage(200, Qt::Uninitialized);
                for (char &ch : garbage)
                    ch = char(rng.bounded(256));
                input += garbage + "\n";
            }
        }
        // Baud-rate mismatch: a long stretch of high-bit bytes with no line end at all.
        QByteArray noise(150 * 1024, Qt::Uninitialized);
        for (char &ch : noise)
            ch = char(0x80 | rng.bounded(128));
        input += noise + "\nafter the noise\n";

        qsizetype pos = 0;
        while (pos < input.size()) {
            const qsizetype n = qMin<qsizetype>(input.size() - pos, 1 + rng.bounded(700));
            QVERIFY(peer.writeAll(input.constData() + pos, n));
            pos += n;
            if (rng.bounded(20) == 0)
                QTest::qWait(1);
        }
        QTRY_COMPARE_WITH_TIMEOUT(c.bytes, input.size(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!c.lines.isEmpty() && c.lines.back().text == "after the noise", 5000);
        QCOMPARE(c.deviceTexts(), expectedLines(input));
        bool sawOverlong = false;
        for (const LogLine &l : c.lines)
            sawOverlong |= (l.flags & LogLine::Overlong) != 0;
        QVERIFY(sawOverlong);
        link.stop();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.back() == SerialLink::State::Closed, 5000);
        QFile raw(settings.rawCapturePath);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        QCOMPARE(raw.readAll(), input);
    }

    void burst10MBNoLoss()
    {
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyNODE2")));
        QVERIFY(peer.create());
        SerialSettings settings;
        settings.path = peer.linkPath();
        SerialLink link(settings);
        Collector c;
        c.attach(link);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.contains(SerialLink::State::Open), 10000);

        QByteArray input;
        input.reserve(10 * 1024 * 1024 + 100);
        int count = 0;
        while (input.size() < 10 * 1024 * 1024) {
            input += "[12345.678901] prudaq: burst line " + QByteArray::number(count++)
                + " ..........................................\n";
        }
        QElapsedTimer clock;
        clock.start();
        std::thread writer([&] { peer.writeAll(input); });
        QTRY_COMPARE_WITH_TIMEOUT(c.bytes, input.size(), 50000);
        const qint64 ms = clock.elapsed();
        writer.join();
        QTRY_COMPARE_WITH_TIMEOUT(c.deviceTexts().size(), count, 10000);
        const QList<QByteArray> texts = c.deviceTexts();
        for (int i = 0; i < count; i += 997)
            QVERIFY(texts[i].contains("burst line " + QByteArray::number(i) + " "));
        QCOMPARE(texts.back(), expectedLines(input).back());
        qInfo("10 MB through the pty in %lld ms: %.1f MB/s", ms, input.size() / 1e6 / (ms / 1e3));
    }

    void reconnectsBehindSamePathWithoutLoss()
    {
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyNODE3")));
        QVERIFY(peer.create());
        SessionLog log;
        const QString logPath = m_dir.filePath(QStringLiteral("session3.log"));
        QVERIFY(log.open(logPath));
        SerialSettings settings;
        settings.path = peer.linkPath();
        SerialLink link(settings);
        Collector c;
        c.attach(link, &log);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.contains(SerialLink::State::Open), 10000);

        QList<QByteArray> sent;
        QByteArray before;
        for (int i = 0; i < 200; ++i) {
            sent << "before unplug " + QByteArray::number(i);
            before += sent.back() + "\r\n";
        }
        sent << "last words without newline";
        before += sent.back();
        QVERIFY(peer.writeAll(before));
        // A pty discards unread input when its master closes (a real UART has no such race):
        // the device goes away once its bytes have been read.
        QTRY_COMPARE_WITH_TIMEOUT(c.bytes, before.size(), 10000);
        peer.close();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.contains(SerialLink::State::Lost), 5000);

        // Another device appearing elsewhere is not ours.
        PtyPeer other(m_dir.filePath(QStringLiteral("ttyOTHER")));
        QVERIFY(other.create());
        QTest::qWait(600);
        QCOMPARE(c.states.back(), SerialLink::State::Lost);

        const qsizetype statesBefore = c.states.size();
        QVERIFY(peer.create());
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.size() > statesBefore && c.states.back() == SerialLink::State::Open, 5000);
        const qint64 reopenMs = clock.elapsed();
        QVERIFY2(reopenMs < 2500, qPrintable(QStringLiteral("reopened after %1 ms").arg(reopenMs)));

        QByteArray after;
        for (int i = 0; i < 50; ++i) {
            sent << "after replug " + QByteArray::number(i);
            after += sent.back() + "\n";
        }
        const qint64 bytesBefore = c.bytes;
        QVERIFY(peer.writeAll(after));
        QTRY_COMPARE_WITH_TIMEOUT(c.bytes, bytesBefore + after.size(), 10000);
        log.close();

        QList<QByteArray> logged;
        bool sawLostEvent = false;
        for (const LogLine &l : SessionLogReader().readAll(logPath)) {
            if (l.flags & LogLine::Event)
                sawLostEvent |= l.text.startsWith("lost ");
            else
                logged << l.text;
        }
        QCOMPARE(logged, sent);
        QVERIFY(sawLostEvent);
        qInfo("reopened %lld ms after the device reappeared", reopenMs);
    }

    void sendsAndEchoes()
    {
        PtyPeer peer(m_dir.filePath(QStringLiteral("ttyNODE4")));
        QVERIFY(peer.create());
        SerialSettings settings;
        settings.path = peer.linkPath();
        SerialLink link(settings);
        Collector c;
        c.attach(link);
        link.start();
        QTRY_VERIFY_WITH_TIMEOUT(c.states.contains(SerialLink::State::Open), 10000);
        link.send("rmmod prudaq\r");
        QByteArray got;
        QElapsedTimer clock;
        clock.start();
        while (!got.endsWith('\r') && clock.elapsed() < 10000)
            got += peer.readSome(100);
        QCOMPARE(got, QByteArray("rmmod prudaq\r"));
        const auto echoed = [&c] {
            for (const LogLine &l : c.lines) {
                if ((l.flags & LogLine::Sent) && l.text == "rmmod prudaq")
                    return true;
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(echoed(), 5000);
        link.sendBreak(50);
        QTRY_VERIFY_WITH_TIMEOUT(c.lines.back().text.startsWith("<break"), 5000);
    }

    void listsPorts()
    {
        // No USB adapter here; the call must work and describe whatever exists.
        const auto ports = SerialLink::availablePorts();
        for (const SerialPortDescription &p : ports)
            QVERIFY(!p.path.isEmpty());
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestSerialLink)
#include "tst_seriallink.moc"
