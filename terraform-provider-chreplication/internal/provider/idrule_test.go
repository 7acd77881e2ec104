package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/stretchr/testify/assert"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

// TestOneIDRule: the provider's plan-time check of an ID, apply's file
// check and the client's own check are one rule (chreplication.ValidateID):
// each ID below is accepted or refused by all three alike.
func TestOneIDRule(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"54e42160670e48e789af7075e1efea1fin16", "NOT-AN-ID", "12345", "a_b-c",
		"", "-x", "a b", "a/b", "..", "a.b", strings.Repeat("a", 65), "é",
	} {
		lib := chreplication.ValidateID(id) == nil

		var resp validator.StringResponse
		validID.ValidateString(t.Context(), validator.StringRequest{Path: path.Root("instance_id"), ConfigValue: types.StringValue(id)}, &resp)
		provider := !resp.Diagnostics.HasError()

		file := "replications:\n  - instance_id: '" + strings.ReplaceAll(id, "'", "''") + "'\n    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07\n    databases: [shop]\n"
		_, err := reconcile.Parse("f", []byte(file))
		apply := err == nil

		assert.Equal(t, lib, provider, "%q: the provider and the library disagree", id)
		assert.Equal(t, lib, apply, "%q: apply and the library disagree (%v)", id, err)
	}
	// An unquoted YAML number is the text it is written as, under the same rule.
	d, err := reconcile.Parse("f", []byte("replications:\n  - instance_id: 12345\n    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07\n    databases: [shop]\n"))
	if assert.NoError(t, err) {
		assert.Equal(t, "12345", d.Targets[0].InstanceID)
	}
}
