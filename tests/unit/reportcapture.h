// A captured kernel log of the virtual node (tests/data/captures) and the reports the real
// detector finds in it, for the tests that need reports as a node printed them.
#pragma once

#include "report/reportdetector.h"

#include <QFile>

namespace reportcapture {

// The x86_64 unload_race panic of prudaq; empty when it cannot be read.
inline QByteArray unloadRace()
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/captures/x86_64-prudaq-unload_race.log"));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

inline QList<kms::KernelReport> detect(const QByteArray &log, const QString &source)
{
    QList<kms::KernelReport> reports;
    kms::ReportDetector detector([&reports](kms::KernelReport &&r) { reports.append(std::move(r)); });
    detector.setSource(source);
    for (const QByteArray &line : log.split('\n'))
        detector.feedLine(line);
    detector.finish();
    return reports;
}

} // namespace reportcapture
