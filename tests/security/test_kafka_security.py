"""kstream-app and kstream-stats against a secured broker (seclib.py): each runs exactly once
through SASL/SCRAM-SHA-512, SASL/PLAIN and mTLS with only the ACLs of README.md's table; a
missing ACL, a wrong password, an untrusted or misnamed certificate each stop the process
within 30 s, exit 1, with a message naming the cause; no secret in any log line."""
import json
import re
import secrets
import uuid
from collections import Counter

import pytest

import seclib
from seclib import MECHANISMS, REFUSAL_BOUND_S, kafka_testlib, job_acls, stats_acls
from stay_rules import CATEGORIES, category, stay_days

RECORDS = 3000
BAD_VALUES = [b"not json", b"[1,2,3]", b'{"id":', b"\"text\""]
# A whole run: well under this on the test machine (figures in <build>/security-figures.txt).
RUN_BOUND_S = 300


def new_topics(broker, prefix):
    # The view's state topic made as kstream-stats would make it (compacted, 8 MB records), so
    # that the view needs no Create.
    topics = kafka_testlib.create_topics(prefix, names=("in", "out", "dlq", "stats", "state"),
                                         configs={"stats": {"cleanup.policy": "compact"},
                                                  "state": {"cleanup.policy": "compact",
                                                            "max.message.bytes": str(8 * 1024 * 1024)}},
                                         client=broker.admin_config())
    sent = kafka_testlib.produce_records(topics["in"], RECORDS, extra=BAD_VALUES, client=broker.admin_config())
    return topics, sent


def assert_no_secret(output, broker, extra=()):
    for name, value in list(broker.secrets.items()) + [("the wrong password", v) for v in extra]:
        assert value not in output, f"{name} appears in the log"


def run_as(broker, program, mechanism, grants, topics, group, tmp_path, bound, **spoil):
    """Gives the program's principal exactly `grants` and runs the program (drain mode) through
    `mechanism`, its client set-up spoilt by `spoil`: (exit code, seconds, output)."""
    broker.set_acls(f"{program}_{mechanism}", grants)
    bootstrap, properties, environment = broker.client_setup(program, mechanism, **spoil)
    config = seclib.write_config(tmp_path / f"{program}.ini", bootstrap, properties)
    command = seclib.job_command(config, topics, group) if program == "app" else \
        seclib.stats_command(config, topics, group)
    return seclib.run_program(command, environment, tmp_path / f"{program}.log", bound)


def critical_lines(output):
    return [line for line in output.splitlines() if " critical " in line]


def expected_table(sent):
    records, hotels = Counter(), {name: set() for name in CATEGORIES}
    for _, value, check_in, check_out in sent:
        name = category(stay_days(check_in, check_out))
        records[name] += 1
        hotel = json.loads(value).get("hotel_id")
        if isinstance(hotel, int) and not isinstance(hotel, bool):
            hotels[name].add(hotel)
    return {name: (records[name], len(hotels[name])) for name in CATEGORIES}


def printed_table(output):
    """kstream-stats' final table as printed: {category: (records, distinct hotels)}."""
    rows = {}
    for line in output.splitlines():
        match = re.fullmatch(r"\|(.{24})\|\s*(\d+) \|\s*(\d+) \|", line)
        if match and match.group(1).strip() in CATEGORIES:
            rows[match.group(1).strip()] = (int(match.group(2)), int(match.group(3)))
    return rows


