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
        match = re.fullmatch(r'kstream_records_consumed_total\{topic="[^"]+",partition="(\d+)"\}', name)
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

    def steps():
        for job in jobs:  # one by one, each taking part of the work before the next comes
            job.start()
            fl.wait_for(lambda: job.ready() and job.consumed() > 500, 90, f"{job.name} to consume", job)
        a.kill9()
        time.sleep(12)  # past a's session timeout: b and c take its partitions
        code = b.terminate()
        assert code == 0, f"{b.name} stopped with SIGTERM: exit {code}\n{b.log_tail()}"
        a.start()
        fl.wait_for(lambda: a.ready() and a.consumed() > 500, 90, f"{a.name} restarted to consume", a)
        fed = feeder.stop()
        fl.wait_caught_up(topics, fed, 180, jobs=[a, c])
        for job in (a, c):
            code = job.terminate()
            assert code == 0, f"{job.name} stopped with SIGTERM: exit {code}\n{job.log_tail()}"

    failure = fl.scenario(steps)
    feeder.stop()
    fl.check_exactly_once(topics, feeder.sent, "group_three_instances", started, restarts=a.runs - 1,
                          extra_figures={"instances": 3, "killed": 1, "stopped": 1}, failure=failure)


def test_zombie_is_fenced(logs):
    started = time.monotonic()
    topics = fl.create_topics("zombie", partitions=PARTITIONS)
    group = f"g-{topics['in']}"
    feeder = fl.Feeder(topics["in"], PARTITIONS, rate=1500, seed=41).start()
    zombie = fl.Job(topics, group, logs, "zombie", transactional_id=f"tx-{topics['in']}-z")
    other = fl.Job(topics, group, logs, "other", transactional_id=f"tx-{topics['in']}-o")
    figures = {}

    def steps():
        zombie.start()
        fl.wait_for(lambda: zombie.ready() and zombie.consumed() > 500, 90, "the first instance to consume", zombie)
        other.start()
        fl.wait_for(lambda: other.ready() and other.consumed() > 500, 90, "the second instance to consume", other)
        # The zombie's partitions: those it is consuming right now.
        before = consumed_by_partition(zombie)
        time.sleep(2)
        after = consumed_by_partition(zombie)
        its_partitions = sorted(p for p in after if after[p] > before.get(p, 0))
        assert its_partitions, "the first instance consumed nothing in 2 s"
        figures["zombie_partitions"] = len(its_partitions)
        figures["zombie_committed_before_stop"] = int(fl.kt.total(zombie.metrics(),
                                                                  "kstream_transactions_committed_total"))
        consumed_before_stop = zombie.consumed()

        zombie.proc.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        other_before = consumed_by_partition(other)
        # The other instance takes the zombie's partitions once its session (10 s) has expired
        # and, for partitions with the zombie's transaction still open, once that is resolved.
        fl.wait_for(lambda: all(consumed_by_partition(other).get(p, 0) > other_before.get(p, 0)
                                for p in its_partitions),
                    120, f"the other instance to take partitions {its_partitions}", other)
        figures["taken_after_s"] = round(time.monotonic() - stopped_at, 1)
        zombie.proc.send_signal(signal.SIGCONT)

        # Fenced: it exits (non-zero), or rejoins (ready, with its stale transaction aborted or
        # consuming again) within 45 s.
        def exited_or_rejoined():
            if not zombie.alive():
                return True
            values = zombie.metrics()
            return zombie.ready() and (fl.kt.total(values, "kstream_transactions_aborted_total") >= 1
                                       or fl.kt.total(values, "kstream_records_consumed_total")
                                       > consumed_before_stop + 500)
        fl.wait_for(exited_or_rejoined, 45, "the zombie to exit or rejoin once resumed")
        figures["zombie_exit"] = zombie.proc.returncode
        if zombie.alive():
            figures["zombie_aborted"] = int(fl.kt.total(zombie.metrics(), "kstream_transactions_aborted_total"))
        fed = feeder.stop()
        survivors = [other] + ([zombie] if zombie.alive() else [])
        fl.wait_caught_up(topics, fed, 180, jobs=survivors)
        for job in survivors:
            code = job.terminate()
            assert code == 0, f"{job.name} stopped with SIGTERM: exit {code}\n{job.log_tail()}"
        # Either it exited non-zero once fenced, or it rejoined and stopped cleanly above.
        assert figures["zombie_exit"] != 0, "the fenced zombie exited 0 as if nothing had happened"

    failure = fl.scenario(steps)
    feeder.stop()
    fl.check_exactly_once(topics, feeder.sent, "group_zombie", started, extra_figures=figures, failure=failure)
