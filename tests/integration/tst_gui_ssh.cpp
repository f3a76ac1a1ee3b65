// The main window over a real SSH link (OpenSSH sshd on 127.0.0.1, SshdFixture): the first-use
// host-key dialog shows the server's fingerprint and "Yes" pins it; a changed key is refused
// without a question; the kernel-log stream fills the console and the reports, and its restarts
// do not show the ring buffer again; a missing module is fetched with `modinfo -n` (here the
// node does not have it: the panel says what the node answered); a missing source file is
// fetched over SSH from the path DWARF records and opens at the frame's line.
#include "consolemodel.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "sourceview.h"

#include "gui_test_support.h"
#include "link/shellquote.h"
#include "sshdfixture.h"
#include "tst_symbols_helpers.h"

#include <Qsci/qsciscintilla.h>

#include <QApplication>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

using namespace kms;
using namespace kms::gui;

namespace {

constexpr int upTimeout = 20000;

using guitest::findReport;
using guitest::reportCount;

// Node lines (not our own events) of one source in the console.
int consoleLines(const ConsoleModel *model, const QString &source)
{
    int n = 0;
    for (int r = 0; r < model->rowCount(); ++r) {
        const QModelIndex i = model->index(r);
        if (!(i.data(ConsoleModel::FlagsRole).toInt() & LogLine::Event)
            && i.data(ConsoleModel::SourceRole).toString() == source)
            ++n;
    }
    return n;
}

// Answers the host-key dialog when it shows (it runs modal, in its own event loop).
class HostKeyAnswerer : public QObject
{
public:
    explicit HostKeyAnswerer(bool accept)
        : m_accept(accept)
    {
        connect(&m_poll, &QTimer::timeout, this, [this] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box || box->objectName() != QLatin1String("HostKeyDialog"))
                return;
            shownText = box->text();
            ++shown;
            box->button(m_accept ? QMessageBox::Yes : QMessageBox::No)->click();
        });
        m_poll.start(50);
    }
    QString shownText;
    int shown = 0;

private:
    bool m_accept;
    QTimer m_poll;
};

// Types a password into the SSH password dialog when it shows.
class PasswordAnswerer : public QObject
{
public:
    PasswordAnswerer()
    {
        connect(&m_poll, &QTimer::timeout, this, [this] {
            auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
            if (!dialog || dialog->objectName() != QLatin1String("PasswordDialog"))
                return;
            ++shown;
            if (password.isEmpty()) {
                dialog->reject();
                return;
            }
            dialog->findChild<QLineEdit *>()->setText(password);
            dialog->accept();
        });
        m_poll.start(50);
    }
    QString password;
    int shown = 0;

private:
    QTimer m_poll;
};

} // namespace

