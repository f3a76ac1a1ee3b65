// The logs of tests/data/formats/ (each written from the kernel function that prints it) and
// the check both format tests make of one report in them.
#pragma once

#include "report/guiltyframe.h"
#include "report/reportdetector.h"

#include <QFile>
#include <QTest>

namespace kms::test {

inline QByteArray readFormat(const QString &name)
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/formats/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(name));
    return f.readAll();
}

// Report `index` of the `count` the log gives is what a maintainer would write, and whole.
inline void checkFormatReport(const QString &file, int index, int count, const QString &kind, const QString &title,
                              const QString &guilty, const QString &module, bool panicked)
{
    const QList<KernelReport> reports = detectReports(readFormat(file));
    QCOMPARE(reports.size(), count);
    const KernelReport &r = reports[index];
    QCOMPARE(toString(r.kind), kind);
    QCOMPARE(r.title, title);
    QCOMPARE(r.guiltyFunction, guilty);
    QCOMPARE(r.guiltyModule, module);
    QCOMPARE(r.panicked, panicked);
    QVERIFY(!r.interleaved);
}

} // namespace kms::test
