// Which lines of a console belong to an open report, by their look alone: the detector's
// vocabulary (trace headers, context markers, trailers after a trace, hex dumps, the bottom of
// a stack). Byte comparisons only: these run on every line of every report.
#pragma once

#include "report/reportmarkers.h"

#include <QByteArrayView>
#include <QString>

namespace kms::reportlines {

// "RIP: 0010:f+0x1/0x2 [m]", "Code: ...", "RAX: ... RBX: ...": what x86 repeats after the end marker.
bool isRegisterRepeatLine(QByteArrayView trimmedText);
bool isContextMarker(QByteArrayView trimmedText); // "<IRQ>", "</TASK>", "<#DF>" ...
bool isTraceHeader(QByteArrayView trimmedText); // "Call Trace:", "Allocated by task", "backtrace:" ...
// mm/slub.c print_track() since 5.14: "Allocated in f+0x2b/0x80 age=12 cpu=0 pid=1" ("INFO: " before).
bool isSlubTrack(QByteArrayView trimmedText);
// Lines a report with no trace yet may hold, per kind; anything else is foreign there.
bool belongsInHeader(const ReportStart &start, QByteArrayView raw, QByteArrayView trimmedText);
bool isHexDumpLine(QByteArrayView trimmedText);
// Lines that belong to a report after its trace: register dumps, code bytes, die()/panic()
// trailers, further CPUs' traces, lock lists.
bool isReportTrailer(QByteArrayView raw, QByteArrayView trimmedText);
// The outermost frame of a task's stack: a trace that printed it is complete.
bool isBottomFrame(QByteArrayView function);
bool isMceLine(QByteArrayView trimmedText);

} // namespace kms::reportlines
