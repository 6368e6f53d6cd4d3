"""A contender's process: started in a session of its own, metered over its whole process
tree (peak RSS, CPU seconds, from /proc), stopped with SIGTERM then SIGKILL."""
import os
import signal
import subprocess
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def proc_tree(root):
    """root and all its descendants (pids), from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_usage(root):
    """(rss bytes, cpu seconds incl. waited-for children) summed over the tree."""
    rss = cpu = 0
    for p in proc_tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            with open(f"/proc/{p}/statm") as f:
                rss += int(f.read().split()[1]) * PAGE
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        cpu += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    return rss, cpu


class Meter(threading.Thread):
    """Samples the process tree every `period` s: peak RSS, CPU seconds, an RSS time line."""

    def __init__(self, pid, period=0.1):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.peak_rss, self.cpu, self.timeline = 0, 0.0, []
        self.stop_flag = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while not self.stop_flag.is_set():
            rss, cpu = tree_usage(self.pid)
            if rss:
                self.peak_rss = max(self.peak_rss, rss)
                self.cpu = max(self.cpu, cpu)
                self.timeline.append((round(time.monotonic() - self.t0, 2), rss))
            self.stop_flag.wait(self.period)

    def stop(self):
        self.stop_flag.set()
        self.join()


def start(contender, ctx, inp, out, group, drain, extra, logfile):
    argv, env, cwd = contender.command(ctx, inp, out, group, drain, extra)
    full_env = dict(os.environ, **contender.env, **env)
    with open(logfile, "ab") as lf:
        lf.write(("$ " + " ".join(argv) + "\n").encode())
        lf.flush()
        proc = subprocess.Popen(argv, env=full_env, cwd=cwd, stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc


def stop(proc, grace=60):
    """SIGTERM the contender's process group, SIGKILL after `grace` s; returns (status, rusage)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    return reap(proc, grace, kill=True)


def reap(proc, timeout, kill=False):
    if proc.returncode is not None:
        return proc.returncode, None  # already waited for (Popen.poll() reaps): no rusage left
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru
        if time.monotonic() > deadline:
            if not kill:
                return None, None
            os.killpg(proc.pid, signal.SIGKILL)
            kill = False
            deadline = time.monotonic() + 30
        time.sleep(0.05)

