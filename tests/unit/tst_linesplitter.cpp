#include "log/linesplitter.h"

#include <QRandomGenerator>
#include <QTest>

using namespace kms;

namespace {

struct Collected {
    QList<QByteArray> lines;
    QList<bool> overlong;
};

Collected split(const QList<QByteArray> &chunks)
{
    Collected c;
    LineSplitter s;
    const auto sink = [&](QByteArrayView line, bool overlong) {
        c.lines.append(line.toByteArray());
        c.overlong.append(overlong);
    };
    for (const QByteArray &chunk : chunks)
        s.feed(chunk, sink);
    s.finish(sink);
    return c;
}

} // namespace

class TestLineSplitter : public QObject
{
    Q_OBJECT
private slots:
    void terminators()
    {
        const auto c = split({QByteArray("lf\ncrlf\r\ncr\rlast")});
        QCOMPARE(c.lines, (QList<QByteArray>{"lf", "crlf", "cr", "last"}));
    }
    void emptyLinesKept()
    {
        const auto c = split({QByteArray("a\n\nb\r\n\r\nc\n")});
        QCOMPARE(c.lines, (QList<QByteArray>{"a", "", "b", "", "c"}));
    }
    void crlfSplitAcrossChunks()
    {
        const auto c = split({QByteArray("one\r"), QByteArray("\ntwo\r"), QByteArray("three\n")});
        QCOMPARE(c.lines, (QList<QByteArray>{"one", "two", "three"}));
    }
    void progressBarCrLosesNoText()
    {
        // A progress bar redraws with lone CRs; every state is kept as a line.
        const auto c = split({QByteArray("10%\r50%\r100%\ndone\n")});
        QCOMPARE(c.lines, (QList<QByteArray>{"10%", "50%", "100%", "done"}));
    }
    void finishWithoutTerminator()
    {
        const auto c = split({QByteArray("no newline")});
        QCOMPARE(c.lines, (QList<QByteArray>{"no newline"}));
        QVERIFY(split({QByteArray()}).lines.isEmpty());
    }
    void overlongLinesSplitAndFlagged()
    {
        const QByteArray big(LineSplitter::maxLineLength * 2 + 10, 'x');
        const auto c = split({big + "\nshort\n"});
        QCOMPARE(c.lines.size(), 4);
        QCOMPARE(c.lines[0].size(), LineSplitter::maxLineLength);
        QCOMPARE(c.lines[1].size(), LineSplitter::maxLineLength);
        QCOMPARE(c.lines[2].size(), 10);
        QCOMPARE(c.overlong, (QList<bool>{true, true, true, false}));
        QCOMPARE(c.lines[3], QByteArray("short"));
    }
    void lineOfExactlyMaxLengthIsNotOverlong()
    {
        const QByteArray exact(LineSplitter::maxLineLength, 'y');
        const auto c = split({exact + "\n"});
        QCOMPARE(c.lines.size(), 1);
        QCOMPARE(c.overlong, (QList<bool>{false}));
    }
    void invalidUtf8PassesThrough()
    {
        const QByteArray bad("\xff\xfe\xc3(\x80ok\n", 8);
        const auto c = split({bad});
        QCOMPARE(c.lines, (QList<QByteArray>{QByteArray("\xff\xfe\xc3(\x80ok", 7)}));
    }
    void chunkingIndependent()
    {
        QByteArray input;
        for (int i = 0; i < 300; ++i) {
            input += "line " + QByteArray::number(i);
            switch (i % 5) {
            case 0:
                input += "\n";
                break;
            case 1:
                input += "\r\n";
                break;
            case 2:
                input += "\r";
                break;
            case 3:
                input += "\r\r\n";
                break;
            default:
                input += QByteArray(i % 50 == 4 ? 70000 : i, 'z') + "\n";
                break;
            }
        }
        const Collected whole = split({input});
        QRandomGenerator rng(42);
        for (int round = 0; round < 100; ++round) {
            QList<QByteArray> chunks;
            qsizetype pos = 0;
            while (pos < input.size()) {
                const qsizetype n = round < 3 ? round + 1 : 1 + qsizetype(rng.bounded(700));
                chunks.append(input.mid(pos, n));
                pos += n;
            }
            const Collected c = split(chunks);
            QCOMPARE(c.lines, whole.lines);
            QCOMPARE(c.overlong, whole.overlong);
        }
    }
};

QTEST_GUILESS_MAIN(TestLineSplitter)
#include "tst_linesplitter.moc"
