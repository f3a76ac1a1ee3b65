#include "log/consoleline.h"

#include <QTest>

using namespace kms;

class TestConsoleLine : public QObject
{
    Q_OBJECT
private:
    static QByteArray text(const ConsoleLine &l) { return l.text.toByteArray(); }

private slots:
    void plainLine()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("usb 1-1: new device", scratch);
        QCOMPARE(text(l), QByteArray("usb 1-1: new device"));
        QVERIFY(!l.timestamp);
        QCOMPARE(l.level, -1);
        QVERIFY(l.caller.isEmpty());
        QVERIFY(l.fromKernel);
    }
    void paddedTimestamp()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("[  942.541300] Unable to handle kernel", scratch);
        QCOMPARE(text(l), QByteArray("Unable to handle kernel"));
        QVERIFY(l.timestamp);
        QCOMPARE(*l.timestamp, 942.5413);
    }
    void unpaddedTimestampKeepsIndentation()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("[100.475575]  __x64_sys_delete_module+0x13d/0x280", scratch);
        QCOMPARE(text(l), QByteArray(" __x64_sys_delete_module+0x13d/0x280"));
        QCOMPARE(*l.timestamp, 100.475575);
    }
    void levelPrefix()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("<4>[    1.000000] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2", scratch);
        QCOMPARE(l.level, 4);
        QCOMPARE(*l.timestamp, 1.0);
        QCOMPARE(text(l), QByteArray("WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2"));
        const auto noTime = parseConsoleLine("<1>BUG: kernel NULL pointer dereference", scratch);
        QCOMPARE(noTime.level, 1);
        QCOMPARE(text(noTime), QByteArray("BUG: kernel NULL pointer dereference"));
    }
    void kmsgRecord()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("6,1234,5678901,-;eth0: link up", scratch);
        QCOMPARE(text(l), QByteArray("eth0: link up"));
        QCOMPARE(l.level, 6);
        QCOMPARE(*l.timestamp, 5.678901);
        // Facility bits above the level (here 1<<3: user) are not the level.
        const auto user = parseConsoleLine("12,7,100,c,caller=T42;hello", scratch);
        QCOMPARE(user.level, 4);
        QCOMPARE(user.caller.toByteArray(), QByteArray("T42"));
        QCOMPARE(text(user), QByteArray("hello"));
    }
    void syslogPrefix()
    {
        QByteArray scratch;
        const auto l
            = parseConsoleLine("Mar  3 10:00:00 beaglebone kernel: [  942.541300] PC is at f+0x28/0x94", scratch);
        QCOMPARE(text(l), QByteArray("PC is at f+0x28/0x94"));
        QCOMPARE(l.host.toByteArray(), QByteArray("beaglebone"));
        QVERIFY(l.fromKernel);
        QCOMPARE(*l.timestamp, 942.5413);
        const auto noStamp = parseConsoleLine("Jan 11 22:31:37 host kernel: [drm] Num pipes: 1", scratch);
        QCOMPARE(text(noStamp), QByteArray("[drm] Num pipes: 1"));
        QVERIFY(!noStamp.timestamp);
    }
    void journalIsoPrefix()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("2024-03-03T10:00:00.123456+01:00 node1 kernel: BUG: x", scratch);
        QCOMPARE(text(l), QByteArray("BUG: x"));
        QCOMPARE(l.host.toByteArray(), QByteArray("node1"));
    }
    void userSpaceSyslogLineIsNotKernel()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("Mar 16 23:28:08 host gnome-session[1443]: WARNING: Could not launch", scratch);
        QVERIFY(!l.fromKernel);
        QCOMPARE(text(l), QByteArray("WARNING: Could not launch"));
    }
    void callerIds()
    {
        QByteArray scratch;
        const auto task = parseConsoleLine("[  942.541300][ T1726] Internal error: Oops: 5 [#1]", scratch);
        QCOMPARE(task.caller.toByteArray(), QByteArray("T1726"));
        QCOMPARE(text(task), QByteArray("Internal error: Oops: 5 [#1]"));
        const auto cpu = parseConsoleLine("[    0.000000][    C0] text", scratch);
        QCOMPARE(cpu.caller.toByteArray(), QByteArray("C0"));
        QCOMPARE(text(cpu), QByteArray("text"));
        const auto inside = parseConsoleLine("[  942.541300 T12] text", scratch);
        QCOMPARE(inside.caller.toByteArray(), QByteArray("T12"));
        QCOMPARE(text(inside), QByteArray("text"));
        const auto alone = parseConsoleLine("[C1] text", scratch);
        QCOMPARE(alone.caller.toByteArray(), QByteArray("C1"));
        QCOMPARE(text(alone), QByteArray("text"));
    }
    void ansiEscapes()
    {
        QByteArray scratch;
        const auto l = parseConsoleLine("\x1b[0;31m[  1.500000] \x1b[1mBUG: soft lockup\x1b[0m - CPU#0", scratch);
        QCOMPARE(text(l), QByteArray("BUG: soft lockup - CPU#0"));
        QCOMPARE(*l.timestamp, 1.5);
        const auto osc = parseConsoleLine("\x1b]0;title\x07plain", scratch);
        QCOMPARE(text(osc), QByteArray("plain"));
    }
    void invalidUtf8Kept()
    {
        QByteArray scratch;
        const QByteArray raw("[  2.000000] bad \xff\xfe bytes", 25);
        const auto l = parseConsoleLine(raw, scratch);
        QCOMPARE(text(l), QByteArray("bad \xff\xfe bytes", 12));
    }
    void notATimestamp()
    {
        QByteArray scratch;
        QCOMPARE(text(parseConsoleLine("[drm] Num pipes: 1", scratch)), QByteArray("[drm] Num pipes: 1"));
        QCOMPARE(text(parseConsoleLine("[<bf19b018>] (f) from [<c0>] (g)", scratch)),
                 QByteArray("[<bf19b018>] (f) from [<c0>] (g)"));
        QCOMPARE(text(parseConsoleLine("12,34 apples", scratch)), QByteArray("12,34 apples"));
    }

    // A UART carries the shell's prompt, printed without newline, and the kernel's console
    // output (printk -> the console driver) on one wire: a kernel line that comes while the
    // prompt waits continues the prompt's physical line.
    void kernelLineAfterShellPrompt()
    {
        QByteArray scratch;
        auto l = parseConsoleLine("root@node:~# [   12.345678] BUG: kernel NULL pointer dereference", scratch);
        QCOMPARE(text(l), QByteArray("BUG: kernel NULL pointer dereference"));
        QCOMPARE(l.leading.toByteArray(), QByteArray("root@node:~# "));
        QCOMPARE(*l.timestamp, 12.345678);
        // Any partial output, not only a prompt: the timestamp's own form decides.
        l = parseConsoleLine("Continue? [y/n] [  100.000001]  prudaq_exit+0x2d/0x604 [prudaq]", scratch);
        QCOMPARE(text(l), QByteArray(" prudaq_exit+0x2d/0x604 [prudaq]"));
        QCOMPARE(l.leading.toByteArray(), QByteArray("Continue? [y/n] "));
        // A caller id in the bracket (CONFIG_PRINTK_CALLER).
        l = parseConsoleLine("debian@bbb:/opt$ [   12.345678][  T102] Internal error: Oops: 17 [#1] ARM", scratch);
        QCOMPARE(text(l), QByteArray("Internal error: Oops: 17 [#1] ARM"));
        QCOMPARE(l.caller.toByteArray(), QByteArray("T102"));
        // printk.time=0: no timestamp, the prompt itself is recognised.
        l = parseConsoleLine("root@node:~# BUG: kernel NULL pointer dereference, address: 0000000000000004", scratch);
        QCOMPARE(text(l), QByteArray("BUG: kernel NULL pointer dereference, address: 0000000000000004"));
        l = parseConsoleLine("[root@node ~]# Kernel panic - not syncing: Fatal exception", scratch);
        QCOMPARE(text(l), QByteArray("Kernel panic - not syncing: Fatal exception"));
        QCOMPARE(l.leading.toByteArray(), QByteArray("[root@node ~]# "));
    }
    void notAPromptOrEmbeddedTimestamp()
    {
        QByteArray scratch;
        // A program's bracketed number is not printk's "%5lu.%06lu" form.
        for (const char *line : {"elapsed [1.5] BUG: none", "progress [ 12.34] done", "took [12.345678]s",
                                 "mail to user@host: # not a prompt", "usb 1-1: new high-speed USB device"}) {
            const auto l = parseConsoleLine(line, scratch);
            QCOMPARE(text(l), QByteArray(line));
            QVERIFY(l.leading.isEmpty());
            QVERIFY(!l.timestamp);
        }
        // A syslog line keeps its own prefix rules: a program's line is not the kernel's.
        const auto l = parseConsoleLine("Mar  3 10:00:00 host myprog: [   12.345678] BUG: fake", scratch);
        QVERIFY(!l.fromKernel);
    }
};

QTEST_GUILESS_MAIN(TestConsoleLine)
#include "tst_consoleline.moc"
