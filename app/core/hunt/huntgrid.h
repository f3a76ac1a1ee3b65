// The conditions a hunt varies, and the grid of cells they span. A cell is one combination:
// settle time between load and unload, the module's parameters, background load on the node,
// and whether a telemetry reader is open during the settle.
#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace kms::hunt {

enum class BackgroundLoad {
    None,
    Cpu, // a `nice`d busy loop on the node (a busybox shell is enough)
    Irq, // network traffic from the host to the node's SSH port: interrupts and softirqs there
};
QString loadName(BackgroundLoad load);
std::optional<BackgroundLoad> parseLoad(const QString &name);

using ModuleParams = QList<QPair<QString, QString>>; // in order; an empty value is a bare flag

// `k=v k2 k3=v3`, as modprobe takes them. Names are checked (letters, digits, '_', '-'), values
// may not hold whitespace or control characters (they are shell-quoted when used anyway).
std::optional<ModuleParams> parseModuleParams(const QString &text, QString *error);
QString formatModuleParams(const ModuleParams &params); // the inverse, for commands
// `params` with `name` set to `value` (replacing, or appended at the end).
ModuleParams withParam(ModuleParams params, const QString &name, const QString &value);

struct Conditions {
    int settleMs = 0;
    ModuleParams params; // effective: the base parameters with the cell's values applied
    BackgroundLoad load = BackgroundLoad::None;
    bool telemetry = false;

    bool operator==(const Conditions &other) const = default;
};

struct Dimension {
    enum class Kind { Settle, Param, Load, Telemetry };
    Kind kind = Kind::Settle;
    QString name; // the module parameter's name for Param, else settle_ms / load / telemetry
    QStringList values; // as given, validated

    // `settle=0,10,100` (ms; `5ms`, `1s` also), `param:NAME=v1,v2`, `load=none,cpu,irq`,
    // `reader=off,on` (also `telemetry=off,on`). A clear message in *error otherwise.
    static std::optional<Dimension> parse(const QString &spec, QString *error);
};

class Grid
{
public:
    // Refuses a second dimension with the same name, and a dimension without values.
    bool add(const Dimension &dimension, QString *error);
    const QList<Dimension> &dimensions() const { return m_dimensions; }

    qsizetype cellCount() const;
    // Every combination, the first dimension varying slowest (the order a person would run
    // them in by hand, and the "in order" baseline of the adaptive scheduler).
    QList<Conditions> cells(const Conditions &base) const;

private:
    QList<Dimension> m_dimensions;
};

} // namespace kms::hunt
