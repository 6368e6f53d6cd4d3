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

{{- define "kstream-app.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
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