class TestGuiSsh : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_ssh"));
        QVERIFY(m_sshd.setUp());
        QVERIFY(m_sshd.start());
    }

    void cleanupTestCase() { m_sshd.stop(); }

    void firstUseAsksThenStreamsAndFetchSaysWhy()
    {
        // The node's kernel log: the seed ARM panic, printed again each time the command ends
        // (as `dmesg -w` replays the ring buffer after every reconnect).
        const QString seed = QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log");
        QFile file(seed);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const int seedLines = int(file.readAll().count('\n'));
        const QString knownHosts = m_dir.filePath(QStringLiteral("known_hosts_first"));
        StartOptions options;
        options.sshHost = QStringLiteral("127.0.0.1");
        options.sshPort = m_sshd.port();
        options.sshUser = QStringLiteral("root");
        options.sshKey = m_sshd.path(QStringLiteral("id_client"));
        options.knownHosts = knownHosts;
        options.saveAs = QStringLiteral("sshd node");
        {
            // The command is a profile field: stored, then used.
            StartOptions save;
            save.saveAs = options.saveAs;
            save.connect = false;
            MainWindow setup(save);
            Profile p = setup.profile();
            p.sshHost = options.sshHost;
            p.sshPort = options.sshPort;
            p.sshUser = options.sshUser;
            p.sshKey = options.sshKey;
            p.knownHosts = knownHosts;
            p.kernelLogCommand = QString::fromUtf8("cat " + shellQuote(seed.toUtf8()));
            ProfileStore::save(p);
        }
        HostKeyAnswerer answer(true);
        StartOptions byName;
        byName.profile = options.saveAs;
        MainWindow w(byName);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), upTimeout);
        QCOMPARE(answer.shown, 1);
        QVERIFY2(answer.shownText.contains(m_sshd.fingerprint(QStringLiteral("hostkey"))),
                 qPrintable(answer.shownText));
        QVERIFY(SshdFixture::readFile(knownHosts).contains("ssh-ed25519"));

        QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), QStringLiteral("pru0_comm_receive_msg")), upTimeout);
        const ReportsModel::Entry *e = findReport(w.reportsModel(), QStringLiteral("pru0_comm_receive_msg"));
        QCOMPARE(e->report.source, QStringLiteral("ssh-dmesg"));
        QTRY_COMPARE(consoleLines(w.consoleModel(), QStringLiteral("ssh-dmesg")), seedLines);
        // The command ended and ran again (restart delay 1 s) at least twice: same lines, nothing new.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                int restarts = 0;
                for (int r = 0; r < w.consoleModel()->rowCount(); ++r)
                    restarts
                        += w.consoleModel()->text(r).startsWith(QLatin1String("ssh: stream command ended")) ? 1 : 0;
                return restarts >= 3;
            }(),
            upTimeout);
        QCOMPARE(consoleLines(w.consoleModel(), QStringLiteral("ssh-dmesg")), seedLines);
        QCOMPARE(reportCount(w.reportsModel(), QStringLiteral("pru0_comm_receive_msg")), 1);

        // No .ko for "shepherd": fetched from the node at once; this node has no such module,
        // and the panel says what the node said.
        w.reportsView()->selectReport(e->id);
        QTRY_VERIFY_WITH_TIMEOUT(w.reportsView()->noticeText().contains(QStringLiteral("modinfo -n shepherd")),
                                 upTimeout);
        QVERIFY2(w.reportsView()->noticeText().contains(QStringLiteral("not found")),
                 qPrintable(w.reportsView()->noticeText()));
        QVERIFY(w.reportsModel()->entry(e->id)->report.frames.first().file.isEmpty());
        // Asked again by hand ("Fetch from node"): the same honest answer.
        QPushButton *fetch = nullptr;
        for (QPushButton *b : w.reportsView()->findChildren<QPushButton *>()) {
            if (b->text() == QLatin1String("Fetch from node"))
                fetch = b;
        }
        QVERIFY(fetch);
        QVERIFY(fetch->isEnabled());
        w.reportsView()->setFetchStatus({});
        QTest::mouseClick(fetch, Qt::LeftButton);
        QVERIFY(w.reportsView()->noticeText().contains(QStringLiteral("Fetching shepherd")));
        QTRY_VERIFY_WITH_TIMEOUT(w.reportsView()->noticeText().contains(QStringLiteral("Could not fetch shepherd")),
                                 upTimeout);
    }

    void changedHostKeyIsRefusedWithoutAsking()
    {
        const QString knownHosts = m_dir.filePath(QStringLiteral("known_hosts_changed"));
        {
            QFile f(knownHosts);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QList<QByteArray> pub = SshdFixture::readFile(m_sshd.path(QStringLiteral("hostkey2.pub"))).split(' ');
            f.write("[127.0.0.1]:" + QByteArray::number(m_sshd.port()) + ' ' + pub[0] + ' ' + pub[1] + '\n');
        }
        const QByteArray before = SshdFixture::readFile(knownHosts);
        HostKeyAnswerer answer(true);
        MainWindow w(sshOptions(knownHosts));
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("HOST KEY CHANGED"), upTimeout);
        QTest::qWait(1500);
        QCOMPARE(answer.shown, 0);
        QCOMPARE(w.sshStateText(), QStringLiteral("HOST KEY CHANGED"));
        QCOMPARE(SshdFixture::readFile(knownHosts), before);
    }

    void declinedHostKeyIsNotRemembered()
    {
        const QString knownHosts = m_dir.filePath(QStringLiteral("known_hosts_declined"));
        HostKeyAnswerer answer(false);
        MainWindow w(sshOptions(knownHosts));
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(answer.shown, 1, upTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("unknown host key"), upTimeout);
        QTest::qWait(1000);
        QVERIFY(w.sshStateText() != QLatin1String("up"));
        QVERIFY(!QFile::exists(knownHosts) || !SshdFixture::readFile(knownHosts).contains("ssh-ed25519"));
    }

    void passwordLoginIsAskedOnlyWhenChosen()
    {
        // An sshd that takes root's password (its own /etc/shadow, in a mount namespace).
        SshdFixture sshd;
        QVERIFY(sshd.setUp());
        QVERIFY(sshd.setRootPassword(QStringLiteral("kms-test-pw")));
        QVERIFY2(sshd.start(), "sshd with a private /etc/shadow did not start (unshare --mount needs root)");
        qunsetenv("SSH_AUTH_SOCK"); // no agent: no key of ours is authorized there
        const QString knownHosts = m_dir.filePath(QStringLiteral("known_hosts_password"));
        {
            QFile f(knownHosts);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QList<QByteArray> pub = SshdFixture::readFile(sshd.path(QStringLiteral("hostkey.pub"))).split(' ');
            f.write("[127.0.0.1]:" + QByteArray::number(sshd.port()) + ' ' + pub[0] + ' ' + pub[1] + '\n');
        }
        Profile p;
        p.name = QStringLiteral("password node");
        p.sshHost = QStringLiteral("127.0.0.1");
        p.sshPort = sshd.port();
        p.sshUser = QStringLiteral("root");
        p.knownHosts = knownHosts;
        p.kernelLogCommand = QStringLiteral("echo kmodscope-password-login-ok; exec sleep 600");
        ProfileStore::save(p);
        StartOptions byName;
        byName.profile = p.name;
        PasswordAnswerer answer;
        {
            // Not chosen: never asked, and the login fails on keys alone.
            MainWindow w(byName);
            w.show();
            QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("auth failed"), upTimeout);
            QCOMPARE(answer.shown, 0);
        }
        p.sshPasswordLogin = true;
        ProfileStore::save(p);
        MainWindow w(byName);
        w.show();
        answer.password = QStringLiteral("not the password");
        QTRY_COMPARE_WITH_TIMEOUT(answer.shown, 1, upTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("auth failed"), upTimeout);
        // Asked again on the next connect; the right one logs in.
        answer.password = QStringLiteral("kms-test-pw");
        w.disconnectSsh();
        w.connectSsh();
        QTRY_COMPARE_WITH_TIMEOUT(answer.shown, 2, upTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), upTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int r = 0; r < w.consoleModel()->rowCount(); ++r) {
                    if (w.consoleModel()->text(r) == QLatin1String("kmodscope-password-login-ok"))
                        return true;
                }
                return false;
            }(),
            upTimeout);
        // Cancelled: not connected, and it says so.
        answer.password.clear();
        w.disconnectSsh();
        w.connectSsh();
        QTRY_COMPARE_WITH_TIMEOUT(answer.shown, 3, upTimeout);
        QCOMPARE(w.sshStateText(), QStringLiteral("disconnected"));
        // Nothing of it was written to the settings.
        QFile settings(QSettings().fileName());
        QVERIFY(settings.open(QIODevice::ReadOnly));
        QVERIFY(!settings.readAll().contains("kms-test-pw"));
    }

    void missingSourceIsFetchedOverSsh()
    {
        const QString ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
        SYMTEST_REQUIRE_FIXTURE(ko);
        SYMTEST_RUN(oops, QStringLiteral("python3"),
                    (QStringList{QStringLiteral(KMS_SOURCE_DIR "/tests/fixtures/kmsfixture/make-oops.py"), ko,
                                 QStringLiteral("x86_64"), QStringLiteral("--frames"), QStringLiteral("8")}));
        // The module was "built on the node": its DWARF paths exist there (this machine, over SSH)
        // but the path map points this side somewhere empty.
        const QString buildDir = QFileInfo(ko).absolutePath();
        const QString knownHosts = m_dir.filePath(QStringLiteral("known_hosts_fetch"));
        HostKeyAnswerer answer(true);
        StartOptions options = sshOptions(knownHosts);
        options.koPaths = {ko};
        options.pathMaps = {buildDir + QStringLiteral("=") + m_dir.filePath(QStringLiteral("nowhere"))};
        MainWindow w(options);
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), upTimeout);
        w.feedLines(guitest::asLines(oops.out, QStringLiteral("serial")));
        QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), QStringLiteral("kmsfix_receive")), 15000);
        const int id = findReport(w.reportsModel(), QStringLiteral("kmsfix_receive"))->id;
        QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 30000);
        const Frame frame = w.reportsModel()->entry(id)->report.frames.first();
        QCOMPARE(frame.buildFile, buildDir + QStringLiteral("/kmsfixture.c"));

        w.reportsView()->selectReport(id);
        QTreeWidget *tree = w.reportsView()->frameTree();
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {},
                          tree->visualItemRect(w.reportsView()->frameItem(0)).center());
        QVERIFY(w.sourceView()->showsMissing());
        QPushButton *fetch = nullptr;
        for (QPushButton *b : w.sourceView()->findChildren<QPushButton *>()) {
            if (b->text().contains(QStringLiteral("Fetch")))
                fetch = b;
        }
        QVERIFY(fetch);
        QTRY_VERIFY(fetch->isEnabled());
        QTest::mouseClick(fetch, Qt::LeftButton);
        // Fetched into the node's cache, resolved again, and opened at the same line.
        QTRY_VERIFY_WITH_TIMEOUT(!w.sourceView()->showsMissing(), upTimeout);
        QVERIFY(w.sourceView()->currentFile().startsWith(w.nodeCacheDir()));
        QCOMPARE(w.sourceView()->currentLine(), frame.line);
        QCOMPARE(SshdFixture::readFile(w.sourceView()->currentFile()),
                 SshdFixture::readFile(buildDir + QStringLiteral("/kmsfixture.c")));
        int cursorLine = -1;
        int cursorIndex = -1;
        w.sourceView()->editor()->getCursorPosition(&cursorLine, &cursorIndex);
        QCOMPARE(cursorLine, frame.line - 1);

        // A path the node does not have: the error names it.
        w.sourceView()->setFetchStatus({});
        Q_EMIT w.sourceView()->sourceFetchRequested(QStringLiteral("/nonexistent/dir/file.c"));
        QTRY_VERIFY_WITH_TIMEOUT(w.sourceView()->fetchStatus().contains(QStringLiteral("/nonexistent/dir/file.c")),
                                 upTimeout);
        QVERIFY(w.sourceView()->fetchStatus().startsWith(QStringLiteral("Could not fetch")));
    }

private:
    StartOptions sshOptions(const QString &knownHosts) const
    {
        StartOptions o;
        o.sshHost = QStringLiteral("127.0.0.1");
        o.sshPort = m_sshd.port();
        o.sshUser = QStringLiteral("root");
        o.sshKey = m_sshd.path(QStringLiteral("id_client"));
        o.knownHosts = knownHosts;
        return o;
    }

    QTemporaryDir m_dir;
    SshdFixture m_sshd;
};

QTEST_MAIN(TestGuiSsh)
#include "tst_gui_ssh.moc"
