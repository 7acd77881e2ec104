package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// redacted replaces every secret in formatted output, logs and JSON.
const redacted = "[REDACTED]"

// mask returns "" for an empty secret (so a reader sees it is unset) and
// redacted otherwise.
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// field is one field of a secret-holding value as it is printed.
type field struct {
	name   string // Go field name, for %+v and %#v
	key    string // slog attribute key
	value  any    // a string when secret is true
	secret bool
}

// formatFields implements fmt.Formatter for the secret-holding types: every
// verb prints the fields with the secrets masked (%x cannot hex-dump a key).
func formatFields(f fmt.State, verb rune, typeName string, fields []field) {
	_, _ = io.WriteString(f, renderFields(verb, f.Flag('+'), f.Flag('#'), typeName, fields))
}

func renderFields(verb rune, plus, sharp bool, typeName string, fields []field) string {
	var b strings.Builder
	switch {
	case verb == 'v' && sharp:
		b.WriteString(typeName)
		b.WriteByte('{')
		for i, fl := range fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(fl.name)
			b.WriteByte(':')
			if fl.secret {
				b.WriteString(strconv.Quote(mask(fl.value.(string))))
			} else {
				fmt.Fprintf(&b, "%#v", fl.value)
			}
		}
		b.WriteByte('}')
	case verb == 'q':
		return strconv.Quote(renderFields('v', plus, false, typeName, fields))
	default:
		b.WriteByte('{')
		for i, fl := range fields {
			if i > 0 {
				b.WriteByte(' ')
			}
			if plus {
				b.WriteString(fl.name)
				b.WriteByte(':')
			}
			if fl.secret {
				b.WriteString(mask(fl.value.(string)))
			} else {
				fmt.Fprintf(&b, "%v", fl.value)
			}
		}
		b.WriteByte('}')
	}
	return b.String()
}

// logValue is the slog form of the fields: a group with the secrets masked.
func logValue(fields []field) slog.Value {
	attrs := make([]slog.Attr, 0, len(fields))
	for _, fl := range fields {
		if fl.secret {
			attrs = append(attrs, slog.String(fl.key, mask(fl.value.(string))))
			continue
		}
		attrs = append(attrs, slog.Any(fl.key, fl.value))
	}
	return slog.GroupValue(attrs...)
}

// jsonFields is the JSON form of the fields, for MarshalJSON: encoding/json
// (and so slog's JSONHandler, for a struct that embeds one of these types)
// sees the secrets masked too.
func jsonFields(fields []field) map[string]any {
	m := make(map[string]any, len(fields))
	for _, fl := range fields {
		if fl.secret {
			m[fl.key] = mask(fl.value.(string))
			continue
		}
		m[fl.key] = fl.value
	}
	return m
}

// scrub replaces every occurrence of each non-empty secret in s, raw and in
// the forms it takes inside a quoted string: Go-quoted and JSON-encoded, with
// and without HTML escaping (encoding/json writes "&" as \u0026, so a server
// that echoes our own request body shows the password that way). It is the
// last line of defence for text that came from a server (an IAM error
// message) before it goes into an error.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range quotedForms(sec) {
			s = strings.ReplaceAll(s, form, redacted)
		}
	}
	return s
}

// quotedForms returns sec and, without their quotes, the distinct ways Go
// and encoding/json quote it.
func quotedForms(sec string) []string {
	forms := []string{sec}
	add := func(q string) {
		if len(q) > 2 && !slices.Contains(forms, q[1:len(q)-1]) {
			forms = append(forms, q[1:len(q)-1])
		}
	}
	add(strconv.Quote(sec))
	if b, err := json.Marshal(sec); err == nil {
		add(string(b))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(sec) == nil {
		add(strings.TrimSuffix(buf.String(), "\n"))
	}
	return forms
}

// printable keeps at most n bytes of s, replacing control characters with
// spaces, so that text from a server cannot forge log lines.
func printable(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// controlByte returns the index of the first ASCII control character of v
// (tab, CR and LF included), or -1. Credentials that go into headers must
// have none.
func controlByte(v string) int {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return i
		}
	}
	return -1
}
