-- The seed's answer on the cluster: for each stay category, the number of records and the
-- number of distinct hotel_ids in expedia_ext. Submitted with scripts/ksql-submit.sh (POST
-- /ksql) or `make deploy-ksql`; the Helm chart carries a copy. Safe to submit again: every
-- CREATE is IF NOT EXISTS. Watch the result with ksql/queries/watch.sql.
--
-- Exact, not approximate. ksqlDB's COUNT_DISTINCT is a HyperLogLog estimate (and skips
-- nulls), so it is not used. As in the seed, the distinct count is two levels of exact
-- counting: one row per (category, hotel) first, then the rows per category are counted.
-- Unlike the seed, a record with a null hotel_id still counts as a record of its category:
-- ksqlDB drops rows whose GROUP BY key is null, so level 1 groups by the hotel_id's text
-- with null mapped to '' (an integer's text is never empty), and level 2 counts only the
-- non-empty keys as hotels while summing every row's records. These are the same rules as
-- kstream-stats' local table (README, "The answer table").
--
-- Committed data only. The job writes expedia_ext in transactions; a consumer reading
-- uncommitted data would count records of aborted transactions. Kafka Streams (ksqlDB's
-- engine) reads with isolation.level=read_committed when processing.guarantee is
-- exactly_once_v2, which also makes the two tables' state and changelog exact across
-- failures (at_least_once, ksqlDB's default, may count a record twice after a crash).
-- SET in a /ksql request applies to the statements of that request only (the queries
-- keep the properties they were started with).

SET 'auto.offset.reset'='earliest';
SET 'processing.guarantee'='exactly_once_v2';

-- The enriched records; only the two columns the answer needs are declared. No key
-- columns: KEY_FORMAT matters for the tables below, whose keys have one or two columns
-- (the KAFKA key format cannot hold two).
CREATE STREAM IF NOT EXISTS expedia_ext_stream (
  hotel_id BIGINT,
  stay_category VARCHAR
) WITH (
  KAFKA_TOPIC='expedia_ext',
  VALUE_FORMAT='JSON',
  KEY_FORMAT='JSON'
);

-- Level 1: records per (category, hotel); hotel_key '' stands for a null hotel_id.
CREATE TABLE IF NOT EXISTS stay_category_hotels AS
  SELECT stay_category,
         COALESCE(CAST(hotel_id AS VARCHAR), '') AS hotel_key,
         COUNT(*) AS records
  FROM expedia_ext_stream
  GROUP BY stay_category, COALESCE(CAST(hotel_id AS VARCHAR), '')
  EMIT CHANGES;

-- Level 2: per category, every record, and every non-empty hotel key once.
CREATE TABLE IF NOT EXISTS stay_counts AS
  SELECT stay_category,
         SUM(records) AS records,
         SUM(CASE WHEN hotel_key = '' THEN 0 ELSE 1 END) AS distinct_hotels
  FROM stay_category_hotels
  GROUP BY stay_category
  EMIT CHANGES;
