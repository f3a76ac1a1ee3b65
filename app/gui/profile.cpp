#include "profile.h"

#include "log/dmesgreplay.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace kms::gui {

namespace {
QString group(const QString &name)
{
    // QSettings keys cannot hold '/' and '\\' in a group name usefully.
    QString key = name;
    key.replace(QLatin1Char('/'), QLatin1Char('_')).replace(QLatin1Char('\\'), QLatin1Char('_'));
    return QStringLiteral("profiles/") + key;
}

QStringList lines(const QPlainTextEdit *edit)
{
    QStringList result;
    for (const QString &l : edit->toPlainText().split(QLatin1Char('\n'))) {
        if (!l.trimmed().isEmpty())
            result.append(l.trimmed());
    }
    return result;
}
QComboBox *choice(const QStringList &items, const QString &current, QWidget *parent)
{
    auto *box = new QComboBox(parent);
    box->addItems(items);
    box->setCurrentText(current);
    return box;
}

const QStringList parities = {QStringLiteral("none"), QStringLiteral("even"), QStringLiteral("odd"),
                              QStringLiteral("space"), QStringLiteral("mark")};
const QStringList stopBitChoices = {QStringLiteral("1"), QStringLiteral("1.5"), QStringLiteral("2")};
const QStringList flowChoices = {QStringLiteral("none"), QStringLiteral("rts/cts"), QStringLiteral("xon/xoff")};
} // namespace

SerialSettings serialSettings(const Profile &p)
{
    SerialSettings s;
    s.path = p.serialPort;
    s.baudRate = p.baud;
    s.dataBits = QSerialPort::DataBits(qBound(5, p.dataBits, 8));
    static const QMap<QString, QSerialPort::Parity> parity = {
        {QStringLiteral("none"), QSerialPort::NoParity},   {QStringLiteral("even"), QSerialPort::EvenParity},
        {QStringLiteral("odd"), QSerialPort::OddParity},   {QStringLiteral("space"), QSerialPort::SpaceParity},
        {QStringLiteral("mark"), QSerialPort::MarkParity},
    };
    s.parity = parity.value(p.parity, QSerialPort::NoParity);
    s.stopBits = p.stopBits == QLatin1String("2") ? QSerialPort::TwoStop
        : p.stopBits == QLatin1String("1.5")      ? QSerialPort::OneAndHalfStop
                                                  : QSerialPort::OneStop;
    s.flowControl = p.flowControl == QLatin1String("rts/cts") ? QSerialPort::HardwareControl
        : p.flowControl == QLatin1String("xon/xoff")          ? QSerialPort::SoftwareControl
                                                              : QSerialPort::NoFlowControl;
    return s;
}

QStringList ProfileStore::names()
{
    QSettings s;
    QStringList result;
    s.beginGroup(QStringLiteral("profiles"));
    for (const QString &g : s.childGroups()) {
        s.beginGroup(g);
        result.append(s.value(QStringLiteral("name"), g).toString());
        s.endGroup();
    }
    result.sort(Qt::CaseInsensitive);
    return result;
}

bool ProfileStore::load(const QString &name, Profile *p)
{
    QSettings s;
    s.beginGroup(group(name));
    if (!s.contains(QStringLiteral("name")))
        return false;
    p->name = s.value(QStringLiteral("name")).toString();
    p->serialPort = s.value(QStringLiteral("serialPort")).toString();
    p->baud = s.value(QStringLiteral("baud"), 115200).toInt();
    p->dataBits = s.value(QStringLiteral("dataBits"), 8).toInt();
    p->parity = s.value(QStringLiteral("parity"), QStringLiteral("none")).toString();
    p->stopBits = s.value(QStringLiteral("stopBits"), QStringLiteral("1")).toString();
    p->flowControl = s.value(QStringLiteral("flowControl"), QStringLiteral("none")).toString();
    p->sshHost = s.value(QStringLiteral("sshHost")).toString();
    p->sshPort = s.value(QStringLiteral("sshPort"), 0).toInt();
    p->sshUser = s.value(QStringLiteral("sshUser")).toString();
    p->sshKey = s.value(QStringLiteral("sshKey")).toString();
    p->knownHosts = s.value(QStringLiteral("knownHosts")).toString();
    p->sshPasswordLogin = s.value(QStringLiteral("sshPasswordLogin"), false).toBool();
    p->kernelLogCommand = s.value(QStringLiteral("kernelLogCommand")).toString();
    p->modules = s.value(QStringLiteral("modules")).toStringList();
    p->koPaths = s.value(QStringLiteral("koPaths")).toStringList();
    p->fetchKo = s.value(QStringLiteral("fetchKo"), true).toBool();
    p->vmlinux = s.value(QStringLiteral("vmlinux")).toString();
    p->pathMaps = s.value(QStringLiteral("pathMaps")).toStringList();
    p->telemetrySource = s.value(QStringLiteral("telemetrySource")).toString();
    p->cycleRun = QJsonDocument::fromJson(s.value(QStringLiteral("cycleRun")).toByteArray()).object();
    return true;
}

