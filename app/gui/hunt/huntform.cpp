#include "huntform.h"

#include "telemetry/telemetrysource.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>

namespace kms::gui {

using namespace kms::hunt;

namespace {

QSpinBox *spin(int min, int max, const QString &suffix, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(min, max);
    box->setSuffix(suffix);
    box->setAccelerated(true);
    return box;
}

QLineEdit *edit(const QString &name, const QString &placeholder, QWidget *parent)
{
    auto *e = new QLineEdit(parent);
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    return e;
}

QHBoxLayout *row(std::initializer_list<QWidget *> widgets, bool stretch = true)
{
    auto *layout = new QHBoxLayout;
    for (QWidget *w : widgets)
        layout->addWidget(w);
    if (stretch)
        layout->addStretch();
    return layout;
}

} // namespace

HuntForm::HuntForm(QWidget *parent)
    : QWidget(parent)
{
    auto *form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    m_module = edit(QStringLiteral("huntModule"), tr("module name, as modprobe takes it"), this);
    m_params = edit(QStringLiteral("huntParams"), tr("every cell: k=v k2=v2"), this);
    m_insmod = edit(QStringLiteral("huntInsmod"), tr("insmod PATH on the node (empty: modprobe)"), this);
    auto *moduleRow = new QHBoxLayout;
    moduleRow->addWidget(m_module, 1);
    moduleRow->addWidget(new QLabel(tr("Params:"), this));
    moduleRow->addWidget(m_params, 2);
    moduleRow->addWidget(m_insmod, 2);
    form->addRow(tr("Module:"), moduleRow);

    m_settle = edit(QStringLiteral("huntSettle"), tr("ms, e.g. 0,10,100 (empty: 0)"), this);
    m_varyParams = edit(QStringLiteral("huntVaryParams"), tr("name=v1,v2 (several: space-separated)"), this);
    auto *varyRow = new QHBoxLayout;
    varyRow->addWidget(new QLabel(tr("Settle:"), this));
    varyRow->addWidget(m_settle, 1);
    varyRow->addWidget(new QLabel(tr("Params:"), this));
    varyRow->addWidget(m_varyParams, 2);
    m_loadNone = new QCheckBox(tr("none"), this);
    m_loadCpu = new QCheckBox(tr("cpu"), this);
    m_loadIrq = new QCheckBox(tr("irq"), this);
    m_loadCpu->setToolTip(tr("A busy loop on the node, reniced to 19"));
    m_loadIrq->setToolTip(tr("Network traffic from this host to the node's SSH port"));
    varyRow->addWidget(new QLabel(tr("Load:"), this));
    varyRow->addWidget(m_loadNone);
    varyRow->addWidget(m_loadCpu);
    varyRow->addWidget(m_loadIrq);
    form->addRow(tr("Vary:"), varyRow);

    m_readerOff = new QCheckBox(tr("off"), this);
    m_readerOn = new QCheckBox(tr("on"), this);
    m_readerOn->setToolTip(tr("A reader of the stream open while the module settles, closed before the unload"));
    m_readerPath = edit(QStringLiteral("huntReaderPath"), QString::fromLatin1(telemetry::defaultStreamPath), this);
    auto *readerRow = new QHBoxLayout;
    readerRow->addWidget(m_readerOff);
    readerRow->addWidget(m_readerOn);
    readerRow->addWidget(new QLabel(tr("stream:"), this));
    readerRow->addWidget(m_readerPath, 1);
    form->addRow(tr("Telemetry reader:"), readerRow);

    m_cycles = spin(1, 1000000, QString(), this);
    m_cycles->setObjectName(QStringLiteral("huntCycles"));
    m_crashes = spin(0, 1000000, QString(), this);
    m_crashes->setObjectName(QStringLiteral("huntCrashes"));
    m_crashes->setSpecialValueText(tr("no limit"));
    m_batch = spin(1, 10000, QString(), this);
    m_batch->setToolTip(tr("Cycles per turn of a cell"));
    m_budget = edit(QStringLiteral("huntBudget"), tr("cycles (500) or time (30m); empty: none"), this);
    form->addRow(tr("Per cell:"),
                 row({new QLabel(tr("cycles"), this), m_cycles, new QLabel(tr("crashes"), this), m_crashes,
                      new QLabel(tr("turn"), this), m_batch, new QLabel(tr("Budget:"), this), m_budget}));

    m_order = new QComboBox(this);
    m_order->addItem(tr("adaptive"), QStringLiteral("adaptive"));
    m_order->addItem(tr("grid order"), QStringLiteral("grid"));
    m_order->setToolTip(tr("Adaptive: the most promising cell next (Thompson sampling); grid: one after another"));
    m_seed = spin(0, 1000000000, QString(), this);
    m_sudo = new QCheckBox(tr("sudo -n"), this);
    m_returnTimeout = spin(5, 3600, tr(" s"), this);
    m_returnTimeout->setToolTip(tr("How long to wait for the node to come back after a crash"));
    form->addRow(tr("Order:"),
                 row({m_order, new QLabel(tr("seed"), this), m_seed, new QLabel(tr("return timeout"), this),
                      m_returnTimeout, m_sudo}));

    m_compare = new QComboBox(this);
    m_compare->setObjectName(QStringLiteral("huntCompare"));
    m_compare->addItem(tr("no compare"));
    m_compare->addItem(tr("two .ko files"));
    m_compare->addItem(tr("two install commands"));
    m_compareA = edit(QStringLiteral("huntCompareA"), QString(), this);
    m_compareB = edit(QStringLiteral("huntCompareB"), QString(), this);
    m_browseA = new QPushButton(tr("…"), this);
    m_browseB = new QPushButton(tr("…"), this);
    for (QPushButton *b : {m_browseA, m_browseB})
        b->setMaximumWidth(b->fontMetrics().horizontalAdvance(QStringLiteral("……")) + 12);
    auto *compareRow = new QHBoxLayout;
    compareRow->addWidget(m_compare);
    compareRow->addWidget(new QLabel(tr("A:"), this));
    compareRow->addWidget(m_compareA, 1);
    compareRow->addWidget(m_browseA);
    compareRow->addWidget(new QLabel(tr("B:"), this));
    compareRow->addWidget(m_compareB, 1);
    compareRow->addWidget(m_browseB);
    form->addRow(tr("Compare:"), compareRow);
    connect(m_compare, &QComboBox::currentIndexChanged, this, &HuntForm::updateCompareFields);
    for (auto [button, target] : {std::pair{m_browseA, m_compareA}, std::pair{m_browseB, m_compareB}}) {
        connect(button, &QPushButton::clicked, this, [this, target = target] {
            const QString path = QFileDialog::getOpenFileName(this, tr("A build of the module"), target->text(),
                                                              tr("Kernel modules (*.ko);;All files (*)"));
            if (!path.isEmpty())
                target->setText(path);
        });
    }
    fromJson({});
}

QCheckBox *HuntForm::loadBox(BackgroundLoad load) const
{
    switch (load) {
    case BackgroundLoad::None:
        return m_loadNone;
    case BackgroundLoad::Cpu:
        return m_loadCpu;
    case BackgroundLoad::Irq:
        return m_loadIrq;
    }
    return m_loadNone;
}

void HuntForm::updateCompareFields()
{
    const auto mode = CompareMode(m_compare->currentIndex());
    for (QWidget *w : std::initializer_list<QWidget *>{m_compareA, m_compareB})
        w->setEnabled(mode != CompareMode::Off);
    m_browseA->setVisible(mode == CompareMode::KoFiles);
    m_browseB->setVisible(mode == CompareMode::KoFiles);
    const bool commands = mode == CompareMode::InstallCommands;
    m_compareA->setPlaceholderText(commands ? tr("run on the node before A's cells, e.g. make -C /src/before install")
                                            : tr("before.ko (here)"));
    m_compareB->setPlaceholderText(commands ? tr("… before B's cells") : tr("after.ko (here)"));
    m_compareA->setToolTip(commands ? tr("Run on the node as sh -c 'COMMAND'; then the module is loaded as usual")
                                    : tr("Uploaded to the node and loaded with insmod"));
    m_compareB->setToolTip(m_compareA->toolTip());
}

void HuntForm::setDefaultModule(const QString &module)
{
    if (m_module->text().trimmed().isEmpty())
        m_module->setText(module);
}

QJsonObject HuntForm::toJson() const
{
    return {{QStringLiteral("module"), m_module->text()},
            {QStringLiteral("params"), m_params->text()},
            {QStringLiteral("insmod"), m_insmod->text()},
            {QStringLiteral("settle"), m_settle->text()},
            {QStringLiteral("vary_params"), m_varyParams->text()},
            {QStringLiteral("load_none"), m_loadNone->isChecked()},
            {QStringLiteral("load_cpu"), m_loadCpu->isChecked()},
            {QStringLiteral("load_irq"), m_loadIrq->isChecked()},
            {QStringLiteral("reader_off"), m_readerOff->isChecked()},
            {QStringLiteral("reader_on"), m_readerOn->isChecked()},
            {QStringLiteral("reader_path"), m_readerPath->text()},
            {QStringLiteral("cycles"), m_cycles->value()},
            {QStringLiteral("crashes"), m_crashes->value()},
            {QStringLiteral("batch"), m_batch->value()},
            {QStringLiteral("budget"), m_budget->text()},
            {QStringLiteral("order"), m_order->currentData().toString()},
            {QStringLiteral("seed"), m_seed->value()},
            {QStringLiteral("sudo"), m_sudo->isChecked()},
            {QStringLiteral("return_timeout_s"), m_returnTimeout->value()},
            {QStringLiteral("compare"), m_compare->currentIndex()},
            {QStringLiteral("compare_a"), m_compareA->text()},
            {QStringLiteral("compare_b"), m_compareB->text()}};
}

void HuntForm::fromJson(const QJsonObject &j)
{
    const ScheduleLimits limits;
    m_module->setText(j.value(QStringLiteral("module")).toString());
    m_params->setText(j.value(QStringLiteral("params")).toString());
    m_insmod->setText(j.value(QStringLiteral("insmod")).toString());
    m_settle->setText(j.value(QStringLiteral("settle")).toString());
    m_varyParams->setText(j.value(QStringLiteral("vary_params")).toString());
    m_loadNone->setChecked(j.value(QStringLiteral("load_none")).toBool(true));
    m_loadCpu->setChecked(j.value(QStringLiteral("load_cpu")).toBool());
    m_loadIrq->setChecked(j.value(QStringLiteral("load_irq")).toBool());
    m_readerOff->setChecked(j.value(QStringLiteral("reader_off")).toBool(true));
    m_readerOn->setChecked(j.value(QStringLiteral("reader_on")).toBool());
    m_readerPath->setText(j.value(QStringLiteral("reader_path")).toString());
    m_cycles->setValue(j.value(QStringLiteral("cycles")).toInt(int(limits.cyclesPerCell)));
    m_crashes->setValue(j.value(QStringLiteral("crashes")).toInt(int(limits.crashesPerCell)));
    m_batch->setValue(j.value(QStringLiteral("batch")).toInt(int(limits.batch)));
    m_budget->setText(j.value(QStringLiteral("budget")).toString());
    m_order->setCurrentIndex(std::max(0, m_order->findData(j.value(QStringLiteral("order")).toString())));
    m_seed->setValue(j.value(QStringLiteral("seed")).toInt(1));
    m_sudo->setChecked(j.value(QStringLiteral("sudo")).toBool());
    m_returnTimeout->setValue(j.value(QStringLiteral("return_timeout_s")).toInt(CycleRunConfig().returnTimeoutS));
    m_compare->setCurrentIndex(std::clamp(j.value(QStringLiteral("compare")).toInt(), 0, 2));
    m_compareA->setText(j.value(QStringLiteral("compare_a")).toString());
    m_compareB->setText(j.value(QStringLiteral("compare_b")).toString());
    updateCompareFields();
}

std::optional<HuntForm::Prepared> HuntForm::prepare(QString *error) const
{
    Prepared p;
    // The form's words as the CLI's options: the same parser, the same messages.
    QStringList vary;
    if (!m_settle->text().trimmed().isEmpty())
        vary << QStringLiteral("settle=") + m_settle->text().trimmed().remove(QLatin1Char(' '));
    const QStringList words
        = m_varyParams->text().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    for (const QString &word : words)
        vary << QStringLiteral("param:") + word;
    QStringList loads;
    for (BackgroundLoad l : {BackgroundLoad::None, BackgroundLoad::Cpu, BackgroundLoad::Irq}) {
        if (loadBox(l)->isChecked())
            loads << loadName(l);
    }
    if (loads.isEmpty()) {
        *error = tr("Load: tick at least one (none: no background load)");
        return std::nullopt;
    }
    QStringList readers;
    if (m_readerOff->isChecked())
        readers << QStringLiteral("off");
    if (m_readerOn->isChecked())
        readers << QStringLiteral("on");
    if (readers.isEmpty()) {
        *error = tr("Telemetry reader: tick off, on or both");
        return std::nullopt;
    }
    const auto grid = parseGridSetup(vary, loads == QStringList{QStringLiteral("none")} ? QString() : loads.join(','),
                                     readers == QStringList{QStringLiteral("off")} ? QString() : readers.join(','),
                                     m_params->text(), error);
    if (!grid)
        return std::nullopt;
    p.grid = *grid;
    p.hunt.conditions = grid->cells();
    p.hunt.limits.cyclesPerCell = m_cycles->value();
    p.hunt.limits.crashesPerCell = m_crashes->value();
    p.hunt.limits.batch = m_batch->value();
    if (!m_budget->text().trimmed().isEmpty()) {
        const auto budget = parseBudget(m_budget->text(), error);
        if (!budget)
            return std::nullopt;
        p.hunt.budget = *budget;
    }
    p.hunt.order = parseOrder(m_order->currentData().toString()).value_or(Order::Adaptive);
    p.hunt.seed = quint64(m_seed->value());

    p.run.module = m_module->text().trimmed();
    p.run.insmodPath = m_insmod->text().trimmed();
    p.run.useSudo = m_sudo->isChecked();
    p.run.returnTimeoutS = m_returnTimeout->value();
    p.run.leakCheck = CycleRunConfig::LeakCheck::Off; // a hunt counts crashes
    p.run.kmemleakScan = false;
    p.run.telemetryPath = m_readerPath->text().trimmed().isEmpty() ? QString::fromLatin1(telemetry::defaultStreamPath)
                                                                   : m_readerPath->text().trimmed();
    if (const QString why = p.run.validate(); !why.isEmpty()) {
        *error = why;
        return std::nullopt;
    }
    p.compare = CompareMode(m_compare->currentIndex());
    if (p.compare != CompareMode::Off) {
        const QStringList sides{m_compareA->text().trimmed(), m_compareB->text().trimmed()};
        for (const QString &side : sides) {
            if (side.isEmpty()) {
                *error = tr("Compare: give both A and B");
                return std::nullopt;
            }
            if (p.compare == CompareMode::InstallCommands && !isValidInstallCommand(side, error))
                return std::nullopt;
        }
        if (p.compare == CompareMode::KoFiles && !p.run.insmodPath.isEmpty()) {
            *error = tr("Compare of .ko files loads its own two files: leave the insmod path empty");
            return std::nullopt;
        }
        p.hunt.builds = sides;
        p.hunt.compareKind = p.compare == CompareMode::KoFiles ? CompareKind::Ko : CompareKind::Command;
    }
    return p;
}

} // namespace kms::gui