def changelog_table(broker, topic):
    latest = {}
    for record in sorted(kafka_testlib.read_topic(topic, client=broker.admin_config()), key=lambda r: r[1]):
        row = json.loads(record[3])
        latest[row["stay_category"]] = (row["records"], row["distinct_hotels"])
    return latest


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_job_and_stats_run_exactly_once_through(mechanism, broker, figures, tmp_path):
    admin = broker.admin_config()
    topics, sent = new_topics(broker, f"sec_{mechanism}")
    group = f"sec-{mechanism}-{uuid.uuid4().hex[:8]}"

    # The job, with only the job's ACLs.
    code, seconds, output = run_as(broker, "app", mechanism, job_acls(topics, group), topics, group, tmp_path,
                                   RUN_BOUND_S)
    figures.append(f"kstream-app   {mechanism:5} run: exit {code} in {seconds:.1f} s")
    assert code == 0, f"the job failed through {mechanism}:\n{output[-3000:]}"
    assert_no_secret(output, broker)
    written = Counter(r[3].decode() for r in kafka_testlib.read_topic(topics["out"], client=admin))
    expected = Counter(kafka_testlib.expected_output(value, ci, co) for _, value, ci, co in sent)
    assert written == expected, (f"{sum(written.values())} records in {topics['out']}, {len(sent)} expected: "
                                 f"{sum((expected - written).values())} missing, {sum((written - expected).values())} extra")
    dead = sorted(r[3] for r in kafka_testlib.read_topic(topics["dlq"], client=admin))
    assert dead == sorted(BAD_VALUES)

    # kstream-stats over the job's output, with only the view's ACLs.
    view_group = f"sec-stats-{mechanism}-{uuid.uuid4().hex[:8]}"
    code, seconds, output = run_as(broker, "stats", mechanism, stats_acls(topics, view_group), topics, view_group,
                                   tmp_path, RUN_BOUND_S)
    figures.append(f"kstream-stats {mechanism:5} run: exit {code} in {seconds:.1f} s")
    assert code == 0, f"kstream-stats failed through {mechanism}:\n{output[-3000:]}"
    assert_no_secret(output, broker)
    table = expected_table(sent)
    assert printed_table(output) == table
    assert changelog_table(broker, topics["stats"]) == table


# --- refusals ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def refusal_topics(broker):
    """One set of topics with records for every refusal: none of them gets to write."""
    return new_topics(broker, "sec_refused")[0]


def without(grants, name, operation):
    left = [g for g in grants if not (g[2] == name and g[3] == operation)]
    assert len(left) == len(grants) - 1, f"no grant {operation} on {name} to leave out"
    return left


WRONG = "wrong-" + secrets.token_hex(8)

# (case, program, mechanism, what to spoil, which ACL to leave out: (topic role, "group" or
# "transactional id", operation[, a topic operation granted instead]), the cause the message names)
REFUSALS = [
    ("wrong SCRAM password", "app", "scram", {"password": WRONG}, None, "authentication failed"),
    ("wrong PLAIN password", "app", "plain", {"password": WRONG}, None, "authentication failed"),
    ("untrusted broker certificate", "app", "scram", {"ca": "rogue"}, None, "TLS failed"),
    ("broker certificate for another host", "app", "mtls", {"port": seclib.MISNAMED_PORT}, None, "TLS failed"),
    ("client certificate from an untrusted CA", "app", "mtls", {"cert": "rogue"}, None, "TLS failed"),
    ("no Read on the input topic", "app", "scram", {}, ("in", "READ"), "Topic authorization failed"),
    ("no Write on the output topic", "app", "scram", {}, ("out", "WRITE"), "Topic authorization failed"),
    # Describe alone lets the job start: the refusal comes when it writes, mid-run.
    ("Describe but no Write on the output topic", "app", "scram", {}, ("out", "WRITE", "DESCRIBE"),
     "Topic authorization failed"),
    ("no DescribeConfigs on the output topic", "app", "scram", {}, ("out", "DESCRIBE_CONFIGS"), "DescribeConfigs"),
    ("no Write on the dead-letter topic", "app", "plain", {}, ("dlq", "WRITE"), "Topic authorization failed"),
    ("no DescribeConfigs on the dead-letter topic", "app", "mtls", {}, ("dlq", "DESCRIBE_CONFIGS"), "DescribeConfigs"),
    ("no Read on the group", "app", "scram", {}, ("group", "READ"), "Group authorization failed"),
    ("no Write on the transactional id", "app", "scram", {}, ("transactional id", "WRITE"),
     "Transactional Id authorization failed"),
    ("wrong SCRAM password", "stats", "scram", {"password": WRONG}, None, "authentication failed"),
    ("untrusted broker certificate", "stats", "plain", {"ca": "rogue"}, None, "TLS failed"),
    ("no Read on the input topic", "stats", "mtls", {}, ("out", "READ"), "Topic authorization failed"),
    ("no Write on the changelog topic", "stats", "scram", {}, ("stats", "WRITE"), "Topic authorization failed"),
    ("no Read on the group", "stats", "scram", {}, ("group", "READ"), "Group authorization failed"),
    ("no Write on the state topic", "stats", "plain", {}, ("state", "WRITE"), "not written to the state topic"),
]


