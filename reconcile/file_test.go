package reconcile_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

const (
	instanceID       = "54e42160670e48e789af7075e1efea1fin16"
	otherInstanceID  = "0f1e2d3c4b5a49788796a5b4c3d2e1f0in16"
	sourceInstanceID = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
	otherProjectID   = "0123456789abcdef0123456789abcdef"
)

func TestParseAcceptsPlaces(t *testing.T) {
	t.Parallel()
	yamlFile := `replications:
  - instance_id: ` + instanceID + `
    source_instance_id: ` + sourceInstanceID + `
    source_node_id: ""
    databases: [shop, sales]
  - instance_id: ` + instanceID + `
    source_instance_id: ` + sourceInstanceID + `
    databases: [shop]
    project_id: ` + otherProjectID + `
    region: cn-north-4
  - instance_id: ` + otherInstanceID + `
    source_instance_id: ` + sourceInstanceID + `
    databases: ["ventes été"]
    endpoint: http://127.0.0.1:8080/
  - instance_id: ` + instanceID + `
    source_instance_id: ` + sourceInstanceID + `
    databases: [more]
`
	jsonFile := `{"replications": [
 {"instance_id": "` + instanceID + `", "source_instance_id": "` + sourceInstanceID + `", "source_node_id": "", "databases": ["shop", "sales"]},
 {"instance_id": "` + instanceID + `", "source_instance_id": "` + sourceInstanceID + `", "databases": ["shop"], "project_id": "` + otherProjectID + `", "region": "cn-north-4"},
 {"instance_id": "` + otherInstanceID + `", "source_instance_id": "` + sourceInstanceID + `", "databases": ["ventes été"], "endpoint": "http://127.0.0.1:8080/"},
 {"instance_id": "` + instanceID + `", "source_instance_id": "` + sourceInstanceID + `", "databases": ["more"]}]}`
	for name, file := range map[string]string{"YAML": yamlFile, "JSON": jsonFile, "JSON with a byte order mark": "\xef\xbb\xbf\n" + jsonFile} {
		d, err := reconcile.Parse("f", []byte(file))
		require.NoError(t, err, name)
		req := func(db string) chreplication.CreateReplicationRequest {
			return chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: db}
		}
		assert.Equal(t, []reconcile.Target{
			{InstanceID: instanceID, Replications: []chreplication.CreateReplicationRequest{req("shop"), req("sales"), req("more")}},
			{Endpoint: "https://gaussdb.cn-north-4.myhuaweicloud.com", ProjectID: otherProjectID, InstanceID: instanceID, Replications: []chreplication.CreateReplicationRequest{req("shop")}},
			{Endpoint: "http://127.0.0.1:8080", InstanceID: otherInstanceID, Replications: []chreplication.CreateReplicationRequest{req("ventes été")}},
		}, d.Targets, name)
	}
}

