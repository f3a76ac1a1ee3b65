// The lines of one detected report -> every field of KernelReport. Runs only on report lines,
// never on ordinary log lines, so it may afford QString conversions.
#pragma once

#include "report/kernelreport.h"
#include "report/reportmarkers.h"

#include <QByteArrayView>
#include <QList>

namespace kms {

class ReportParser
{
public:
    struct Line {
        QByteArrayView text; // console prefixes removed
        int number = 0; // 1-based in the input
    };

    // Fills report from lines; kind, panicked, corrupted, firstLine/lastLine and source are the
    // detector's and are left alone, except that the title needs `start`.
    // "RAX: 000000000000002b RBX: ...", "r10: bf19f45c  r9 : bf19f418", "pc : [<bf19b018>] ...".
    static bool isRegisterLine(QByteArrayView trimmedText);

    static void parse(const ReportStart &start, const QList<Line> &lines, KernelReport &report);
};

} // namespace kms