@pytest.mark.parametrize("case,program,mechanism,spoil,missing,cause", REFUSALS,
                         ids=[f"{r[1]}: {r[0]}" for r in REFUSALS])
def test_refused(case, program, mechanism, spoil, missing, cause, broker, refusal_topics, figures, tmp_path):
    topics = refusal_topics
    group = f"sec-refused-{uuid.uuid4().hex[:8]}"
    grants = job_acls(topics, group) if program == "app" else stats_acls(topics, group)
    if missing:
        role, operation, *instead = missing
        names = {**topics, "group": group if program == "app" else f"{group}-", "transactional id": f"{group}-"}
        grants = without(grants, names[role], operation) + [("TOPIC", "LITERAL", names[role], op) for op in instead]
    spoil = dict(spoil)
    if spoil.get("ca") == "rogue":
        spoil["ca"] = broker.pki.rogue_ca[1]
    if spoil.get("cert") == "rogue":
        spoil["cert"] = broker.rogue_cert
    code, seconds, output = run_as(broker, program, mechanism, grants, topics, group, tmp_path, REFUSAL_BOUND_S,
                                   **spoil)
    message = " / ".join(critical_lines(output)) or output.strip().splitlines()[-1:]
    figures.append(f"{'kstream-' + program:13} {mechanism:5} {case}: exit {code} in {seconds:.1f} s: {message}")
    assert code == 1, f"exit {code}, not 1:\n{output[-3000:]}"
    assert any(cause in line for line in critical_lines(output)), \
        f"the message does not name the cause ({cause!r}):\n{output[-3000:]}"
    assert_no_secret(output, broker, extra=[WRONG])


# --- secrets in the configuration (no broker needed: refused before connecting) ----------------

@pytest.mark.parametrize("program", seclib.PROGRAMS)
@pytest.mark.parametrize("case,environment,properties,named", [
    ("mistyped secret variable", {"KSTREAM_RDKAFKA_SASL_PASSWROD": "SECRET"}, [],
     "KSTREAM_RDKAFKA_SASL_PASSWROD"),
    ("secret in a malformed kafka.properties entry", {}, ["security.protocol=SASL_SSL", "sasl.password:SECRET"],
     "kafka.properties entry 2"),
    # Debian 12's librdkafka has no libcurl: OIDC is refused by librdkafka itself, with its reason.
    ("OAUTHBEARER with OIDC", {"KSTREAM_RDKAFKA_SASL_OAUTHBEARER_METHOD": "oidc",
                               "KSTREAM_RDKAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": "SECRET"},
     ["security.protocol=SASL_SSL", "sasl.mechanisms=OAUTHBEARER"], "depends on libcurl"),
])
def test_configuration_secret_never_shown(program, case, environment, properties, named, figures, tmp_path):
    secret = secrets.token_hex(16)
    environment = {k: v.replace("SECRET", secret) for k, v in environment.items()}
    properties = [p.replace("SECRET", secret) for p in properties]
    config = seclib.write_config(tmp_path / "client.ini", "127.0.0.1:1", properties)
    binary = seclib.APP if program == "app" else seclib.STATS
    code, seconds, output = seclib.run_program([binary, f"--config-file={config}", "--http.port=0"], environment,
                                               tmp_path / "client.log", REFUSAL_BOUND_S)
    last = output.strip().splitlines()[-2:] if output.strip() else []
    figures.append(f"{'kstream-' + program:13} {case}: exit {code} in {seconds:.1f} s: {' / '.join(last)}")
    assert code == 2, f"exit {code}, not 2 (a configuration error):\n{output[-3000:]}"
    assert named in output, f"the message does not name {named!r}:\n{output[-3000:]}"
    assert secret not in output, "the secret appears in the output"