// TestParseRefuses: every problem is named with its key and, in YAML, its
// line.
func TestParseRefuses(t *testing.T) {
	t.Parallel()
	entry := func(extra string) string {
		return "replications:\n  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID + "\n    databases: [shop]\n" + extra
	}
	const jsonEntry = `"instance_id":"i1","source_instance_id":"s1"`
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unknown key", entry("    tables: [t1]\n"), []string{`YAML: line 5: unknown key "tables"`}},
		{"unknown top-level key", "replication:\n  - instance_id: x\n", []string{`line 1: unknown key "replication"`}},
		{"key repeated", entry("    databases: [b]\n"), []string{`line 5: mapping key "databases" already defined at line 4`}},
		{"JSON key repeated in another case", `{"replications":[{` + jsonEntry + `,"databases":["a"],"Databases":["b"]}]}`, []string{`JSON: line 1: unknown key "Databases"`}},
		{"JSON key repeated", `{"replications":[{` + jsonEntry + `,"databases":["a"],"databases":["b"]}]}`, []string{`mapping key "databases" already defined`}},
		{"JSON unknown key", `{"replications":[{` + jsonEntry + `,"databases":[],"wait":true}]}`, []string{`JSON: line 1: unknown key "wait"`}},
		{"JSON null database", `{"replications":[{` + jsonEntry + `,"databases":["a",null]}]}`, []string{"an item of a list is empty (null)"}},
		{"YAML null key", "~: [x]\nreplications: []\n", []string{"line 1: a key is empty or not a name"}},
		{"YAML bare item", "replications:\n-\n", []string{"line 2: an item of a list is empty (null)"}},
		{"bad instance ID", strings.Replace(entry(""), instanceID, "../etc", 1), []string{`replications[0].instance_id (line 2): "../etc" must start with a letter or digit`}},
		{"bad project ID", entry("    project_id: a b\n"), []string{`replications[0].project_id (line 5): "a b" may hold only`}},
		{"unknown region", entry("    region: mars-1\n"), []string{`replications[0].region (line 5): `, "mars-1", "cn-north-4"}},
		{"region and endpoint", entry("    region: cn-north-4\n    endpoint: https://x.example\n"), []string{"replications[0].region (line 5): give region or endpoint, not both"}},
		{"endpoint not http", entry("    endpoint: ftp://x.example\n"), []string{`replications[0].endpoint (line 5): "ftp://x.example" must be an http or https URL`}},
		{"endpoint with a password", entry("    endpoint: https://u:hunter2@x.example\n"), []string{"replications[0].endpoint (line 5): must not hold a user name or password"}},
		{"bad database name", strings.Replace(entry(""), "[shop]", `[shop, "a.b"]`, 1), []string{`replications[0].databases[1] (line 4): "a.b" must not contain`}},
		{"database named twice", entry("  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID + "\n    databases:\n      - x\n      - shop\n"),
			[]string{`replications[1].databases[1] (line 9): "shop" is named twice for instance ` + instanceID + ` (first at replications[0].databases[0])`}},
		{"missing databases", "replications:\n  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID + "\n", []string{"replications[0].databases (line 2): missing"}},
		{"no replications key", "# nothing\n{}\n", []string{"replications: missing"}},
		{"two documents", entry("") + "---\n" + entry(""), []string{"YAML: line 5: the file holds more than one document"}},
		{"empty", "\n\n", []string{"the file is empty"}},
		{"plain text", "hello world\n", []string{"YAML: line 1: cannot unmarshal !!str `hello w...` where a mapping with the key replications belongs"}},
		{"wrong type", "replications:\n  - instance_id: [a, b]\n", []string{"YAML: line 2: cannot unmarshal !!seq where a string belongs"}},
		// JSON: the byte offset in the file, leading lines and a byte
		// order mark counted.
		{"JSON syntax", "\n\n{\"replications\": [}", []string{"JSON: offset 20 (line 3, column 19): invalid character '}' looking for beginning of value"}},
		{"JSON syntax after a byte order mark", "\xef\xbb\xbf{\"replications\": [}", []string{"JSON: offset 21 (line 1, column 22): invalid character '}'"}},
		{"JSON cut", `{"replications": [`, []string{"JSON: offset 18 (line 1, column 19): the file ends in the middle of a value"}},
		{"JSON wrong type", "{\"replications\": [\n {\"instance_id\": 7}]}", []string{"JSON: offset 37 (line 2, column 19): replications.instance_id: a number where a string belongs"}},
		{"JSON two values", `{"replications": []} {}`, []string{"JSON: offset 21 (line 1, column 22): the file holds more than one JSON value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := reconcile.Parse("r.yaml", []byte(tt.file))
			require.Nil(t, d)
			var ife *reconcile.InvalidFileError
			require.ErrorAs(t, err, &ife)
			assert.Equal(t, "r.yaml", ife.Name)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "hunter2", "a password in an endpoint is never echoed")
		})
	}
}

func TestParseBounds(t *testing.T) {
	t.Parallel()
	_, err := reconcile.Parse("big", []byte(strings.Repeat("#", reconcile.MaxFileBytes+1)))
	assert.ErrorContains(t, err, "larger than 4 MiB")

	// Many problems: the first 20 and a count of the others.
	var b strings.Builder
	b.WriteString("replications:\n  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID + "\n    databases:\n")
	for range 25 {
		b.WriteString("      - a/b\n")
	}
	_, err = reconcile.Parse("many", []byte(b.String()))
	var ife *reconcile.InvalidFileError
	require.ErrorAs(t, err, &ife)
	assert.Len(t, ife.Problems, 21)
	assert.Equal(t, "and 5 more problems", ife.Problems[20])
}

// TestParseListsEveryProblem: an unknown key does not hide the file's
// other problems, and each problem names its line, an empty or missing
// key the line of its entry.
func TestParseListsEveryProblem(t *testing.T) {
	t.Parallel()
	file := "replications:\n" +
		"  - instance_id: 54e42160670e48e789af7075e1efea1fin16\n" + // line 2
		"    bogus: 1\n" +
		"    source_instance_id: \"\"\n" +
		"    databases: [shop, \"a/b\"]\n" +
		"  - instance_id: 0f1e2d3c4b5a49788796a5b4c3d2e1f0in16\n" + // line 6
		"    Databases: [x]\n" +
		"    databases: [y]\n"
	_, err := reconcile.Parse("r.yaml", []byte(file))
	var ife *reconcile.InvalidFileError
	require.ErrorAs(t, err, &ife)
	assert.Equal(t, []string{
		`YAML: line 3: unknown key "bogus" (` + keysHint + `)`,
		`YAML: line 7: unknown key "Databases" (` + keysHint + `)`,
		"replications[0].source_instance_id (line 4): must not be empty",
		`replications[0].databases[1] (line 5): "a/b" must not contain '/', '\', '.' or control characters`,
		"replications[1].source_instance_id (line 6): must not be empty",
	}, ife.Problems)
}

const keysHint = "the keys are replications, and in each replication instance_id, source_instance_id, source_node_id, databases, project_id, region and endpoint"