void ProfileStore::save(const Profile &p)
{
    QSettings s;
    s.beginGroup(group(p.name));
    s.setValue(QStringLiteral("name"), p.name);
    s.setValue(QStringLiteral("serialPort"), p.serialPort);
    s.setValue(QStringLiteral("baud"), p.baud);
    s.setValue(QStringLiteral("dataBits"), p.dataBits);
    s.setValue(QStringLiteral("parity"), p.parity);
    s.setValue(QStringLiteral("stopBits"), p.stopBits);
    s.setValue(QStringLiteral("flowControl"), p.flowControl);
    s.setValue(QStringLiteral("sshHost"), p.sshHost);
    s.setValue(QStringLiteral("sshPort"), p.sshPort);
    s.setValue(QStringLiteral("sshUser"), p.sshUser);
    s.setValue(QStringLiteral("sshKey"), p.sshKey);
    s.setValue(QStringLiteral("knownHosts"), p.knownHosts);
    s.setValue(QStringLiteral("sshPasswordLogin"), p.sshPasswordLogin);
    s.setValue(QStringLiteral("kernelLogCommand"), p.kernelLogCommand);
    s.setValue(QStringLiteral("modules"), p.modules);
    s.setValue(QStringLiteral("koPaths"), p.koPaths);
    s.setValue(QStringLiteral("fetchKo"), p.fetchKo);
    s.setValue(QStringLiteral("vmlinux"), p.vmlinux);
    s.setValue(QStringLiteral("pathMaps"), p.pathMaps);
    s.setValue(QStringLiteral("telemetrySource"), p.telemetrySource);
    s.setValue(QStringLiteral("cycleRun"), QJsonDocument(p.cycleRun).toJson(QJsonDocument::Compact));
}

void ProfileStore::remove(const QString &name)
{
    QSettings().remove(group(name));
}

QString ProfileStore::lastUsed()
{
    return QSettings().value(QStringLiteral("lastProfile")).toString();
}

void ProfileStore::setLastUsed(const QString &name)
{
    QSettings().setValue(QStringLiteral("lastProfile"), name);
}

