#include "log/lineassembler.h"

#include <QRandomGenerator>
#include <QTest>

using namespace kms;

class TestLineAssembler : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void stampsFirstByteArrival()
    {
        LineAssembler a(QStringLiteral("serial"));
        QList<LogLine> out;
        a.feed("hel", 100, out);
        QVERIFY(out.isEmpty());
        QVERIFY(a.hasPartialLine());
        a.feed("lo\nwor", 200, out);
        a.feed("ld\r\n", 300, out);
        a.feed("x\n", 400, out);
        QCOMPARE(out.size(), 3);
        QCOMPARE(out[0].text, QByteArray("hello"));
        QCOMPARE(out[0].timeNs, 100); // the line began with the first chunk
        QCOMPARE(out[1].text, QByteArray("world"));
        QCOMPARE(out[1].timeNs, 200);
        QCOMPARE(out[2].timeNs, 400);
        QCOMPARE(out[0].source, QStringLiteral("serial"));
        QVERIFY(!a.hasPartialLine());
    }

    void crlfSplitAcrossChunks()
    {
        LineAssembler a;
        QList<LogLine> out;
        a.feed("a\r", 1, out);
        a.feed("\nb\n", 2, out);
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[1].text, QByteArray("b"));
        QCOMPARE(out[1].timeNs, 2);
    }

    void finishEmitsPartialLine()
    {
        LineAssembler a;
        QList<LogLine> out;
        a.feed("no newline", 7, out);
        a.finish(out);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].text, QByteArray("no newline"));
        QCOMPARE(out[0].timeNs, 7);
        a.finish(out);
        QCOMPARE(out.size(), 1);
    }

    // The prompt waits as the partial line (stamped with its first byte), grows with what is
    // echoed, and is gone once the line is completed - then emitted whole.
    void partialLineIsThePendingPrompt()
    {
        LineAssembler a(QStringLiteral("serial"));
        QList<LogLine> out;
        QVERIFY(a.partialLine().text.isEmpty());
        a.feed("done\r\nroot@node:~", 5, out);
        a.feed("# ", 6, out);
        QCOMPARE(out.size(), 1);
        QCOMPARE(a.partialLine().text, QByteArray("root@node:~# "));
        QCOMPARE(a.partialLine().timeNs, 5);
        QCOMPARE(a.partialLine().source, QStringLiteral("serial"));
        a.feed("[   12.345678] BUG: x\r\n", 9, out);
        QVERIFY(a.partialLine().text.isEmpty());
        QVERIFY(!a.hasPartialLine());
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[1].text, QByteArray("root@node:~# [   12.345678] BUG: x"));
        QCOMPARE(out[1].timeNs, 5);
    }

    void chunkingDoesNotChangeLines()
    {
        QByteArray input;
        for (int i = 0; i < 2000; ++i) {
            input += "line " + QByteArray::number(i);
            input += (i % 3 == 0) ? "\r\n" : (i % 3 == 1 ? "\n" : "\r");
            if (i % 97 == 0)
                input += QByteArray("\x00\xff\xfe\x1b[31mred\x1b[0m", 14) + "\n";
        }
        input += QByteArray(70 * 1024, 'x') + "\n";
        LineAssembler whole;
        QList<LogLine> expected;
        whole.feed(input, 0, expected);
        whole.finish(expected);

        QRandomGenerator rng(42);
        for (int round = 0; round < 20; ++round) {
            LineAssembler a;
            QList<LogLine> out;
            qsizetype pos = 0;
            while (pos < input.size()) {
                const qsizetype n = qMin<qsizetype>(input.size() - pos, 1 + rng.bounded(300));
                a.feed(QByteArrayView(input).sliced(pos, n), 0, out);
                pos += n;
            }
            a.finish(out);
            QCOMPARE(out.size(), expected.size());
            for (qsizetype i = 0; i < out.size(); ++i) {
                QCOMPARE(out[i].text, expected[i].text);
                QCOMPARE(out[i].flags, expected[i].flags);
            }
        }
        QVERIFY(expected.back().flags & LogLine::Overlong || expected[expected.size() - 2].flags & LogLine::Overlong);
    }
};

QTEST_GUILESS_MAIN(TestLineAssembler)
#include "tst_lineassembler.moc"
