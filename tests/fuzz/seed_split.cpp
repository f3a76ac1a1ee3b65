// Builds fuzz_report's seed corpus from whole logs: one seed per report the detector finds (its
// lines plus a little context, cut at maxBytes on a line boundary), and a few pieces of the lines
// between reports (the false-positive paths). A 50 KB log seeded whole costs every execution
// that mutates it what its 50 KB cost, and libFuzzer truncates it at -max_len anyway; a report
// seeded alone keeps its coverage at a tenth of the bytes.
//   seed_split OUT_DIR MAX_BYTES LOG...
#include "report/reportdetector.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

#include <cstdio>

using namespace kms;

namespace {

constexpr int contextBefore = 3; // "cut here", a rule, the line that triggered it
constexpr int contextAfter = 2; // a "Kernel panic" or the next prompt
constexpr int maxPiecesBetween = 2; // per log: noise is cheap to seed but adds little

// Line starts of log (offsets), plus the end.
QList<qsizetype> lineStarts(const QByteArray &log)
{
    QList<qsizetype> starts{0};
    for (qsizetype i = 0; i < log.size(); ++i) {
        if (log[i] == '\n' && i + 1 < log.size())
            starts.append(i + 1);
    }
    starts.append(log.size());
    return starts;
}

class Writer
{
public:
    Writer(QString dir, qsizetype maxBytes)
        : m_dir(std::move(dir))
        , m_maxBytes(maxBytes)
    {
    }

    // Writes lines [first, last] (1-based), cut to maxBytes at a line boundary; returns the
    // last line written (0 if none).
    int writeLines(const QByteArray &log, const QList<qsizetype> &starts, int first, int last)
    {
        const int lines = int(starts.size()) - 1;
        first = qMax(1, first);
        last = qMin(lines, last);
        if (first > last)
            return 0;
        const qsizetype begin = starts[first - 1];
        int l = first;
        while (l < last && starts[l + 1] - begin <= m_maxBytes)
            ++l;
        // A single line longer than maxBytes is cut inside.
        const qsizetype end = qMin(starts[l], begin + m_maxBytes);
        write(log.mid(begin, end - begin));
        return l;
    }

    void write(const QByteArray &seed)
    {
        if (seed.trimmed().isEmpty())
            return;
        // Named by content: the same report in two logs is one seed.
        const QByteArray name = QCryptographicHash::hash(seed, QCryptographicHash::Sha1).toHex().left(16);
        QFile f(m_dir + QLatin1Char('/') + QString::fromLatin1(name));
        if (f.exists())
            return;
        if (!f.open(QIODevice::WriteOnly) || f.write(seed) != seed.size()) {
            std::fprintf(stderr, "seed_split: cannot write %s\n", qPrintable(f.fileName()));
            std::exit(1);
        }
        ++m_written;
    }

    int written() const { return m_written; }

private:
    QString m_dir;
    qsizetype m_maxBytes;
    int m_written = 0;
};

} // namespace

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: seed_split OUT_DIR MAX_BYTES LOG...\n");
        return 2;
    }
    const QString outDir = QString::fromLocal8Bit(argv[1]);
    const qsizetype maxBytes = QByteArray(argv[2]).toLongLong();
    if (maxBytes < 256 || !QDir().mkpath(outDir)) {
        std::fprintf(stderr, "seed_split: bad output directory or size\n");
        return 2;
    }
    Writer writer(outDir, maxBytes);
    for (int i = 3; i < argc; ++i) {
        QFile f(QString::fromLocal8Bit(argv[i]));
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "seed_split: cannot read %s\n", argv[i]);
            return 1;
        }
        const QByteArray log = f.readAll();
        const QList<qsizetype> starts = lineStarts(log);
        const int lines = int(starts.size()) - 1;
        int next = 1; // first line not yet covered by a report slice
        int between = 0;
        auto writeBetween = [&](int first, int last) {
            for (int l = qMax(1, first); l <= last && between < maxPiecesBetween; ++between)
                l = writer.writeLines(log, starts, l, last) + 1;
        };
        detectReports(log, [&](KernelReport &&r) {
            writeBetween(next, r.firstLine - contextBefore - 1);
            writer.writeLines(log, starts, r.firstLine - contextBefore, r.lastLine + contextAfter);
            next = qMax(next, r.lastLine + contextAfter + 1);
        });
        writeBetween(next, lines);
    }
    std::printf("seed_split: %d seeds of at most %lld bytes in %s\n", writer.written(), qlonglong(maxBytes),
                qPrintable(outDir));
    return 0;
}
