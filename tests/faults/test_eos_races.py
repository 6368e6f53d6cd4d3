"""The exactly-once races of issue 24, on the faults broker, each with read_committed readers:

- a hand-over that cannot finish (its output stalled by a client quota while a second instance
  joins): the instance stops with exit 1 instead of letting the partitions go with their work
  in its open transaction, or (when its own transaction timeout fires first) aborts that
  transaction before it answers; everything is in the output exactly once;
- cooperative-sticky scale-out (instances joining and leaving): no hand-over and no generation
  change aborts a transaction (a periodic commit that races a JoinGroup's completion at the
  broker still can: counted, and each must be that race);
- a graceful stop whose last transaction aborts (its output stalled, its records timing out):
  exit code non-zero, and the next run writes what it had consumed, exactly once;
- a fenced static member (a second instance with the same group.instance.id): the fenced one
  exits 1 with the reason, the other goes on, exactly once."""
import re
import time

import faultlib as fl

PARTITIONS = 6
STALL_RATE = 1024  # bytes/s: a few records a second, minutes for what an instance holds


def exited(job, timeout):
    """The job's exit code once it has exited within `timeout` s; None when it is still running."""
    try:
        return job.proc.wait(timeout=timeout)
    except fl.subprocess.TimeoutExpired:
        return None


def consume_then_stall(job, client_id, more):
    """Starts `job`, lets it consume, then stalls its output and waits until it has consumed
    `more` records it cannot deliver: its open transaction holds them."""
    job.start()
    fl.wait_for(lambda: job.ready() and job.consumed() > 500, 90, f"{job.name} to consume", job)
    fl.set_producer_quota(client_id, STALL_RATE)
    consumed = job.consumed()
    fl.wait_for(lambda: job.consumed() > consumed + more, 60, f"{job.name} to consume with its output stalled", job)


def test_stalled_hand_over_stops_the_instance(logs):
    started = time.monotonic()
    topics = fl.create_topics("handover", partitions=PARTITIONS)
    group = f"g-{topics['in']}"
    stalled_client = f"stalled-{topics['in']}"
    feeder = fl.Feeder(topics["in"], PARTITIONS, rate=500, seed=51).start()
    # job.shutdown-timeout-ms bounds the hand-over wait and may not be below the transaction
    # timeout: the stalled producer's own flush gives up about when the hand-over wait does.
    first = fl.Job(topics, group, logs, "first", transactional_id=f"tx-{topics['in']}-1",
                   extra=[fl.rdkafka_properties(client_id=stalled_client), "--job.shutdown-timeout-ms=5000",
                          "--job.transaction-timeout-ms=5000"])
    second = fl.Job(topics, group, logs, "second", transactional_id=f"tx-{topics['in']}-2")
    figures = {}

    def hand_over_ended():
        """The stalled hand-over ended one of the two right ways: the instance stopped (exit 1,
        the reason in its log) rather than let the partitions go, or its producer answered
        the hand-over having aborted the open transaction (then the partitions may go)."""
        log = first.log_path.read_text(errors="replace")
        if not first.alive():
            return True
        return "over failed (" in log and fl.kt.total(first.metrics(), "kstream_transactions_aborted_total") >= 1

    def steps():
        consume_then_stall(first, stalled_client, 500)
        second.start()  # a rebalance: the first must hand its partitions over and cannot
        fl.wait_for(hand_over_ended, 90, "the stalled hand-over to end in an exit or an abort")
        log = first.log_path.read_text(errors="replace")
        figures["first_exit"] = first.proc.poll()
        if figures["first_exit"] is not None:
            # Exit 1 with the reason logged: the hand-over got no answer in time, or (the output
            # stalled as it is) the producer could not commit or abort within the transaction
            # timeout. Each stops the instance with its work in the open transaction, which the
            # restart below fences: nothing of it may reach the output twice.
            stops = re.findall(r"Z critical (.*)", log)
            assert figures["first_exit"] == 1 and stops, \
                f"the stalled instance exited {figures['first_exit']}; its log ends:\n{first.log_tail()}"
            figures["stop_reason"] = re.sub(r"\W+", "_", stops[0])[:60]  # one FIGURES word
        figures["path"] = "exit" if figures["first_exit"] is not None else "aborted"
        fl.set_producer_quota(stalled_client, None)
        if not first.alive():
            first.start()  # as Kubernetes would: the same transactional id fences the open transaction
        fl.wait_for(lambda: first.ready(), 90, "the first instance to be ready", first)
        fed = feeder.stop()
        fl.wait_caught_up(topics, fed, 180, jobs=[first, second])
        for job in (first, second):
            code = job.terminate()
            assert code == 0, f"{job.name} stopped with SIGTERM: exit {code}\n{job.log_tail()}"
        figures["aborted"] = sum(fl.transactions(job)[1] for job in (first, second))

    failure = fl.scenario(steps)
    fl.set_producer_quota(stalled_client, None)
    feeder.stop()
    fl.check_exactly_once(topics, feeder.sent, "eos_stalled_hand_over", started, restarts=first.runs - 1,
                          extra_figures=figures, failure=failure)


