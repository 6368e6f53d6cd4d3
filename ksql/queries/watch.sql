-- Watch the answer change while data flows (a push query: POST /query-stream, or the ksql
-- CLI). `scripts/ksql-submit.sh --watch` sends it. Kept out of ksql/*.sql on purpose: those
-- files are submitted to /ksql, which refuses SELECT.
SELECT stay_category, records, distinct_hotels FROM stay_counts EMIT CHANGES;
