#include "hunt/huntgrid.h"

#include <QRegularExpression>

namespace kms::hunt {

QString loadName(BackgroundLoad load)
{
    switch (load) {
    case BackgroundLoad::None:
        return QStringLiteral("none");
    case BackgroundLoad::Cpu:
        return QStringLiteral("cpu");
    case BackgroundLoad::Irq:
        return QStringLiteral("irq");
    }
    return {};
}

std::optional<BackgroundLoad> parseLoad(const QString &name)
{
    for (BackgroundLoad load : {BackgroundLoad::None, BackgroundLoad::Cpu, BackgroundLoad::Irq}) {
        if (name == loadName(load))
            return load;
    }
    return std::nullopt;
}

namespace {

bool validParamName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$"));
    return re.match(name).hasMatch();
}

bool validParamValue(const QString &value)
{
    for (QChar c : value) {
        if (c.isSpace() || c.unicode() < 0x20 || c.unicode() == 0x7f)
            return false;
    }
    return value.size() <= 1024;
}

std::optional<int> parseSettle(const QString &text)
{
    QString number = text.trimmed();
    int scale = 1;
    if (number.endsWith(QLatin1String("ms"))) {
        number.chop(2);
    } else if (number.endsWith(QLatin1Char('s'))) {
        number.chop(1);
        scale = 1000;
    }
    bool ok = false;
    const qint64 value = number.toLongLong(&ok);
    if (!ok || value < 0 || value * scale > 3600 * 1000)
        return std::nullopt;
    return int(value * scale);
}

std::optional<bool> parseOnOff(const QString &text)
{
    if (text == QLatin1String("on") || text == QLatin1String("1") || text == QLatin1String("yes"))
        return true;
    if (text == QLatin1String("off") || text == QLatin1String("0") || text == QLatin1String("no"))
        return false;
    return std::nullopt;
}

} // namespace

std::optional<ModuleParams> parseModuleParams(const QString &text, QString *error)
{
    ModuleParams params;
    const QStringList words = text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    for (const QString &word : words) {
        const qsizetype eq = word.indexOf(QLatin1Char('='));
        const QString name = eq < 0 ? word : word.left(eq);
        const QString value = eq < 0 ? QString() : word.mid(eq + 1);
        if (!validParamName(name)) {
            *error = QStringLiteral("'%1' is not a module parameter name").arg(name);
            return std::nullopt;
        }
        if (!validParamValue(value)) {
            *error = QStringLiteral("the value of '%1' holds a control character").arg(name);
            return std::nullopt;
        }
        params = withParam(params, name, value);
    }
    return params;
}

QString formatModuleParams(const ModuleParams &params)
{
    QStringList words;
    for (const auto &[name, value] : params)
        words << (value.isEmpty() ? name : name + QLatin1Char('=') + value);
    return words.join(QLatin1Char(' '));
}

ModuleParams withParam(ModuleParams params, const QString &name, const QString &value)
{
    for (auto &param : params) {
        if (param.first == name) {
            param.second = value;
            return params;
        }
    }
    params.append({name, value});
    return params;
}

std::optional<Dimension> Dimension::parse(const QString &spec, QString *error)
{
    const qsizetype eq = spec.indexOf(QLatin1Char('='));
    if (eq <= 0) {
        *error = QStringLiteral("'%1': expected NAME=v1,v2,... (settle, param:NAME, load, reader)").arg(spec);
        return std::nullopt;
    }
    const QString key = spec.left(eq).trimmed();
    QStringList values = spec.mid(eq + 1).split(QLatin1Char(','));
    for (QString &value : values)
        value = value.trimmed();
    if (values.contains(QString())) {
        *error = QStringLiteral("'%1': an empty value").arg(spec);
        return std::nullopt;
    }
    if (values.removeDuplicates() > 0) {
        *error = QStringLiteral("'%1': a value given twice").arg(spec);
        return std::nullopt;
    }

    Dimension d;
    d.values = values;
    if (key == QLatin1String("settle") || key == QLatin1String("settle_ms")) {
        d.kind = Kind::Settle;
        d.name = QStringLiteral("settle_ms");
        for (QString &value : d.values) {
            const auto ms = parseSettle(value);
            if (!ms) {
                *error = QStringLiteral("settle '%1': expected milliseconds (10, 10ms, 1s; at most 1 h)").arg(value);
                return std::nullopt;
            }
            value = QString::number(*ms);
        }
    } else if (key.startsWith(QLatin1String("param:"))) {
        d.kind = Kind::Param;
        d.name = key.mid(6);
        if (!validParamName(d.name)) {
            *error = QStringLiteral("'%1' is not a module parameter name").arg(d.name);
            return std::nullopt;
        }
        for (const QString &value : d.values) {
            if (!validParamValue(value)) {
                *error
                    = QStringLiteral("param:%1: value '%2' holds whitespace or a control character").arg(d.name, value);
                return std::nullopt;
            }
        }
    } else if (key == QLatin1String("load")) {
        d.kind = Kind::Load;
        d.name = key;
        for (const QString &value : d.values) {
            if (!parseLoad(value)) {
                *error = QStringLiteral("load '%1': expected none, cpu or irq").arg(value);
                return std::nullopt;
            }
        }
    } else if (key == QLatin1String("telemetry") || key == QLatin1String("reader")) {
        // A telemetry reader open during the settle, or not ("reader" is the CLI's word).
        d.kind = Kind::Telemetry;
        d.name = QStringLiteral("telemetry");
        for (QString &value : d.values) {
            const auto on = parseOnOff(value);
            if (!on) {
                *error = QStringLiteral("telemetry '%1': expected on or off").arg(value);
                return std::nullopt;
            }
            value = *on ? QStringLiteral("on") : QStringLiteral("off");
        }
        if (d.values.removeDuplicates() > 0) {
            *error = QStringLiteral("'%1': a value given twice").arg(spec);
            return std::nullopt;
        }
    } else {
        *error = QStringLiteral("'%1': unknown condition (settle, param:NAME, load, reader)").arg(key);
        return std::nullopt;
    }
    return d;
}

bool Grid::add(const Dimension &dimension, QString *error)
{
    if (dimension.values.isEmpty()) {
        *error = QStringLiteral("%1: no values").arg(dimension.name);
        return false;
    }
    for (const Dimension &existing : std::as_const(m_dimensions)) {
        if (existing.kind == dimension.kind && existing.name == dimension.name) {
            *error = QStringLiteral("%1 is varied twice").arg(dimension.name);
            return false;
        }
    }
    m_dimensions.append(dimension);
    return true;
}

qsizetype Grid::cellCount() const
{
    qsizetype count = 1;
    for (const Dimension &d : m_dimensions)
        count *= d.values.size();
    return count;
}

QList<Conditions> Grid::cells(const Conditions &base) const
{
    QList<Conditions> cells{base};
    for (const Dimension &d : m_dimensions) {
        QList<Conditions> next;
        next.reserve(cells.size() * d.values.size());
        for (const Conditions &cell : std::as_const(cells)) {
            for (const QString &value : d.values) {
                Conditions c = cell;
                switch (d.kind) {
                case Dimension::Kind::Settle:
                    c.settleMs = value.toInt();
                    break;
                case Dimension::Kind::Param:
                    c.params = withParam(c.params, d.name, value);
                    break;
                case Dimension::Kind::Load:
                    c.load = *parseLoad(value);
                    break;
                case Dimension::Kind::Telemetry:
                    c.telemetry = value == QLatin1String("on");
                    break;
                }
                next.append(c);
            }
        }
        cells = next;
    }
    return cells;
}

} // namespace kms::hunt
