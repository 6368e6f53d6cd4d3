"""20 kill -9 of the job at random moments while a producer feeds a live stream, then a drain:
every fed record exactly once in the output (read_committed), in order, with its key."""
import random
import time

import faultlib as fl

KILLS = 20


def test_twenty_kill_9_at_random_moments_then_drain(logs):
    started = time.monotonic()
    topics = fl.create_topics("kills", partitions=3)
    group = f"g-{topics['in']}"
    feeder = fl.Feeder(topics["in"], 3, rate=1500, seed=11).start()
    # Static membership: each restart takes the partitions back at once (otherwise every
    # restart waits out the killed instance's 10 s session); the same transactional id makes
    # each restart fence its predecessor and abort its open transaction.
    job = fl.Job(topics, group, logs, "job", transactional_id=f"tx-{topics['in']}",
                 extra=["--kafka.static-membership=true", "--job.batch-size=200"])
    rng = random.Random(2026)
    while_consuming = 0
    for _ in range(KILLS):
        job.start()
        kill_at = time.monotonic() + rng.uniform(0.3, 4.0)
        consuming = False
        while time.monotonic() < kill_at:
            try:
                consuming = consuming or job.consumed() > 0
            except OSError:
                pass
            assert job.alive(), f"the job exited with {job.proc.returncode} before its kill:\n{job.log_tail()}"
            time.sleep(0.05)
        while_consuming += consuming
        job.kill9()
    fed = feeder.stop()
    drain = fl.Job(topics, group, logs, "drain", drain=True, transactional_id=f"tx-{topics['in']}",
                   extra=["--kafka.static-membership=true"])
    code = fl.run_bounded(drain, 240)
    fl.check_exactly_once(topics, feeder.sent, "job_kills", started, restarts=KILLS,
                          extra_figures={"kills_while_consuming": while_consuming, "fed": fed, "drain_exit": code},
                          exit_code=code, job=drain)
    assert while_consuming >= KILLS // 2, f"only {while_consuming} of {KILLS} kills hit a job that was consuming"
