{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "kstream-app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name appended unless it is in it. */}}
{{- define "kstream-app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The StatefulSet's headless governing Service. */}}
{{- define "kstream-app.headlessServiceName" -}}
{{- printf "%s-headless" (include "kstream-app.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "kstream-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kstream-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kstream-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kstream-app.labels" -}}
helm.sh/chart: {{ include "kstream-app.chart" . }}
{{ include "kstream-app.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kstream-app
{{- end }}

{{- define "kstream-app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kstream-app.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The job's image: by digest when image.digest is set (the tag is then left out). */}}
{{- define "kstream-app.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The HTTP port of the job (probes, metrics); the chart needs it switched on. */}}
{{- define "kstream-app.httpPort" -}}
{{- $port := int (index .Values.config "http" "port") }}
{{- if le $port 0 }}
{{- fail "config.http.port must be > 0: the probes and /metrics need the job's HTTP endpoint" }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
One CAF INI value: strings double-quoted (with \ and " escaped), lists as ["a", "b"],
booleans and numbers bare (whole numbers without a decimal point).
*/}}
{{- define "kstream-app.iniValue" -}}
{{- $v := . }}
{{- if kindIs "string" $v }}
{{- printf "\"%s\"" ($v | replace "\\" "\\\\" | replace "\"" "\\\"") }}
{{- else if kindIs "slice" $v }}
{{- $items := list }}
{{- range $v }}
{{- $items = append $items (include "kstream-app.iniValue" .) }}
{{- end }}
{{- printf "[%s]" (join ", " $items) }}
{{- else if kindIs "bool" $v }}
{{- ternary "true" "false" $v }}
{{- else if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) }}
{{- if eq (float64 (int64 $v)) (float64 $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end }}
{{- else if kindIs "invalid" $v }}
{{- fail "config values must not be null" }}
{{- else }}
{{- fail (printf "config value of unsupported type %s: %v" (kindOf $v) $v) }}
{{- end }}
{{- end }}

{{/*
The job's configuration as rendered: .Values.config, with static membership on in
StatefulSet mode (stable pod names are what it needs).
*/}}
{{- define "kstream-app.config" -}}
{{- $config := deepCopy .Values.config }}
{{- if eq .Values.workload.kind "StatefulSet" }}
{{- $_ := set (index $config "kafka") "static-membership" true }}
{{- end }}
{{- toJson $config }}
{{- end }}

{{/* The whole caf-application.ini, sections and keys in alphabetical order. */}}
{{- define "kstream-app.ini" -}}
; kstream-app configuration, rendered by the Helm chart from .Values.config.
; Secrets are not here: they come from environment variables KSTREAM_RDKAFKA_*.
{{- $config := include "kstream-app.config" . | fromJson }}
{{- range $section := keys $config | sortAlpha }}
{{- $entries := index $config $section }}

[{{ $section }}]
{{- range $key := keys $entries | sortAlpha }}
{{ $key }}={{ include "kstream-app.iniValue" (index $entries $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Grace period: explicit value, or shutdown-timeout-ms rounded up plus 15 s. */}}
{{- define "kstream-app.terminationGracePeriodSeconds" -}}
{{- $shutdownMs := int64 (index .Values.config "job" "shutdown-timeout-ms") }}
{{- $neededS := div (add $shutdownMs 999) 1000 }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $neededS 15 }}
{{- else }}
{{- $grace := int64 .Values.terminationGracePeriodSeconds }}
{{- if lt $grace $neededS }}
{{- fail (printf "terminationGracePeriodSeconds (%d) is shorter than config.job.shutdown-timeout-ms (%d ms): Kubernetes would kill the job in the middle of its graceful stop" $grace $shutdownMs) }}
{{- end }}
{{- $grace }}
{{- end }}
{{- end }}

{{/* librdkafka property name -> the env var the job reads it from. */}}
{{- define "kstream-app.rdkafkaEnvName" -}}
{{- printf "KSTREAM_RDKAFKA_%s" (. | replace "." "_" | replace "-" "_" | upper) }}
{{- end }}

{{/* The ksqlDB statements the post-install Job submits. */}}
{{- define "kstream-app.ksqlStatements" -}}
{{- if .Values.ksqlJob.statements }}
{{- .Values.ksqlJob.statements }}
{{- else }}
{{- $parts := list }}
{{- range .Values.ksqlJob.files }}
{{- $content := $.Files.Get (printf "files/ksql/%s" .) }}
{{- if not $content }}
{{- fail (printf "ksqlJob: files/ksql/%s is missing or empty in the chart (run `make deploy-ksql-sync`), or set ksqlJob.statements" .) }}
{{- end }}
{{- $parts = append $parts $content }}
{{- end }}
{{- join "\n" $parts }}
{{- end }}
{{- end }}

{{/* A memory quantity (512Mi, 1Gi, 500M, 536870912) in MiB, rounded down. */}}
{{- define "kstream-app.quantityMiB" -}}
{{- $q := toString . }}
{{- $digits := regexFind "^[0-9]+" $q }}
{{- $unit := trimPrefix $digits $q }}
{{- $factors := dict "B" 1.0 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 }}
{{- if or (not $digits) (not (hasKey $factors (default "B" $unit))) }}
{{- fail (printf "resources.limits.memory %q is not a memory quantity the chart reads (an integer with Ki, Mi, Gi, Ti, k, M, G, T or no suffix)" $q) }}
{{- end }}
{{- divf (mulf (float64 $digits) (get $factors (default "B" $unit))) 1048576.0 | floor | int64 }}
{{- end }}

{{/* The job's memory bound in MiB: memorySizing applied to config.job.max-in-flight-bytes. */}}
{{- define "kstream-app.memoryBoundMiB" -}}
{{- $inFlight := float64 (index .Values.config "job" "max-in-flight-bytes") }}
{{- $perByte := float64 .Values.memorySizing.perInFlightByte }}
{{- addf (float64 .Values.memorySizing.fixedOverheadMiB) (divf (mulf $perByte $inFlight) 1048576.0) | ceil | int64 }}
{{- end }}

{{/* resources, with the memory request and limit derived from the job's memory bound
     (README "Sizing memory") when not given, and a given limit checked against it. */}}
{{- define "kstream-app.resources" -}}
{{- $res := deepCopy (default (dict) .Values.resources) }}
{{- $limits := default (dict) $res.limits }}
{{- $requests := default (dict) $res.requests }}
{{- $bound := include "kstream-app.memoryBoundMiB" . | int64 }}
{{- $needed := div (add (mul $bound (add 100 (int64 .Values.memorySizing.marginPercent))) 99) 100 }}
{{- if $limits.memory }}
{{- $given := include "kstream-app.quantityMiB" $limits.memory | int64 }}
{{- if lt $given $needed }}
{{- fail (printf "resources.limits.memory (%v = %d MiB) is below what config.job.max-in-flight-bytes (%d) needs: %d MiB (memorySizing: %v MiB + %v x max-in-flight-bytes = %d MiB, plus %v%%). Raise the limit, lower max-in-flight-bytes, or leave the memory out to have it computed (README, Sizing memory)" $limits.memory $given (int64 (index .Values.config "job" "max-in-flight-bytes")) $needed .Values.memorySizing.fixedOverheadMiB .Values.memorySizing.perInFlightByte $bound .Values.memorySizing.marginPercent) }}
{{- end }}
{{- else }}
{{- $_ := set $limits "memory" (printf "%dMi" $needed) }}
{{- end }}
{{- if not $requests.memory }}
{{- $_ := set $requests "memory" (printf "%dMi" (min $bound $needed)) }}
{{- end }}
{{- $_ := set $res "limits" $limits }}
{{- $_ := set $res "requests" $requests }}
{{- toYaml $res }}
{{- end }}

{{/*
Refuses a librdkafka file property under /etc/kafka-tls/<Secret>/ whose Secret kafkaTls does
not mount: the job would fail at start-up with a missing file.
*/}}
{{- define "kstream-app.checkKafkaTls" -}}
{{- range (index .Values.config "kafka" "properties") }}
{{- $kv := splitn "=" 2 . }}
{{- if hasPrefix "/etc/kafka-tls/" $kv._1 }}
{{- $secret := index (splitList "/" $kv._1) 3 }}
{{- if not (has $secret $.Values.kafkaTls.secrets) }}
{{- fail (printf "config.kafka.properties: %s=%s is in Secret %s, which kafkaTls.secrets does not mount" $kv._0 $kv._1 $secret) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* A NetworkPolicy egress rule to the cluster's DNS resolver (networkPolicy.dns). */}}
{{- define "kstream-app.dnsEgress" -}}
# DNS: the cluster's resolver.
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dns.namespace | quote }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end }}
