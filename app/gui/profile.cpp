#include "profile.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
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
} // namespace

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
    p->sshHost = s.value(QStringLiteral("sshHost")).toString();
    p->sshPort = s.value(QStringLiteral("sshPort"), 0).toInt();
    p->sshUser = s.value(QStringLiteral("sshUser")).toString();
    p->sshKey = s.value(QStringLiteral("sshKey")).toString();
    p->knownHosts = s.value(QStringLiteral("knownHosts")).toString();
    p->modules = s.value(QStringLiteral("modules")).toStringList();
    p->koPaths = s.value(QStringLiteral("koPaths")).toStringList();
    p->pathMaps = s.value(QStringLiteral("pathMaps")).toStringList();
    return true;
}

void ProfileStore::save(const Profile &p)
{
    QSettings s;
    s.beginGroup(group(p.name));
    s.setValue(QStringLiteral("name"), p.name);
    s.setValue(QStringLiteral("serialPort"), p.serialPort);
    s.setValue(QStringLiteral("baud"), p.baud);
    s.setValue(QStringLiteral("sshHost"), p.sshHost);
    s.setValue(QStringLiteral("sshPort"), p.sshPort);
    s.setValue(QStringLiteral("sshUser"), p.sshUser);
    s.setValue(QStringLiteral("sshKey"), p.sshKey);
    s.setValue(QStringLiteral("knownHosts"), p.knownHosts);
    s.setValue(QStringLiteral("modules"), p.modules);
    s.setValue(QStringLiteral("koPaths"), p.koPaths);
    s.setValue(QStringLiteral("pathMaps"), p.pathMaps);
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
{
    setWindowTitle(tr("Connection profile"));
    auto *form = new QFormLayout;
    m_name = new QLineEdit(p.name, this);
    m_serial = new QLineEdit(p.serialPort, this);
    m_serial->setPlaceholderText(QStringLiteral("/dev/serial/by-id/... or /dev/ttyUSB0 (empty: none)"));
    m_baud = new QSpinBox(this);
    m_baud->setRange(300, 4000000);
    m_baud->setValue(p.baud);
    m_sshHost = new QLineEdit(p.sshHost, this);
    m_sshHost->setPlaceholderText(tr("host or ~/.ssh/config alias (empty: none)"));
    m_sshPort = new QSpinBox(this);
    m_sshPort->setRange(0, 65535);
    m_sshPort->setSpecialValueText(tr("from config / 22"));
    m_sshPort->setValue(p.sshPort);
    m_sshUser = new QLineEdit(p.sshUser, this);
    m_sshKey = new QLineEdit(p.sshKey, this);
    m_knownHosts = new QLineEdit(p.knownHosts, this);
    m_modules = new QPlainTextEdit(p.modules.join(QLatin1Char('\n')), this);
    m_koPaths = new QPlainTextEdit(p.koPaths.join(QLatin1Char('\n')), this);
    m_pathMaps = new QPlainTextEdit(p.pathMaps.join(QLatin1Char('\n')), this);
    m_pathMaps->setPlaceholderText(QStringLiteral("/build/path=/local/path (one per line)"));
    for (QPlainTextEdit *e : {m_modules, m_koPaths, m_pathMaps})
        e->setMaximumHeight(70);
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("Serial port"), m_serial);
    form->addRow(tr("Baud rate"), m_baud);
    form->addRow(tr("SSH host"), m_sshHost);
    form->addRow(tr("SSH port"), m_sshPort);
    form->addRow(tr("SSH user"), m_sshUser);
    form->addRow(tr("SSH key"), m_sshKey);
    form->addRow(tr("known_hosts"), m_knownHosts);
    form->addRow(tr("Module names"), m_modules);
    form->addRow(tr(".ko files / dirs"), m_koPaths);
    form->addRow(tr("Source path maps"), m_pathMaps);
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
    p.serialPort = m_serial->text().trimmed();
    p.baud = m_baud->value();
    p.sshHost = m_sshHost->text().trimmed();
    p.sshPort = m_sshPort->value();
    p.sshUser = m_sshUser->text().trimmed();
    p.sshKey = m_sshKey->text().trimmed();
    p.knownHosts = m_knownHosts->text().trimmed();
    p.modules = lines(m_modules);
    p.koPaths = lines(m_koPaths);
    p.pathMaps = lines(m_pathMaps);
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
