// The hunt's statistics against published values and against the textbook definitions
// evaluated here by other means (exact integer arithmetic), never against the code's output.
#include "hunt/huntstats.h"

#include <QTest>

#include <cmath>

using namespace kms::hunt;

namespace {

// n choose k exactly (the tables here are small enough for 64-bit integers).
quint64 choose(quint64 n, quint64 k)
{
    quint64 r = 1;
    for (quint64 i = 1; i <= k; ++i)
        r = r * (n - k + i) / i; // stays an integer at every step
    return r;
}

// Fisher's two-sided p by the definition: enumerate every table with the observed margins,
// in exact integers, and add those no more probable than the observed one.
double fisherByDefinition(int a, int b, int c, int d)
{
    const int row1 = a + b, row2 = c + d, col1 = a + c;
    const quint64 total = choose(row1 + row2, col1);
    const quint64 observed = choose(row1, a) * choose(row2, c);
    quint64 sum = 0;
    for (int x = std::max(0, col1 - row2); x <= std::min(row1, col1); ++x) {
        const quint64 ways = choose(row1, x) * choose(row2, col1 - x);
        if (ways <= observed)
            sum += ways;
    }
    return double(sum) / double(total);
}

} // namespace

class TestHuntStats : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison
    // of seven methods", Stat Med 17:857-872, Table II, method 3 (Wilson score, no continuity
    // correction): the published intervals to four decimals.
    void wilsonPublished_data()
    {
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("n");
        QTest::addColumn<double>("low");
        QTest::addColumn<double>("high");
        QTest::newRow("81/263") << 81 << 263 << 0.2553 << 0.3662;
        QTest::newRow("15/148") << 15 << 148 << 0.0624 << 0.1605;
        QTest::newRow("0/20") << 0 << 20 << 0.0 << 0.1611;
        QTest::newRow("1/29") << 1 << 29 << 0.0061 << 0.1718;
    }
    void wilsonPublished()
    {
        QFETCH(int, k);
        QFETCH(int, n);
        QFETCH(double, low);
        QFETCH(double, high);
        const Interval ci = wilsonInterval(k, n);
        QVERIFY2(std::abs(ci.low - low) < 0.00005, qPrintable(QString::number(ci.low, 'f', 6)));
        QVERIFY2(std::abs(ci.high - high) < 0.00005, qPrintable(QString::number(ci.high, 'f', 6)));
    }

    // With no event the score interval's upper end is z^2 / (n + z^2): for 0 of 600 that is
    // 3.8415 / 603.8415 = 0.6362%, the "0.64%" of the issue.
    void zeroOfN()
    {
        const double z = 1.959963984540054; // qnorm(0.975)
        for (int n : {1, 10, 600, 3000}) {
            const Interval ci = wilsonInterval(0, n);
            QCOMPARE(ci.low, 0.0);
            QVERIFY(std::abs(ci.high - z * z / (n + z * z)) < 1e-12);
        }
        QVERIFY(std::abs(wilsonInterval(0, 600).high - 0.006362) < 0.000001);
        QCOMPARE(formatPercent(wilsonInterval(0, 600).high), QStringLiteral("0.64%"));
        // All events: the mirror image.
        const Interval all = wilsonInterval(600, 600);
        QCOMPARE(all.high, 1.0);
        QVERIFY(std::abs(all.low - (1 - z * z / (600 + z * z))) < 1e-12);
    }

    void wilsonEdges()
    {
        const Interval none = wilsonInterval(0, 0);
        QCOMPARE(none.low, 0.0);
        QCOMPARE(none.high, 1.0);
        const Interval bad = wilsonInterval(5, 3);
        QCOMPARE(bad.low, 0.0);
        QCOMPARE(bad.high, 1.0);
        // Symmetry: k of n and n-k of n mirror each other.
        const Interval a = wilsonInterval(7, 40), b = wilsonInterval(33, 40);
        QVERIFY(std::abs(a.low - (1 - b.high)) < 1e-12);
        QVERIFY(std::abs(a.high - (1 - b.low)) < 1e-12);
    }

    // Fisher's "lady tasting tea" (The Design of Experiments, 1935): 8 cups, 4 with milk first,
    // she names 3 of them right. The tables with these margins have 1, 16, 36, 16, 1 ways out of
    // C(8,4) = 70; the two-sided p adds every table as or less likely than 16/70: 34/70 = 0.4857.
    void fisherLadyTastingTea()
    {
        QCOMPARE(choose(8, 4), quint64(70));
        const double p = fisherExactTwoSided(3, 1, 1, 3);
        QVERIFY(std::abs(p - 34.0 / 70.0) < 1e-9);
        QVERIFY(std::abs(p - 0.4857) < 0.00005);
        QVERIFY(std::abs(p - fisherByDefinition(3, 1, 1, 3)) < 1e-12);
    }

    // Fisher's twins (Lange's data, in Fisher 1935 and R's datasets as `Convictions`):
    // monozygotic 10 convicted / 3 not, dizygotic 2 / 15. R's fisher.test gives the two-sided
    // p = 0.0005367 (one-sided "less" 0.0004652, as its documentation prints).
    void fisherConvictions()
    {
        const double p = fisherExactTwoSided(10, 3, 2, 15);
        QVERIFY2(std::abs(p - 0.0005367) < 0.0000001, qPrintable(QString::number(p, 'g', 8)));
        QVERIFY(std::abs(p - fisherByDefinition(10, 3, 2, 15)) < 1e-12);
        // Rows, columns or the whole table swapped: the same test.
        QVERIFY(std::abs(fisherExactTwoSided(2, 15, 10, 3) - p) < 1e-12);
        QVERIFY(std::abs(fisherExactTwoSided(3, 10, 15, 2) - p) < 1e-12);
        QVERIFY(std::abs(fisherExactTwoSided(10, 2, 3, 15) - p) < 1e-12);
    }

    void fisherOtherTables()
    {
        // Asymmetric, with ties among the tail tables.
        for (auto [a, b, c, d] : {std::array{1, 9, 11, 3}, std::array{0, 5, 5, 0}, std::array{2, 7, 8, 2},
                                  std::array{0, 10, 0, 10}, std::array{5, 0, 0, 0}}) {
            const double expected = fisherByDefinition(a, b, c, d);
            QVERIFY2(std::abs(fisherExactTwoSided(a, b, c, d) - expected) < 1e-9,
                     qPrintable(QStringLiteral("%1 %2 %3 %4").arg(a).arg(b).arg(c).arg(d)));
        }
        QCOMPARE(fisherExactTwoSided(0, 0, 0, 0), 1.0);
        // No difference at all: p = 1.
        QVERIFY(std::abs(fisherExactTwoSided(5, 95, 5, 95) - 1.0) < 1e-9);
        // Large counts (beyond exact 64-bit binomials): 186 of 600 against 0 of 600 is far
        // beyond chance; 31 of 100 vs 29 of 100 is not.
        QVERIFY(fisherExactTwoSided(186, 414, 0, 600) < 1e-50);
        QVERIFY(fisherExactTwoSided(31, 69, 29, 71) > 0.5);
    }

    void formatting()
    {
        QCOMPARE(formatPercent(0.31), QStringLiteral("31%"));
        QCOMPARE(formatPercent(0.0063617), QStringLiteral("0.64%"));
        QCOMPARE(formatPercent(0.042), QStringLiteral("4.2%"));
        QCOMPARE(formatPercent(0.00052), QStringLiteral("0.052%"));
        QCOMPARE(formatPercent(0), QStringLiteral("0%"));
        QCOMPARE(formatPValue(0.0000001), QStringLiteral("p < 0.001"));
        QCOMPARE(formatPValue(0.0123), QStringLiteral("p = 0.012"));
        QCOMPARE(formatPValue(0.4857), QStringLiteral("p = 0.49"));
    }

    // The sentence of the issue, from 186 of 600 before (31%) and 0 of 600 after.
    void statement()
    {
        QCOMPARE(compareStatement({186, 600}, {0, 600}),
                 QStringLiteral("after: 0 crashes in 600 cycles, rate below 0.64% at 95%; before: 31%, p < 0.001"));
        QCOMPARE(compareStatement({3, 100}, {2, 100}),
                 QStringLiteral("after: 2 crashes in 100 cycles (2.0%, 95% CI 0.55%-7.0%); before: 3.0%, no "
                                "significant difference (p = 1.00)"));
        QVERIFY(compareStatement({0, 0}, {0, 10}).startsWith(QStringLiteral("no comparison")));
    }
};

QTEST_GUILESS_MAIN(TestHuntStats)
#include "tst_huntstats.moc"
