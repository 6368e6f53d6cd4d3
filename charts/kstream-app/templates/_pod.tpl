{{/*
The job's pod template: the one pod spec of the chart, used by the Deployment and by the
StatefulSet (workload.kind). Rendered at indentation 0; the workloads nindent it.
*/}}
{{- define "kstream-app.podTemplate" -}}
{{- $port := include "kstream-app.httpPort" . | int -}}
metadata:
  annotations:
    # Roll the pods when the rendered configuration changes.
    checksum/config: {{ include "kstream-app.ini" . | sha256sum }}
    {{- if .Values.metrics.podAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ $port | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "kstream-app.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "kstream-app.serviceAccountName" . }}
  {{- if .Values.hostNetwork }}
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  {{- end }}
  automountServiceAccountToken: false
  # No service-link variables: a Service named e.g. kstream-rdkafka-x would give the
  # container KSTREAM_RDKAFKA_X_SERVICE_HOST..., which the job reads as librdkafka properties.
  enableServiceLinks: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  # SIGTERM starts the job's graceful stop (finish in-flight batches, commit the
  # transaction), bounded by config.job.shutdown-timeout-ms; this covers it.
  terminationGracePeriodSeconds: {{ include "kstream-app.terminationGracePeriodSeconds" . }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: kstream-app
      image: {{ include "kstream-app.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config-file=/etc/kstream-app/caf-application.ini
        # The instance's name in its transactional id and group.instance.id: the pod's name,
        # stable in a StatefulSet (<release>-0, -1, ...); not the host name, which a
        # hostNetwork pod shares with its node.
        - --kafka.instance-name=$(KSTREAM_POD_NAME)
      ports:
        - name: http
          containerPort: {{ $port }}
          protocol: TCP
      env:
        - name: KSTREAM_POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        {{- if .Values.kafkaCredentials.existingSecret }}
        {{- range $property, $key := .Values.kafkaCredentials.properties }}
        - name: {{ include "kstream-app.rdkafkaEnvName" $property }}
          valueFrom:
            secretKeyRef:
              name: {{ $.Values.kafkaCredentials.existingSecret }}
              key: {{ $key }}
        {{- end }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: {{ .Values.probes.startup.path }}
          port: http
        periodSeconds: {{ .Values.probes.startup.periodSeconds }}
        failureThreshold: {{ .Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: {{ .Values.probes.liveness.path }}
          port: http
        periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: {{ .Values.probes.readiness.path }}
          port: http
        periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
      resources:
        {{- include "kstream-app.resources" . | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/kstream-app
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- range .Values.kafkaTls.secrets }}
        - name: {{ printf "tls-%s" . | trunc 63 | trimSuffix "-" }}
          mountPath: /etc/kafka-tls/{{ . }}
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "kstream-app.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    # TLS material for librdkafka (config.kafka.properties refers to the files): readable
    # by the owner and the pod's fsGroup only.
    {{- range .Values.kafkaTls.secrets }}
    - name: {{ printf "tls-%s" . | trunc 63 | trimSuffix "-" }}
      secret:
        secretName: {{ . }}
        defaultMode: 0440
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml .Values.topologySpreadConstraints | nindent 4 }}
  {{- else if .Values.topologySpread.enabled }}
  # Default: replicas spread over nodes and zones, as a preference (ScheduleAnyway), so a
  # node or zone failure does not take every instance and a one-node cluster still runs.
  # Only pods of the same revision are counted (the label each workload kind sets).
  topologySpreadConstraints:
    {{- range .Values.topologySpread.topologyKeys }}
    - maxSkew: {{ $.Values.topologySpread.maxSkew }}
      topologyKey: {{ . }}
      whenUnsatisfiable: {{ $.Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "kstream-app.selectorLabels" $ | nindent 10 }}
      matchLabelKeys:
        - {{ ternary "controller-revision-hash" "pod-template-hash" (include "kstream-app.statefulSet" $ | eq "true") }}
    {{- end }}
  {{- end }}
{{- end }}

{{/* "true" in StatefulSet mode (workload.kind), "false" in Deployment mode. */}}
{{- define "kstream-app.statefulSet" -}}
{{- eq .Values.workload.kind "StatefulSet" }}
{{- end }}

{{/* Checks shared by both workload kinds. */}}
{{- define "kstream-app.checkWorkload" -}}
{{- if and (not .Values.keda.enabled) (gt (int .Values.replicaCount) (int .Values.inputPartitions)) }}
{{- fail (printf "replicaCount (%d) is above inputPartitions (%d): the extra instances would get no partition" (int .Values.replicaCount) (int .Values.inputPartitions)) }}
{{- end }}
{{- if and (index .Values.config "kafka" "transactional-id") (or .Values.keda.enabled (gt (int .Values.replicaCount) 1)) }}
{{- fail "config.kafka.transactional-id is set while more than one pod may run: pods sharing a transactional id fence each other; leave it empty (each pod then uses <group-id>-<pod name>)" }}
{{- end }}
{{- $job := index .Values.config "job" }}
{{- if eq (index $job "guarantee") "exactly_once" }}
{{- $tt := int64 (index $job "transaction-timeout-ms") }}
{{- if lt $tt (mul 2 (int64 (index $job "commit-interval-ms"))) }}
{{- fail (printf "config.job.transaction-timeout-ms (%d) must be at least twice config.job.commit-interval-ms (%d): the broker would abort transactions before they commit" $tt (int64 (index $job "commit-interval-ms"))) }}
{{- end }}
{{- if lt (int64 (index $job "shutdown-timeout-ms")) $tt }}
{{- fail (printf "config.job.shutdown-timeout-ms (%d) must be at least config.job.transaction-timeout-ms (%d): a graceful stop ends with a commit retried that long" (int64 (index $job "shutdown-timeout-ms")) $tt) }}
{{- end }}
{{- end }}
{{- if index .Values.config "kafka" "instance-name" }}
{{- fail "config.kafka.instance-name must stay empty: the chart gives each pod its own name (--kafka.instance-name=$(KSTREAM_POD_NAME))" }}
{{- end }}
{{- end }}
