package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/gaussdb-tools/chreplication"
)

// canonicalApplyFile writes a declaration back as an apply file (one
// entry per wanted replication, and one with no databases for an instance
// that wants none), in JSON or in YAML.
func canonicalApplyFile(t *testing.T, d *Declaration, asJSON bool) []byte {
	t.Helper()
	type entry struct {
		InstanceID       string   `json:"instance_id" yaml:"instance_id"`
		SourceInstanceID string   `json:"source_instance_id" yaml:"source_instance_id"`
		SourceNodeID     string   `json:"source_node_id,omitempty" yaml:"source_node_id,omitempty"`
		Databases        []string `json:"databases" yaml:"databases"`
		ProjectID        string   `json:"project_id,omitempty" yaml:"project_id,omitempty"`
		Endpoint         string   `json:"endpoint,omitempty" yaml:"endpoint,omitempty"`
	}
	file := struct {
		Replications []entry `json:"replications" yaml:"replications"`
	}{Replications: []entry{}}
	for _, tg := range d.Targets {
		if len(tg.Replications) == 0 {
			file.Replications = append(file.Replications, entry{InstanceID: tg.InstanceID, SourceInstanceID: "s", Databases: []string{}, ProjectID: tg.ProjectID, Endpoint: tg.Endpoint})
		}
		for _, w := range tg.Replications {
			file.Replications = append(file.Replications, entry{tg.InstanceID, w.SourceInstanceID, w.SourceNodeID, []string{w.SourceDatabase}, tg.ProjectID, tg.Endpoint})
		}
	}
	var out []byte
	var err error
	if asJSON {
		out, err = json.Marshal(file)
	} else {
		out, err = yaml.Marshal(file)
	}
	if err != nil {
		t.Fatalf("writing the plan back: %v", err)
	}
	return out
}

// sameTargets reports whether two declarations name the same instances, in
// the same order, with the same replications.
func sameTargets(a, b *Declaration) bool {
	return slices.EqualFunc(a.Targets, b.Targets, func(x, y Target) bool {
		return x.InstanceID == y.InstanceID && x.ProjectID == y.ProjectID && x.Endpoint == y.Endpoint && slices.Equal(x.Replications, y.Replications)
	})
}

// genericCounts decodes data without the apply file's types (JSON or YAML,
// as parseApplyFile chooses) and counts its entries and database names.
func genericCounts(data []byte) (entries, databases int, ok bool) {
	var doc map[string]any
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		err = json.Unmarshal(trimmed, &doc)
	} else {
		err = yaml.Unmarshal(data, &doc)
	}
	if err != nil {
		return 0, 0, false
	}
	list, ok := doc["replications"].([]any)
	if !ok {
		return 0, 0, false
	}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return 0, 0, false
		}
		dbs, ok := m["databases"].([]any)
		if !ok {
			return 0, 0, false
		}
		entries++
		databases += len(dbs)
	}
	return entries, databases, true
}

// surrogateEscape finds a \u escape of a UTF-16 surrogate.
var surrogateEscape = regexp.MustCompile(`\\u[dD][89a-fA-F][0-9a-fA-F]{2}`)

