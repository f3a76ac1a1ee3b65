#!/usr/bin/env python3
"""kmodscope virtual node supervisor and console relay (started by scripts/vnode up).

One process per node directory. It
  * launches QEMU paused (-S) with the guest serial port on a unix socket chardev
    (server=on,wait=off) and a QMP socket, connects to the serial socket, and only then lets the
    guest run (QMP "cont"): the console is recorded from its first byte;
  * relays the console: every byte from the guest is appended to console.log (never dropped) and
    written to the master of a pty whose slave is symlinked at NODE/serial; bytes a client writes
    to the pty go to the guest's serial input. The pty master is non-blocking: when no client reads,
    the pty's buffer is flushed and the client misses that output (the log does not), so the guest
    never stalls on its console;
  * tracks the node's state (booting, up once the SSH banner answers, panicked once
    "Kernel panic - not syncing" appears after the last boot started) in NODE/run/state;
  * relaunches QEMU when it exits while the node is meant to be running (exit-on-panic mode: the
    guest boots with panic=1 and QEMU with -no-reboot, so a panic ends QEMU and a fresh QEMU keeps
    its memory flat); in reboot mode the guest reboots in place and the relay sees the new boot.
The pty (and so the serial_pty symlink) lives as long as this process: a client stays attached
across relaunches. SIGTERM stops QEMU (QMP quit, then SIGTERM/SIGKILL to our own child only).
"""

import argparse
import errno
import fcntl
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
import tty

BOOT_RE = re.compile(rb'\[\s*0\.000000\] (?:Linux version |Booting Linux)')
PANIC_RE = re.compile(rb'Kernel panic - not syncing')
SCAN_KEEP = 256


