// The Hunt dock's settings: module and base parameters, the conditions varied (settle times,
// module parameters `name=v1,v2`, background loads, a telemetry reader off/on), cycles and crashes per cell, budget,
// order and seed, and a compare of two builds (two local .ko, or two install commands run on
// the node). Kept in the app's settings between runs; turned into the core's hunt config with
// the same checks as `kmodscope-cli hunt`.
#pragma once

#include "cycle/cycleconfig.h"
#include "hunt/hunt.h"
#include "hunt/huntsetup.h"

#include <QJsonObject>
#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;
class QPushButton;

namespace kms::gui {

class HuntForm : public QWidget
{
    Q_OBJECT
public:
    enum class CompareMode { Off, KoFiles, InstallCommands };

    explicit HuntForm(QWidget *parent = nullptr);

    // What Start needs: the grid (for the heat map's axes), the hunt, and the runs' base.
    struct Prepared {
        kms::hunt::GridSetup grid;
        kms::hunt::HuntConfig hunt;
        kms::CycleRunConfig run;
        CompareMode compare = CompareMode::Off;
    };
    // The form checked and turned into configs (`reproducer` is left to the caller); nullopt
    // with a message naming the field otherwise.
    std::optional<Prepared> prepare(QString *error) const;

    QJsonObject toJson() const;
    void fromJson(const QJsonObject &json);
    void setDefaultModule(const QString &module); // when the form has none yet

    // The fields (tests fill them as a user would).
    QLineEdit *moduleEdit() const { return m_module; }
    QLineEdit *paramsEdit() const { return m_params; }
    QLineEdit *settleEdit() const { return m_settle; }
    QLineEdit *varyParamsEdit() const { return m_varyParams; }
    QCheckBox *loadBox(kms::hunt::BackgroundLoad load) const;
    QCheckBox *readerBox(bool on) const { return on ? m_readerOn : m_readerOff; }
    QLineEdit *readerPathEdit() const { return m_readerPath; }
    QSpinBox *cyclesSpin() const { return m_cycles; }
    QSpinBox *crashesSpin() const { return m_crashes; }
    QSpinBox *batchSpin() const { return m_batch; }
    QLineEdit *budgetEdit() const { return m_budget; }
    QComboBox *orderBox() const { return m_order; }
    QSpinBox *seedSpin() const { return m_seed; }
    QComboBox *compareBox() const { return m_compare; }
    QLineEdit *compareAEdit() const { return m_compareA; }
    QLineEdit *compareBEdit() const { return m_compareB; }
    QLineEdit *insmodEdit() const { return m_insmod; }
    QSpinBox *returnTimeoutSpin() const { return m_returnTimeout; }

private:
    void updateCompareFields();

    QLineEdit *m_module, *m_params, *m_insmod, *m_settle, *m_varyParams, *m_budget, *m_compareA, *m_compareB,
        *m_readerPath;
    QCheckBox *m_loadNone, *m_loadCpu, *m_loadIrq, *m_readerOff, *m_readerOn, *m_sudo;
    QSpinBox *m_cycles, *m_crashes, *m_batch, *m_seed, *m_returnTimeout;
    QComboBox *m_order, *m_compare;
    QPushButton *m_browseA, *m_browseB;
};

} // namespace kms::gui