ProfileDialog::ProfileDialog(const Profile &p, QWidget *parent)
    : QDialog(parent)
    , m_cycleRun(p.cycleRun)
{
    setWindowTitle(tr("Connection profile"));
    auto *form = new QFormLayout;
    m_name = new QLineEdit(p.name, this);
    // The ports that are there now, by their stable by-id path where they have one (the link
    // follows that identity across replugs); any other path can be typed.
    m_serial = new QComboBox(this);
    m_serial->setEditable(true);
    m_serial->addItem(QString());
    for (const SerialPortDescription &port : SerialLink::availablePorts()) {
        const QString path = port.byIdPath.isEmpty() ? port.path : port.byIdPath;
        m_serial->addItem(path);
        m_serial->setItemData(m_serial->count() - 1,
                              QStringLiteral("%1 — %2 %3").arg(port.path, port.manufacturer, port.description),
                              Qt::ToolTipRole);
    }
    m_serial->setCurrentText(p.serialPort);
    m_serial->lineEdit()->setPlaceholderText(QStringLiteral("/dev/serial/by-id/... or /dev/ttyUSB0 (empty: none)"));
    m_baud = new QSpinBox(this);
    m_baud->setRange(300, 4000000);
    m_baud->setValue(p.baud);
    m_dataBits = choice({QStringLiteral("5"), QStringLiteral("6"), QStringLiteral("7"), QStringLiteral("8")},
                        QString::number(p.dataBits), this);
    m_parity = choice(parities, p.parity, this);
    m_stopBits = choice(stopBitChoices, p.stopBits, this);
    m_flow = choice(flowChoices, p.flowControl, this);
    auto *frame = new QHBoxLayout;
    for (QWidget *w :
         {static_cast<QWidget *>(m_baud), static_cast<QWidget *>(m_dataBits), static_cast<QWidget *>(m_parity),
          static_cast<QWidget *>(m_stopBits), static_cast<QWidget *>(m_flow)})
        frame->addWidget(w);
    m_baud->setToolTip(tr("Baud rate"));
    m_dataBits->setToolTip(tr("Data bits"));
    m_parity->setToolTip(tr("Parity"));
    m_stopBits->setToolTip(tr("Stop bits"));
    m_flow->setToolTip(tr("Flow control"));
    m_sshHost = new QLineEdit(p.sshHost, this);
    m_sshHost->setPlaceholderText(tr("host or ~/.ssh/config alias (empty: none)"));
    m_sshPort = new QSpinBox(this);
    m_sshPort->setRange(0, 65535);
    m_sshPort->setSpecialValueText(tr("from config / 22"));
    m_sshPort->setValue(p.sshPort);
    m_sshUser = new QLineEdit(p.sshUser, this);
    m_sshKey = new QLineEdit(p.sshKey, this);
    m_knownHosts = new QLineEdit(p.knownHosts, this);
    m_knownHosts->setPlaceholderText(tr("from the ssh config, else ~/.ssh/known_hosts"));
    m_passwordLogin = new QCheckBox(tr("Allow password login (asked when needed, never stored in a file)"), this);
    m_passwordLogin->setChecked(p.sshPasswordLogin);
    m_kernelLog = new QLineEdit(p.kernelLogCommand, this);
    m_kernelLog->setPlaceholderText(QString::fromUtf8(defaultDmesgStreamCommand()));
    m_kernelLog->setToolTip(tr("Shell command on the node whose output is the SSH-dmesg console "
                               "(e.g. \"sudo dmesg -w\" where dmesg is restricted)"));
    m_fetchKo = new QCheckBox(tr("Fetch a module's .ko from the node when no path above has it"), this);
    m_fetchKo->setChecked(p.fetchKo);
    m_vmlinux = new QLineEdit(p.vmlinux, this);
    m_vmlinux->setPlaceholderText(tr("debug vmlinux; empty: by build id (debuginfod)"));
    m_vmlinux->setToolTip(tr("A vmlinux with debug info for core-kernel frames. Without one, and with "
                             "DEBUGINFOD_URLS set, it is fetched by the build id the node reports"));
    m_telemetry = new QLineEdit(p.telemetrySource, this);
    m_telemetry->setPlaceholderText(QStringLiteral("/sys/kernel/debug/prudaq/telemetry (on the node, over SSH)"));
    m_modules = new QPlainTextEdit(p.modules.join(QLatin1Char('\n')), this);
    m_koPaths = new QPlainTextEdit(p.koPaths.join(QLatin1Char('\n')), this);
    m_pathMaps = new QPlainTextEdit(p.pathMaps.join(QLatin1Char('\n')), this);
    m_pathMaps->setPlaceholderText(QStringLiteral("/build/path=/local/path (one per line)"));
    for (QPlainTextEdit *e : {m_modules, m_koPaths, m_pathMaps})
        e->setMaximumHeight(70);
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("Serial port"), m_serial);
    form->addRow(tr("Baud, bits, parity, stop, flow"), frame);
    form->addRow(tr("SSH host"), m_sshHost);
    form->addRow(tr("SSH port"), m_sshPort);
    form->addRow(tr("SSH user"), m_sshUser);
    form->addRow(tr("SSH key"), m_sshKey);
    form->addRow(tr("known_hosts"), m_knownHosts);
    form->addRow(QString(), m_passwordLogin);
    form->addRow(tr("Kernel log command"), m_kernelLog);
    form->addRow(tr("Module names"), m_modules);
    form->addRow(tr(".ko files / dirs"), m_koPaths);
    form->addRow(QString(), m_fetchKo);
    form->addRow(tr("Kernel vmlinux"), m_vmlinux);
    form->addRow(tr("Source path maps"), m_pathMaps);
    form->addRow(tr("Telemetry source"), m_telemetry);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (m_name->text().trimmed().isEmpty()) {
            QMessageBox::warning(this, windowTitle(), tr("A profile needs a name."));
            return;
        }
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

