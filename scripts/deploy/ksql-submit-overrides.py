#!/usr/bin/env python3
"""The `kubectl run --overrides` of `make deploy-ksql`: a throw-away curl pod that posts the
request on its stdin to ksqlDB's REST API over TLS (the CA from Secret kafka-ca) with the
login of Secret ksqldb-basic-client (a netrc file: the password is on no command line), under
the Pod Security "restricted" profile.

  ksql-submit-overrides.py POD_NAME URL
"""
import json
import sys

IMAGE = "curlimages/curl:8.11.1"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    name, url = sys.argv[1:]
    if not url.startswith("https://"):
        sys.exit(f"ksql-submit-overrides: {url}: ksqlDB is reached over https only")
    pod = {"apiVersion": "v1", "spec": {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 100, "runAsGroup": 101,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": name, "image": IMAGE, "stdin": True, "stdinOnce": True,
            "args": ["--silent", "--show-error", "--fail-with-body", "--retry", "30", "--retry-delay", "10",
                     "--retry-all-errors", "--cacert", "/etc/kafka-ca/ca.crt",
                     "--netrc-file", "/etc/ksqldb-login/netrc",
                     "--header", "Content-Type: application/vnd.ksql.v1+json; charset=utf-8",
                     "--data-binary", "@-", url],
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "login", "mountPath": "/etc/ksqldb-login", "readOnly": True},
                             {"name": "ca", "mountPath": "/etc/kafka-ca", "readOnly": True}],
        }],
        "volumes": [{"name": "login", "secret": {"secretName": "ksqldb-basic-client"}},
                    {"name": "ca", "secret": {"secretName": "kafka-ca"}}],
    }}
    json.dump(pod, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
