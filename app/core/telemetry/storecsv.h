// CSV of the full-rate samples a TelemetryStore still holds over a time range: the header is
// `t_ns` then the keys, one row per node time, an empty cell where a key had no sample then
// (the same layout as `kmodscope-cli telemetry --csv`).
#pragma once

#include "telemetry/telemetrystore.h"

class QIODevice;

namespace kms::telemetry {

struct CsvExportResult {
    bool ok = false;
    qint64 rows = 0;
    QString error;
};

CsvExportResult writeStoreCsv(const TelemetryStore &store, const QStringList &keys, qint64 t0Ns, qint64 t1Ns,
                              QIODevice *out);

} // namespace kms::telemetry