Profile ProfileDialog::profile() const
{
    Profile p;
    p.name = m_name->text().trimmed();
    p.serialPort = m_serial->currentText().trimmed();
    p.baud = m_baud->value();
    p.dataBits = m_dataBits->currentText().toInt();
    p.parity = m_parity->currentText();
    p.stopBits = m_stopBits->currentText();
    p.flowControl = m_flow->currentText();
    p.sshHost = m_sshHost->text().trimmed();
    p.sshPort = m_sshPort->value();
    p.sshUser = m_sshUser->text().trimmed();
    p.sshKey = m_sshKey->text().trimmed();
    p.knownHosts = m_knownHosts->text().trimmed();
    p.sshPasswordLogin = m_passwordLogin->isChecked();
    p.kernelLogCommand = m_kernelLog->text().trimmed();
    p.modules = lines(m_modules);
    p.koPaths = lines(m_koPaths);
    p.fetchKo = m_fetchKo->isChecked();
    p.vmlinux = m_vmlinux->text().trimmed();
    p.pathMaps = lines(m_pathMaps);
    p.telemetrySource = m_telemetry->text().trimmed();
    p.cycleRun = m_cycleRun;
    return p;
}

ProfilesDialog::ProfilesDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Connection profiles"));
    m_list = new QListWidget(this);
    auto *buttons = new QVBoxLayout;
    auto *create = new QPushButton(tr("New…"), this);
    auto *edit = new QPushButton(tr("Edit…"), this);
    auto *dup = new QPushButton(tr("Duplicate…"), this);
    auto *del = new QPushButton(tr("Delete"), this);
    for (QPushButton *b : {create, edit, dup, del})
        buttons->addWidget(b);
    buttons->addStretch(1);
    auto *box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    box->button(QDialogButtonBox::Ok)->setText(tr("Use"));
    connect(box, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(box, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(create, &QPushButton::clicked, this, [this] { this->edit(false, true); });
    connect(edit, &QPushButton::clicked, this, [this] { this->edit(false, false); });
    connect(dup, &QPushButton::clicked, this, [this] { this->edit(true, false); });
    connect(m_list, &QListWidget::itemDoubleClicked, this, [this] { this->edit(false, false); });
    connect(del, &QPushButton::clicked, this, [this] {
        if (!m_list->currentItem())
            return;
        ProfileStore::remove(m_list->currentItem()->text());
        reload();
    });
    auto *row = new QHBoxLayout;
    row->addWidget(m_list, 1);
    row->addLayout(buttons);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(row);
    layout->addWidget(box);
    reload(ProfileStore::lastUsed());
}

QString ProfilesDialog::selected() const
{
    return m_list->currentItem() ? m_list->currentItem()->text() : QString();
}

void ProfilesDialog::reload(const QString &select)
{
    m_list->clear();
    m_list->addItems(ProfileStore::names());
    const auto found = m_list->findItems(select, Qt::MatchExactly);
    m_list->setCurrentItem(found.isEmpty() ? m_list->item(0) : found.first());
}

void ProfilesDialog::edit(bool duplicate, bool create)
{
    Profile p;
    if (!create) {
        if (!m_list->currentItem() || !ProfileStore::load(m_list->currentItem()->text(), &p))
            return;
    }
    const QString oldName = p.name;
    if (duplicate)
        p.name = tr("%1 (copy)").arg(p.name);
    ProfileDialog dialog(p, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const Profile edited = dialog.profile();
    if (!create && !duplicate && edited.name != oldName)
        ProfileStore::remove(oldName);
    ProfileStore::save(edited);
    reload(edited.name);
}

} // namespace kms::gui