def log(msg):
    sys.stderr.write('%s vnoded: %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


class Node:
    def __init__(self, args, qemu_argv):
        self.dir = os.path.abspath(args.dir)
        self.run = os.path.join(self.dir, 'run')
        self.port = args.port
        self.on_panic = args.on_panic
        self.arch = args.arch
        self.qemu_base = qemu_argv
        self.serial_sock = os.path.join(self.run, 'serial.sock')
        self.qmp_sock = os.path.join(self.run, 'qmp.sock')
        self.console_path = os.path.join(self.dir, 'console.log')
        self.link = os.path.join(self.dir, 'serial')
        self.lock = threading.Lock()
        self.wlock = threading.Lock()
        self.state = 'booting'
        self.generation = 0
        self.boots = 0
        self.launches = 0
        self.panics = 0
        self.boot_offset = 0
        self.log_size = 0
        self.launch_time = 0.0
        self.boot_time = 0.0
        self.panic_time = None
        self.last_boot_s = None
        self.last_recovery_s = None
        self.failed_boots = 0
        self.gave_up = False
        self.launch_up = False
        self.first_byte_seen = False
        self.stopping = False
        self.proc = None
        self.ser = None
        self.qmp = None
        self.scan_tail = b''
        self.last_marker = None
        self.clients_dropped = 0

    # ---- state file -------------------------------------------------------------------------
    def write_state(self):
        with self.lock:
            lines = {
                'state': self.state,
                'supervisor_pid': os.getpid(),
                'qemu_pid': self.proc.pid if self.proc and self.proc.poll() is None else '',
                'launches': self.launches,
                'boots': self.boots,
                'panics': self.panics,
                'boot_offset': self.boot_offset,
                'last_boot_s': '' if self.last_boot_s is None else '%.2f' % self.last_boot_s,
                'last_recovery_s': ('' if self.last_recovery_s is None
                                    else '%.2f' % self.last_recovery_s),
                'serial_dev': self.slave_name,
                'on_panic': self.on_panic,
                'gave_up': 1 if self.gave_up else 0,
            }
        with self.wlock:
            tmp = os.path.join(self.run, 'state.tmp')
            with open(tmp, 'w') as f:
                for k, v in lines.items():
                    f.write('%s=%s\n' % (k, v))
            os.replace(tmp, os.path.join(self.run, 'state'))

    def set_state(self, state):
        with self.lock:
            self.state = state
        self.write_state()

    # ---- pty --------------------------------------------------------------------------------
    def open_pty(self):
        self.master, self.slave = os.openpty()
        # Raw, no echo: output written to the master must never come back as guest input.
        tty.setraw(self.slave)
        fl = fcntl.fcntl(self.master, fcntl.F_GETFL)
        fcntl.fcntl(self.master, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        self.slave_name = os.ttyname(self.slave)
        tmp = self.link + '.tmp'
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(self.slave_name, tmp)
        os.replace(tmp, self.link)

    def to_pty(self, data):
        # Never block: if the pty is full nobody is reading; drop what is queued (stale output)
        # and try once more, else drop this chunk for the client (the log has it).
        for attempt in (0, 1):
            try:
                n = os.write(self.master, data)
                if n == len(data):
                    return
                data = data[n:]
            except BlockingIOError:
                pass
            except OSError as e:
                if e.errno not in (errno.EIO, errno.EAGAIN):
                    raise
            if attempt == 0:
                try:
                    termios.tcflush(self.slave, termios.TCIFLUSH)
                except termios.error:
                    pass
        self.clients_dropped += len(data)

    # ---- console scanning -------------------------------------------------------------------
    def record(self, data):
        if not self.first_byte_seen:
            self.first_byte_seen = True
            log('first console byte %.2f s after launch' % (time.monotonic() - self.launch_time))
        start = self.log_size
        os.write(self.log_fd, data)
        self.log_size += len(data)
        buf = self.scan_tail + data
        base = start - len(self.scan_tail)
        # Only matches that end in the new data (the kept tail was scanned before).
        for m in BOOT_RE.finditer(buf):
            if m.end() <= len(self.scan_tail):
                continue
            off = base + m.start()
            # ARM prints "Booting Linux on physical CPU" just before "Linux version": one boot.
            if (m.group(0).endswith(b'Linux version ') and self.last_marker is not None
                    and self.last_marker[1].endswith(b'Booting Linux')
                    and off - self.last_marker[0] < 1024):
                continue
            self.last_marker = (off, m.group(0))
            self.new_boot(off)
        for m in PANIC_RE.finditer(buf):
            if m.end() <= len(self.scan_tail):
                continue
            self.on_panic_seen(base + m.start())
        self.scan_tail = buf[-SCAN_KEEP:]

    def new_boot(self, off):
        with self.lock:
            self.boots += 1
            self.boot_offset = off
            self.boot_time = time.monotonic()
            if self.state != 'booting':
                # A reboot inside the same QEMU (reboot-in-place mode): time the boot from here.
                self.launch_time = self.boot_time
                self.launch_up = False
                self.state = 'booting'
                self.generation += 1
                gen = self.generation
            else:
                gen = None
        log('boot %d starts at console offset %d' % (self.boots, off))
        self.write_state()
        if gen is not None:
            self.start_probe(gen)

    def on_panic_seen(self, off):
        with self.lock:
            if self.state == 'panicked':
                return
            self.state = 'panicked'
            self.panics += 1
            self.panic_time = time.monotonic()
            self.generation += 1
        log('kernel panic at console offset %d' % off)
        self.write_state()

    # ---- SSH banner probe -------------------------------------------------------------------
    def start_probe(self, gen):
        threading.Thread(target=self.probe, args=(gen,), daemon=True).start()

    def probe(self, gen):
        # QEMU's user networking accepts the TCP connection before the guest listens: only the
        # SSH banner says the guest's sshd is there.
        while not self.stopping and self.generation == gen:
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1) as s:
                    s.settimeout(2)
                    banner = s.recv(64)
                if banner.startswith(b'SSH-'):
                    now = time.monotonic()
                    recovered = None
                    with self.lock:
                        if self.generation != gen or self.stopping:
                            return
                        self.state = 'up'
                        self.launch_up = True
                        self.last_boot_s = now - self.launch_time
                        if self.panic_time is not None:
                            recovered = self.last_recovery_s = now - self.panic_time
                            self.panic_time = None
                    log('ssh up (%.2f s after launch%s)' % (
                        self.last_boot_s, '' if recovered is None
                        else ', %.2f s after the panic or lost QEMU' % recovered))
                    self.write_state()
                    return
            except OSError:
                pass
            time.sleep(0.1)

    # ---- QEMU -------------------------------------------------------------------------------
    def qemu_argv(self):
        argv = list(self.qemu_base)
        argv += ['-S', '-qmp', 'unix:%s,server=on,wait=off' % self.qmp_sock,
                 '-chardev', 'socket,id=ser0,path=%s,server=on,wait=off' % self.serial_sock,
                 '-serial', 'chardev:ser0']
        if self.on_panic == 'exit':
            argv.append('-no-reboot')
        return argv

    def connect_unix(self, path, deadline):
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('QEMU exited with status %s while starting (see run/qemu.log)'
                                   % self.proc.returncode)
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise RuntimeError('QEMU socket %s did not appear' % path)
                time.sleep(0.02)

    def qmp_cmd(self, cmd):
        self.qmp.sendall((json.dumps({'execute': cmd}) + '\n').encode())
        buf = b''
        while True:
            chunk = self.qmp.recv(4096)
            if not chunk:
                raise RuntimeError('QMP closed')
            buf += chunk
            for line in buf.split(b'\n'):
                line = line.strip()
                if not line:
                    continue
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if 'return' in msg:
                    return msg
                if 'error' in msg:
                    raise RuntimeError('QMP %s: %s' % (cmd, msg['error']))

    def launch(self):
        for p in (self.serial_sock, self.qmp_sock):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        qlog = open(os.path.join(self.run, 'qemu.log'), 'ab')
        self.launches += 1
        self.launch_up = False
        self.first_byte_seen = False
        self.launch_time = time.monotonic()
        with self.lock:
            self.state = 'booting'
            self.generation += 1
            gen = self.generation
        self.proc = subprocess.Popen(self.qemu_argv(), stdin=subprocess.DEVNULL, stdout=qlog,
                                     stderr=qlog, close_fds=True)
        qlog.close()
        with open(os.path.join(self.run, 'qemu.pid'), 'w') as f:
            f.write('%d\n' % self.proc.pid)
        deadline = time.monotonic() + 20
        self.ser = self.connect_unix(self.serial_sock, deadline)
        self.qmp = self.connect_unix(self.qmp_sock, deadline)
        self.qmp.settimeout(10)
        self.qmp.recv(4096)  # greeting
        self.qmp_cmd('qmp_capabilities')
        # The relay is connected: let the guest run.
        self.qmp_cmd('cont')
        self.qmp.setblocking(False)
        self.ser.setblocking(False)
        with self.lock:
            self.boot_offset = self.log_size
        log('launch %d: QEMU pid %d' % (self.launches, self.proc.pid))
        self.write_state()
        self.start_probe(gen)

    def drain_serial(self, timeout=1.0):
        if not self.ser:
            return
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.ser], [], [], 0.05)
            if not r:
                if self.proc.poll() is not None:
                    # QEMU is gone; whatever it wrote is already in the socket.
                    try:
                        data = self.ser.recv(65536)
                    except BlockingIOError:
                        break
                    if not data:
                        break
                    self.record(data)
                    self.to_pty(data)
                continue
            try:
                data = self.ser.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                break
            if not data:
                break
            self.record(data)
            self.to_pty(data)
        self.ser.close()
        self.ser = None

    def close_qmp(self):
        if self.qmp:
            self.qmp.close()
            self.qmp = None

    def stop_qemu(self):
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            if self.qmp:
                self.qmp.setblocking(True)
                self.qmp.settimeout(2)
                self.qmp.sendall(b'{"execute": "quit"}\n')
        except OSError:
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # ---- main loop --------------------------------------------------------------------------
    def run_loop(self):
        os.makedirs(self.run, exist_ok=True)
        self.log_fd = os.open(self.console_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.log_size = os.fstat(self.log_fd).st_size
        self.open_pty()
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)

        def on_term(signum, frame):
            self.stopping = True
            try:
                os.write(wake_w, b'x')
            except OSError:
                pass

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

        try:
            self.launch()
        except Exception as e:
            log('launch failed: %s' % e)
            self.stop_qemu()
            self.set_state('stopped')
            return 1

        while not self.stopping:
            fds = [self.master, wake_r]
            if self.ser:
                fds.append(self.ser)
            if self.qmp:
                fds.append(self.qmp)
            try:
                r, _, _ = select.select(fds, [], [], 0.1)
            except InterruptedError:
                continue
            if self.ser and self.ser in r:
                try:
                    data = self.ser.recv(65536)
                except BlockingIOError:
                    data = None
                except OSError:
                    data = b''
                if data:
                    self.record(data)
                    self.to_pty(data)
                elif data == b'':
                    self.ser.close()
                    self.ser = None
            if self.master in r:
                try:
                    data = os.read(self.master, 4096)
                except (BlockingIOError, OSError):
                    data = b''
                if data and self.ser:
                    try:
                        self.ser.send(data)
                    except OSError:
                        pass  # guest input dropped (QEMU busy or gone)
            if self.qmp and self.qmp in r:
                try:
                    if not self.qmp.recv(65536):
                        self.close_qmp()
                except BlockingIOError:
                    pass
                except OSError:
                    self.close_qmp()
            if wake_r in r:
                os.read(wake_r, 64)
            if self.proc.poll() is not None and not self.stopping:
                self.drain_serial()
                self.close_qmp()
                rc = self.proc.returncode
                with self.lock:
                    was = self.state
                log('QEMU exited with status %d (state %s)' % (rc, was))
                self.failed_boots = 0 if self.launch_up else self.failed_boots + 1
                if self.failed_boots >= 3:
                    log('3 boots in a row did not reach SSH: not relaunching')
                    self.gave_up = True
                    self.set_state('panicked')
                    while not self.stopping:
                        time.sleep(0.2)
                    break
                if was != 'panicked':
                    # QEMU ended without a panic on the console (a reboot, or killed): it is
                    # still a lost boot; count it like the panic it most likely was.
                    with self.lock:
                        self.panic_time = self.panic_time or time.monotonic()
                try:
                    self.launch()
                except Exception as e:
                    log('relaunch failed: %s' % e)
                    self.set_state('stopped')
                    return 1

        log('stopping')
        self.stop_qemu()
        self.drain_serial(0.5)
        self.close_qmp()
        self.set_state('stopped')
        try:
            if os.readlink(self.link) == self.slave_name:
                os.unlink(self.link)
        except OSError:
            pass
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--arch', required=True)
    ap.add_argument('--on-panic', choices=('exit', 'reboot'), default='exit')
    ap.add_argument('qemu', nargs=argparse.REMAINDER)
    args = ap.parse_args()
    qemu = args.qemu[1:] if args.qemu[:1] == ['--'] else args.qemu
    if not qemu:
        ap.error('no QEMU command line after --')
    node = Node(args, qemu)
    run = os.path.join(os.path.abspath(args.dir), 'run')
    os.makedirs(run, exist_ok=True)
    with open(os.path.join(run, 'vnoded.pid'), 'w') as f:
        f.write('%d\n' % os.getpid())
    rc = node.run_loop()
    try:
        os.unlink(os.path.join(run, 'qemu.pid'))
    except FileNotFoundError:
        pass
    try:
        os.unlink(os.path.join(run, 'vnoded.pid'))
    except FileNotFoundError:
        pass
    sys.exit(rc)


if __name__ == '__main__':
    main()
