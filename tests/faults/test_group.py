"""Several instances in one consumer group, each with its own transactional id, while a live
stream flows: instances join one by one, one is killed (-9), one stopped, one restarted; and a
zombie (SIGSTOPped past its session timeout while another takes its partitions, then
SIGCONTed) is fenced. Every fed record is in the output exactly once (read_committed)."""
import re
import signal
import time

import faultlib as fl

PARTITIONS = 6


def consumed_by_partition(job):
    values = job.metrics()
    out = {}
    for name, value in values.items():
        match = re.fullmatch(r'kstream_records_consumed_total\{partition="(\d+)"\}', name)
        if match:
            out[int(match.group(1))] = value
    return out


def test_three_instances_join_die_stop_and_restart(logs):
    started = time.monotonic()
    topics = fl.create_topics("group3", partitions=PARTITIONS)
    group = f"g-{topics['in']}"
    feeder = fl.Feeder(topics["in"], PARTITIONS, rate=1500, seed=31).start()
    jobs = [fl.Job(topics, group, logs, f"instance-{n}", transactional_id=f"tx-{topics['in']}-{n}")
            for n in "abc"]
    a, b, c = jobs
    restarts = 0
    for job in jobs:  # one by one, each taking part of the work before the next comes
        job.start()
        fl.wait_for(lambda: job.ready() and job.consumed() > 500, 90, f"{job.name} to consume", job)
    a.kill9()
    fl.wait_for(lambda: b.consumed() + c.consumed() > 0, 10, "the others to go on", b)
    time.sleep(12)  # past a's session timeout: b and c take its partitions
    code = b.terminate()
    assert code == 0, f"{b.name} stopped with SIGTERM: exit {code}\n{b.log_tail()}"
    a.start()
    restarts += 1
    fl.wait_for(lambda: a.ready() and a.consumed() > 500, 90, f"{a.name} restarted to consume", a)
    fed = feeder.stop()
    fl.wait_caught_up(topics, fed, 180, jobs=[a, c])
    for job in (a, c):
        code = job.terminate()
        assert code == 0, f"{job.name} stopped with SIGTERM: exit {code}\n{job.log_tail()}"
    fl.check_exactly_once(topics, feeder.sent, "group_three_instances", started, restarts=restarts,
                          extra_figures={"instances": 3, "killed": 1, "stopped": 1})


def test_zombie_is_fenced(logs):
    started = time.monotonic()
    topics = fl.create_topics("zombie", partitions=PARTITIONS)
    group = f"g-{topics['in']}"
    feeder = fl.Feeder(topics["in"], PARTITIONS, rate=1500, seed=41).start()
    zombie = fl.Job(topics, group, logs, "zombie", transactional_id=f"tx-{topics['in']}-z").start()
    fl.wait_for(lambda: zombie.ready() and zombie.consumed() > 500, 90, "the first instance to consume", zombie)
    other = fl.Job(topics, group, logs, "other", transactional_id=f"tx-{topics['in']}-o").start()
    fl.wait_for(lambda: other.ready() and other.consumed() > 500, 90, "the second instance to consume", other)
    # The zombie's partitions: those it is consuming right now.
    before = consumed_by_partition(zombie)
    time.sleep(2)
    after = consumed_by_partition(zombie)
    its_partitions = sorted(p for p in after if after[p] > before.get(p, 0))
    assert its_partitions, "the first instance consumed nothing in 2 s"
    zombie_committed_before = fl.kt.total(zombie.metrics(), "kstream_transactions_committed_total")

    zombie.proc.send_signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    other_before = consumed_by_partition(other)
    # The other instance takes the zombie's partitions once its session (10 s) has expired
    # and, for partitions with the zombie's transaction still open, once that is resolved.
    fl.wait_for(lambda: all(consumed_by_partition(other).get(p, 0) > other_before.get(p, 0) for p in its_partitions),
                120, f"the other instance to take partitions {its_partitions}", other)
    taken_after_s = round(time.monotonic() - stopped_at, 1)
    zombie.proc.send_signal(signal.SIGCONT)
    # Fenced: it exits (non-zero) or rejoins; give it time to find out either way.
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and zombie.alive():
        time.sleep(0.5)
    zombie_exit = zombie.proc.returncode
    zombie_aborted = None
    if zombie.alive():  # it rejoined: how many transactions it had to abort (its fenced one)
        fl.wait_for(zombie.ready, 60, "the zombie to rejoin and be ready", zombie)
        zombie_aborted = int(fl.kt.total(zombie.metrics(), "kstream_transactions_aborted_total"))
    fed = feeder.stop()
    survivors = [other] + ([zombie] if zombie.alive() else [])
    fl.wait_caught_up(topics, fed, 180, jobs=survivors)
    for job in survivors:
        code = job.terminate()
        assert code == 0, f"{job.name} stopped with SIGTERM: exit {code}\n{job.log_tail()}"
    fl.check_exactly_once(topics, feeder.sent, "group_zombie", started,
                          extra_figures={"zombie_partitions": len(its_partitions), "taken_after_s": taken_after_s,
                                         "zombie_exit": zombie_exit, "zombie_aborted": zombie_aborted,
                                         "zombie_committed_before_stop": int(zombie_committed_before)})
    # Either it exited non-zero once fenced, or it rejoined and stopped cleanly above.
    assert zombie_exit is None or zombie_exit != 0, "the fenced zombie exited 0 as if nothing had happened"