// FuzzApplyFile reads any bytes as an apply file and checks the verdict:
// either an *InvalidFileError whose text is printable and lists at most
// maxFileProblems problems (and a count of the rest), or a plan in which
// every instance, source instance and node ID and every database name
// passes the client's own checks, no database is named twice for one
// instance, every database of the file is planned, and which reads back the
// same once written as JSON or YAML. A JSON file means the same read as
// YAML (JSON is YAML's flow style), so that a key given twice, which YAML
// refuses, is not silently dropped from JSON. Never a panic.
func FuzzApplyFile(f *testing.F) {
	for _, s := range []string{
		"replications:\n  - instance_id: 54e42160670e48e789af7075e1efea1fin16\n    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07\n    databases: [shop, sales]\n" +
			"  - instance_id: 0f1e2d3c4b5a49788796a5b4c3d2e1f0in16\n    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07\n    databases:\n      - ventes été\n",
		"replications:\n  - instance_id: i1\n    source_instance_id: s1\n    databases: [a]\n    project_id: p1\n    region: cn-north-4\n" +
			"  - instance_id: i1\n    source_instance_id: s1\n    databases: [a]\n    endpoint: http://127.0.0.1:8080/\n",
		"replications:\n  - instance_id: i1\n    source_instance_id: s1\n    databases: [a]\n    region: cn-north-4\n    endpoint: https://x\n",
		"replications:\n  - instance_id: 54e42160670e48e789af7075e1efea1fin16\n    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07\n" +
			"    source_node_id: \"\"            # optional\n    databases: [shop, sales]\n",
		`{"replications":[{"instance_id":"54e42160670e48e789af7075e1efea1fin16","source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","databases":["shop","ventes été"]}]}`,
		"\xef\xbb\xbf" + `{"replications":[]}`,
		"replications: []\n",
		"replications:\n  - instance_id: i1\n    source_instance_id: s1\n    databases: []\n  - instance_id: i1\n    source_instance_id: s2\n    databases: [a]\n",
		"base: &b {instance_id: i1, source_instance_id: s1}\nreplications:\n  - <<: *b\n    databases: [a]\n",
		"replications:\n  - &e {instance_id: i1, source_instance_id: s1, databases: [a]}\n  - *e\n",
		"replications:\n  - instance_id: 0x1F\n    source_instance_id: 1e3\n    databases: [007, true]\n",
		"replications:\n  - instance_id: !!binary aGVsbG8=\n    source_instance_id: s\n    databases: [a]\n",
		"replications:\n  - instance_id: i\n    source_instance_id: s\n    databases: [a]\n    tables: [t]\n",
		"replications:\n  - instance_id: ../etc\n    source_instance_id: s\n    source_node_id: node 1\n    databases: [\"a.b\", \"x/y\", \"a \", \"\\e[31mred\"]\n",
		"replications:\n  - instance_id: i\n    source_instance_id: s\n    databases: [a, a, A]\n",
		"replications:\n  - instance_id: i\n    source_instance_id: s\n",
		"replications: null\n",
		"replications:\n  - instance_id: i\n    source_instance_id: s\n    databases: [a]\n---\nreplications: []\n",
		"replications:\n\t- x\n",
		"# nothing\n{}\n",
		`{"replications":[{"instance_id":"i","source_instance_id":"s","databases":["a"]}]} {}`,
		`{"replications":[{"instance_id":"i","source_instance_id":"s","databases":[1]}]}`,
		`{"replications":[{"instance_id":"i","source_instance_id":"s","databases":["a\u0000b","\ud800"]}]}`,
		"a: &a [*a]\n",
		"replications: &r [*r]\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		targets, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ife *InvalidFileError
			if !errors.As(err, &ife) || len(ife.Problems) == 0 || len(ife.Problems) > maxFileProblems+1 {
				t.Fatalf("not an *InvalidFileError listing 1 to %d problems: %v", maxFileProblems+1, err)
			}
			if msg := err.Error(); !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
				t.Fatalf("the error is not printable: %q", msg)
			}
			if targets != nil {
				t.Fatalf("a plan with the error")
			}
			return
		}

		seen := map[placeKey]bool{}
		for _, tg := range targets.Targets {
			k := placeKey{tg.Endpoint, tg.ProjectID, tg.InstanceID}
			if seen[k] {
				t.Fatalf("instance %q planned twice", tg.InstanceID)
			}
			seen[k] = true
			if err := chreplication.ValidateID(tg.InstanceID); err != nil {
				t.Fatalf("planned an invalid instance ID: %v", err)
			}
			dbs := map[string]bool{}
			for _, w := range tg.Replications {
				if err := chreplication.ValidateReplication(tg.InstanceID, w); err != nil {
					t.Fatalf("planned a replication the client refuses: %v", err)
				}
				if err := chreplication.ValidateDatabaseName(w.SourceDatabase); err != nil {
					t.Fatalf("planned an invalid database name: %v", err)
				}
				if w.SourceNodeID != "" {
					if err := chreplication.ValidateID(w.SourceNodeID); err != nil {
						t.Fatalf("planned an invalid source node ID: %v", err)
					}
				}
				if dbs[w.SourceDatabase] {
					t.Fatalf("database %q planned twice for instance %q", w.SourceDatabase, tg.InstanceID)
				}
				dbs[w.SourceDatabase] = true
			}
		}

		// Every database of the file is in the plan.
		planned := 0
		for _, tg := range targets.Targets {
			planned += len(tg.Replications)
		}
		if _, n, ok := genericCounts(data); !ok || n != planned {
			t.Fatalf("the file names %d databases (read: %v), the plan %d", n, ok, planned)
		}

		// The plan reads back the same from its own JSON and YAML.
		for _, asJSON := range []bool{true, false} {
			back, err := Parse("canonical", canonicalApplyFile(t, targets, asJSON))
			if err != nil || !sameTargets(targets, back) {
				t.Fatalf("the plan written back (JSON %v) reads otherwise: %v", asJSON, err)
			}
		}

		// A JSON file means the same read as YAML (but for a lone UTF-16
		// surrogate escape, which JSON reads as U+FFFD and YAML refuses).
		trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		if trimmed[0] == '{' && !surrogateEscape.Match(trimmed) {
			var spec fileSpec
			dec := yaml.NewDecoder(bytes.NewReader(trimmed))
			dec.KnownFields(true)
			if err := dec.Decode(&spec); err != nil {
				t.Fatalf("a JSON file accepted that YAML refuses: %v", err)
			}
			asYAML, problems := check(&spec, locator{})
			if len(problems) > 0 || !sameTargets(targets, asYAML) {
				t.Fatalf("a JSON file that means otherwise read as YAML: %q", problems)
			}
		}
	})
}