def test_cooperative_scale_out_aborts_nothing(logs):
    started = time.monotonic()
    topics = fl.create_topics("coop", partitions=PARTITIONS)
    group = f"g-{topics['in']}"
    feeder = fl.Feeder(topics["in"], PARTITIONS, rate=1000, seed=61).start()
    cooperative = fl.rdkafka_properties(partition_assignment_strategy="cooperative-sticky")
    jobs = [fl.Job(topics, group, logs, f"instance-{n}", transactional_id=f"tx-{topics['in']}-{n}",
                   extra=[cooperative]) for n in "abc"]
    a, b, c = jobs
    aborted = {}
    figures = {"instances": 3}

    def steps():
        for job in jobs:  # scale out one by one, each consuming before the next joins
            job.start()
            fl.wait_for(lambda: job.ready() and job.consumed() > 300, 90, f"{job.name} to consume", job)
        for job in (b, c):  # and in again: each hands its partitions over as it leaves
            aborted[job.name] = fl.kt.total(job.metrics(), "kstream_transactions_aborted_total")
            code = job.terminate()
            assert code == 0, f"{job.name} stopped with SIGTERM: exit {code}\n{job.log_tail()}"
            aborted[job.name] = max(aborted[job.name], fl.transactions(job)[1])
            before = a.consumed()
            fl.wait_for(lambda: a.consumed() > before + 300, 60, f"{a.name} to consume after {job.name} left", a)
        fed = feeder.stop()
        fl.wait_caught_up(topics, fed, 180, jobs=[a])
        aborted[a.name] = fl.kt.total(a.metrics(), "kstream_transactions_aborted_total")
        code = a.terminate()
        assert code == 0, f"{a.name} stopped with SIGTERM: exit {code}\n{a.log_tail()}"
        aborted[a.name] = max(aborted[a.name], fl.transactions(a)[1])
        # No hand-over, lost assignment or generation change may abort anything. What is left:
        # a periodic commit whose offsets reach the broker just after a JoinGroup completed
        # there, before this member's librdkafka has the new generation (2.0.2 tells the
        # application nothing of a join under way); each of those must say so in the log.
        logs_text = "".join(job.log_path.read_text(errors="replace") for job in jobs)
        for sign in ("over failed (the transaction could not be committed)", "without the consumer confirming",
                     "left this instance without a hand-over", "was lost"):
            assert sign not in logs_text, f"an incremental rebalance aborted a transaction: {sign!r}"
        # The producer's line only: the consumer's rewind line repeats the same reason.
        join_races = len(re.findall(r"producer: sending the offsets to the transaction failed: "
                                    r"(ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS)", logs_text))
        figures["join_race_aborts"] = join_races
        assert sum(aborted.values()) == join_races, \
            f"transactions aborted by incremental rebalances: {aborted}, {join_races} of them at a join's completion"

    failure = fl.scenario(steps)
    feeder.stop()
    fl.check_exactly_once(topics, feeder.sent, "eos_cooperative_scale_out", started,
                          extra_figures=dict(figures, aborted=int(sum(aborted.values()))), failure=failure)


