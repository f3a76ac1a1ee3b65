#include "telemetry/storecsv.h"

#include <QIODevice>

#include <map>
#include <optional>
#include <vector>

namespace kms::telemetry {

CsvExportResult writeStoreCsv(const TelemetryStore &store, const QStringList &keys, qint64 t0Ns, qint64 t1Ns,
                              QIODevice *out)
{
    CsvExportResult r;
    // Merge the channels by time: the rows of one stream line share their t_ns.
    std::map<qint64, std::vector<std::optional<double>>> rows;
    for (qsizetype k = 0; k < keys.size(); ++k) {
        for (const RawSample &s : store.samples(keys[k], t0Ns, t1Ns)) {
            auto &row = rows[s.t];
            row.resize(size_t(keys.size()));
            row[size_t(k)] = s.v;
        }
    }
    QByteArray text = "t_ns";
    for (const QString &k : keys)
        text += ',' + k.toUtf8();
    text += '\n';
    for (const auto &[t, row] : rows) {
        text += QByteArray::number(t);
        for (const auto &v : row) {
            text += ',';
            if (v)
                text += QByteArray::number(*v, 'g', 17);
        }
        text += '\n';
        if (text.size() > (1 << 20)) {
            if (out->write(text) != text.size()) {
                r.error = out->errorString();
                return r;
            }
            text.clear();
        }
        ++r.rows;
    }
    if (out->write(text) != text.size()) {
        r.error = out->errorString();
        return r;
    }
    r.ok = true;
    return r;
}

} // namespace kms::telemetry
