package reconcile

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestApplyFileRefusesWhatDecodersPassOver: inputs that the JSON and YAML
// decoders accept but that would plan something other than the file says.
func TestApplyFileRefusesWhatDecodersPassOver(t *testing.T) {
	t.Parallel()
	const entry = `"instance_id":"i1","source_instance_id":"s1"`
	for name, file := range map[string]string{
		"JSON key repeated in another case": `{"replications":[{` + entry + `,"databases":["a"],"Databases":["b"]}]}`,
		"JSON key repeated":                 `{"replications":[{` + entry + `,"databases":["a"],"databases":["b"]}]}`,
		"JSON key in another case":          `{"repliCAtions":[{"instAnCe_id":"i1","sourCe_instAnCe_id":"s1","dAtABAses":["a"]}]}`,
		"JSON null database":                `{"replications":[{` + entry + `,"databases":["a",null]}]}`,
		"JSON null replication":             `{"replications":[null]}`,
		"YAML null database":                "replications:\n  - instance_id: i1\n    source_instance_id: s1\n    databases: [a, ~, b]\n",
		"YAML bare item":                    "replications:\n-\n",
		"YAML null key":                     "~: [x]\nreplications: []\n",
		"YAML null key in an entry":         "replications:\n  - instance_id: i1\n    source_instance_id: s1\n    databases: [a]\n    null: {prune: true}\n",
		"YAML anchored empty key":           "&a : 0\nreplications: []\n",
	} {
		_, err := Parse("f.yaml", []byte(file))
		var ife *InvalidFileError
		require.ErrorAs(t, err, &ife, name)
	}
	// The same shapes spelled right are accepted.
	for name, file := range map[string]string{
		"JSON": `{"replications":[{` + entry + `,"databases":["a","b"]}]}`,
		"YAML": "replications:\n  - instance_id: i1\n    source_instance_id: s1\n    databases: [a, b]\n",
	} {
		d, err := Parse("f", []byte(file))
		require.NoError(t, err, name)
		require.Len(t, d.Targets, 1, name)
		assert.Len(t, d.Targets[0].Replications, 2, name)
	}
}
