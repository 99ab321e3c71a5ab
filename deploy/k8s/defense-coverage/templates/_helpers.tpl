{{/* Names and labels shared by every template. */}}

{{- define "dc.name" -}}
{{- printf "%s-%s" .root.Release.Name (.service | replace "_" "-") | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dc.labels" -}}
app.kubernetes.io/name: {{ .service | replace "_" "-" }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: defense-coverage
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{- define "dc.selector" -}}
app.kubernetes.io/name: {{ .service | replace "_" "-" }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "dc.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{ $image.repository }}@{{ $image.digest }}
{{- else -}}
{{ $image.repository }}:{{ $image.tag }}
{{- end -}}
{{- end -}}

{{/* The CloudNativePG cluster of a service (defense-coverage-data chart). */}}
{{- define "dc.database" -}}
{{- printf "%s-%s" .root.Values.data.release (.service | replace "_" "-") -}}
{{- end -}}

{{- define "dc.secretName" -}}
{{- $secret := index .root.Values.secrets .service -}}
{{- if $secret.existingSecret -}}
{{ $secret.existingSecret }}
{{- else -}}
{{ include "dc.name" . }}-keys
{{- end -}}
{{- end -}}

{{/* The pod's security context: non-root, read-only root file system, nothing extra. */}}
{{- define "dc.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "dc.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Volumes every service container mounts: its secrets as files, the database URI and the
Kafka user's password as files, the cluster CA, a writable /tmp and data folder. */}}
{{- define "dc.volumes" -}}
- name: keys
  secret:
    secretName: {{ include "dc.secretName" . }}
- name: database
  secret:
    secretName: {{ include "dc.database" . }}-app
    items: [{key: uri, path: uri}]
- name: kafka-user
  secret:
    secretName: {{ (index .root.Values.services .service).kafkaUser }}
    items: [{key: password, path: password}]
- name: kafka-ca
  secret:
    secretName: {{ .root.Values.data.kafkaCluster }}-cluster-ca-cert
    items: [{key: ca.crt, path: ca.crt}]
- name: tmp
  emptyDir: {sizeLimit: 64Mi}
- name: local-data
  emptyDir: {sizeLimit: 256Mi}
{{- end -}}

{{- define "dc.volumeMounts" -}}
- {name: keys, mountPath: /var/run/secrets/defense, readOnly: true}
- {name: database, mountPath: /var/run/secrets/database, readOnly: true}
- {name: kafka-user, mountPath: /var/run/secrets/kafka, readOnly: true}
- {name: kafka-ca, mountPath: /var/run/secrets/kafka-ca, readOnly: true}
- {name: tmp, mountPath: /tmp}
- {name: local-data, mountPath: /app/.local}
{{- end -}}