def test_stop_whose_last_transaction_aborts_exits_non_zero(logs):
    started = time.monotonic()
    topics = fl.create_topics("lastabort", partitions=3)
    group = f"g-{topics['in']}"
    stalled_client = f"stalled-{topics['in']}"
    feeder = fl.Feeder(topics["in"], 3, rate=500, seed=71).start()
    # Records not delivered within 3 s fail: under the quota the last transaction cannot commit.
    job = fl.Job(topics, group, logs, "job", transactional_id=f"tx-{topics['in']}",
                 extra=[fl.rdkafka_properties(client_id=stalled_client, message_timeout_ms=3000),
                        "--job.shutdown-timeout-ms=20000"])
    figures = {}

    def steps():
        consume_then_stall(job, stalled_client, 300)
        code = job.terminate(timeout=90)
        figures["stop_exit"] = code
        assert code != 0, f"a stop whose last transaction aborted exited 0; its log ends:\n{job.log_tail()}"
        fl.set_producer_quota(stalled_client, None)
        feeder.stop()
        # The next run (drain) writes what the aborted transaction held, once.
        job.args.append("--job.drain")
        code = fl.run_bounded(job, 180)
        figures["drain_exit"] = code
        assert code == 0, f"the drain after the aborted stop {'did not finish' if code is None else f'exited {code}'}"

    failure = fl.scenario(steps)
    fl.set_producer_quota(stalled_client, None)
    feeder.stop()
    fl.check_exactly_once(topics, feeder.sent, "eos_last_transaction_aborted", started, restarts=job.runs - 1,
                          extra_figures=figures, failure=failure)


def test_fenced_static_member_exits(logs):
    started = time.monotonic()
    topics = fl.create_topics("fenced", partitions=3)
    group = f"g-{topics['in']}"
    same_member = fl.rdkafka_properties(group_instance_id=f"member-{topics['in']}")
    feeder = fl.Feeder(topics["in"], 3, rate=500, seed=81).start()
    fenced = fl.Job(topics, group, logs, "fenced", transactional_id=f"tx-{topics['in']}-1", extra=[same_member])
    other = fl.Job(topics, group, logs, "other", transactional_id=f"tx-{topics['in']}-2", extra=[same_member])
    figures = {}

    def steps():
        fenced.start()
        fl.wait_for(lambda: fenced.ready() and fenced.consumed() > 500, 90, "the first instance to consume", fenced)
        other.start()  # the same group.instance.id: the broker fences the first
        fl.wait_for(lambda: other.ready() and other.consumed() > 200, 90, "the second instance to consume", other)
        code = exited(fenced, 60)
        figures["fenced_exit"] = code
        assert code == 1, (f"the fenced instance {'is still running' if code is None else f'exited {code}'}; "
                           f"its log ends:\n{fenced.log_tail()}")
        log = fenced.log_path.read_text(errors="replace")
        assert "FENCED_INSTANCE_ID" in log and "group.instance.id" in log, \
            f"the fenced instance did not say why:\n{fenced.log_tail()}"
        fed = feeder.stop()
        fl.wait_caught_up(topics, fed, 180, jobs=[other])
        code = other.terminate()
        assert code == 0, f"{other.name} stopped with SIGTERM: exit {code}\n{other.log_tail()}"

    failure = fl.scenario(steps)
    feeder.stop()
    fl.check_exactly_once(topics, feeder.sent, "eos_fenced_static_member", started, extra_figures=figures,
                          failure=failure)
