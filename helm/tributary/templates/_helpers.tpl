{{/* The chart's name, or nameOverride. */}}
{{- define "tributary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's object name: fullnameOverride, or the release name (with the chart's name unless it holds it). */}}
{{- define "tributary.fullname" -}}
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

{{/* The gateway's objects: the server that routes and mixes (and today runs every expert in-process). */}}
{{- define "tributary.server.fullname" -}}
{{- include "tributary.fullname" . }}
{{- end }}

{{- define "tributary.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tributary.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tributary.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tributary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of the gateway's pods; a remote expert's Deployment would use component: expert and its own name. */}}
{{- define "tributary.server.selectorLabels" -}}
{{ include "tributary.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "tributary.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Where the mixture manifest is mounted when mixture.manifest is set. */}}
{{- define "tributary.mixtureDir" -}}
/etc/tributary
{{- end }}

{{/* The server's drain time plus the preStop pause and a margin: the kubelet must not kill a draining server. */}}
{{- define "tributary.terminationGracePeriodSeconds" -}}
{{- add .Values.server.shutdown.preStopSleepSeconds .Values.server.shutdown.drainSeconds .Values.server.shutdown.marginSeconds }}
{{- end }}

{{/* A remote expert's objects: <fullname>-expert-<name>. Call with (dict "root" $ "expert" $expert). */}}
{{- define "tributary.expert.fullname" -}}
{{- printf "%s-expert-%s" (include "tributary.fullname" .root) .expert.name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tributary.expert.selectorLabels" -}}
{{ include "tributary.selectorLabels" .root }}
app.kubernetes.io/component: expert
tributary.io/expert: {{ .expert.name }}
{{- end }}

{{/*
The gateway's manifest: mixture.manifest as given, or, with remote experts, its name and router with the experts
named by their headless Services (dns:///: every ready pod of an expert is a replica, found again as pods come and
go). Empty when neither is set (the embedded default).
*/}}
{{- define "tributary.gatewayManifest" -}}
{{- if .Values.experts }}
{{- if .Values.mixture.manifest.experts }}
{{- fail "give the experts either in mixture.manifest.experts (served by the gateway) or in experts (remote), not both" }}
{{- end }}
{{- $manifest := dict "name" (.Values.mixture.manifest.name | default (include "tributary.fullname" .)) }}
{{- $entries := list }}
{{- range .Values.experts }}
{{- $address := printf "dns:///%s:%d" (include "tributary.expert.fullname" (dict "root" $ "expert" .)) (int $.Values.expertServer.port) }}
{{- $entries = append $entries (dict "name" .name "address" $address) }}
{{- end }}
{{- $_ := set $manifest "experts" $entries }}
{{- with .Values.mixture.manifest.router }}
{{- $_ := set $manifest "router" . }}
{{- end }}
{{- toYaml $manifest }}
{{- else if .Values.mixture.manifest }}
{{- toYaml .Values.mixture.manifest }}
{{- end }}
{{- end }}

{{/* Where every pod exports its traces (tracing.otlpEndpoint); nothing when unset. */}}
{{- define "tributary.tracingEnv" -}}
{{- with .Values.tracing.otlpEndpoint }}
- name: MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end }}
