// Pieces shared by the headline tables (reportmarkers.cpp) and the classifiers of the messages
// that WARN(), BUG() and CHECK_DATA_CORRUPTION() print before their "WARNING:" or "kernel BUG
// at" line (reportmessages.cpp). Internal to the report area.
#pragma once

#include "report/reportmarkers.h"

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace kms::markerparts {

ReportStart make(ReportKind kind, QByteArrayView what, bool expectsEnd = false, bool secondary = false);
// A message that the report's WARNING/BUG line follows (ReportStart::message).
ReportStart message(ReportKind kind, QByteArrayView what);
// "foo+0x670/0x690 [mod]" from a headline's tail; empty when it names no function.
QByteArray symbolText(QByteArrayView sym);
QByteArray symbolAfter(QByteArrayView s, QByteArrayView key);

// lib/debugobjects.c: text after "ODEBUG: ".
std::optional<ReportStart> classifyOdebug(QByteArrayView rest);
// lib/refcount.c, arch/x86/lib/refcount.c: a line starting with "refcount_t".
std::optional<ReportStart> classifyRefcount(QByteArrayView t);
// mm/usercopy.c usercopy_abort(): a line starting with "usercopy: ".
std::optional<ReportStart> classifyUsercopy(QByteArrayView t);
// The FORTIFY_SOURCE checks: "detected buffer overflow in strcpy" (4.13-6.7), "strcpy: detected
// buffer write overflow" (6.8), "strcpy: detected buffer overflow: 17 byte write ..." (6.9+),
// "memcpy: detected field-spanning write ..." (6.1+).
std::optional<ReportStart> classifyFortify(QByteArrayView t);

// mm/slab_common.c kmem_cache_destroy(): a line starting with "kmem_cache_destroy ".
std::optional<ReportStart> classifySlabDestroy(QByteArrayView t);

} // namespace kms::markerparts
