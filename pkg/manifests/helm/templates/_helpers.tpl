{{- /*
Written by svcpack. Every value reaches a manifest through toJson or toYaml,
so that a value is always YAML data, never YAML or template text.
*/ -}}

{{- define "svcpack.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name | toJson }}
app.kubernetes.io/instance: {{ .Release.Name | toJson }}
{{- end }}

{{- define "svcpack.labels" -}}
{{ include "svcpack.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service | toJson }}
{{- end }}

{{- /* The image: by digest when image.digest is set, else by tag. */ -}}
{{- define "svcpack.image" -}}
{{- if .Values.image.digest -}}
{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else -}}
{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | toString) }}
{{- end -}}
{{- end }}
