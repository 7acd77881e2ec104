package v1alpha1_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gaussdb-tools/chreplication"
	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
	"github.com/gaussdb-tools/chreplication/operator/internal/envtestutil"
)

// apiServer starts a real kube-apiserver and etcd with the CRD installed
// (envtestutil.Start) and returns a client.
func apiServer(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	_, cfg := envtestutil.Start(t, scheme, filepath.Join("..", ".."))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	require.NoError(t, err)
	return c
}

func valid(name string) *v1alpha1.ClickHouseReplication {
	return &v1alpha1.ClickHouseReplication{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1alpha1.ClickHouseReplicationSpec{
			InstanceID:       "54e42160670e48e789af7075e1efea1fin16",
			SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07",
			Database:         "ventes été",
		},
	}
}

// TestTheAPIServerRefusesWhatTheClientRefuses: the CRD's OpenAPI rules are
// the client's input rules, and its CEL rules refuse a change of what the
// service cannot change; the table scope changes in place.
func TestTheAPIServerRefusesWhatTheClientRefuses(t *testing.T) {
	c := apiServer(t)
	ctx := context.Background()

	ok := valid("ok")
	require.NoError(t, c.Create(ctx, ok))
	assert.Equal(t, v1alpha1.DeletionDelete, ok.Spec.DeletionPolicy, "the default")

	for name, spec := range map[string]func(*v1alpha1.ClickHouseReplicationSpec){
		"an instance ID with a slash": func(s *v1alpha1.ClickHouseReplicationSpec) { s.InstanceID = "a/b" },
		"an empty source instance":    func(s *v1alpha1.ClickHouseReplicationSpec) { s.SourceInstanceID = "" },
		"a database with a dot":       func(s *v1alpha1.ClickHouseReplicationSpec) { s.Database = "a.b" },
		"a database ending in space":  func(s *v1alpha1.ClickHouseReplicationSpec) { s.Database = "a " },
		"a node ID with a space":      func(s *v1alpha1.ClickHouseReplicationSpec) { s.SourceNodeID = "a b" },
		"region and endpoint":         func(s *v1alpha1.ClickHouseReplicationSpec) { s.Region, s.Endpoint = "cn-north-4", "https://x.example" },
		"a table with a comma": func(s *v1alpha1.ClickHouseReplicationSpec) {
			s.TableScope = &v1alpha1.TableScope{Tables: []v1alpha1.TableName{"a,b"}}
		},
		"an unknown deletion policy": func(s *v1alpha1.ClickHouseReplicationSpec) { s.DeletionPolicy = "Orphan" },
	} {
		bad := valid("bad-" + strings.ReplaceAll(strings.ReplaceAll(name, " ", "-"), "'", ""))
		spec(&bad.Spec)
		err := c.Create(ctx, bad)
		assert.True(t, apierrors.IsInvalid(err), "%s: %v", name, err)
		// The client refuses it too (where it is the client's field).
		if name == "an instance ID with a slash" || name == "a database with a dot" || name == "a database ending in space" {
			assert.Error(t, chreplication.ValidateReplication(bad.Spec.InstanceID, chreplication.CreateReplicationRequest{
				SourceInstanceID: bad.Spec.SourceInstanceID, SourceDatabase: bad.Spec.Database}), name)
		}
	}

	for field, change := range map[string]func(*v1alpha1.ClickHouseReplicationSpec){
		"instanceID cannot change": func(s *v1alpha1.ClickHouseReplicationSpec) { s.InstanceID = "0f1e2d3c4b5a49788796a5b4c3d2e1f0in16" },
		"sourceInstanceID cannot change": func(s *v1alpha1.ClickHouseReplicationSpec) {
			s.SourceInstanceID = "77aa4096cb824a61b93dab5ca00ecc8fin07"
		},
		"database cannot change": func(s *v1alpha1.ClickHouseReplicationSpec) { s.Database = "other" },
	} {
		var cur v1alpha1.ClickHouseReplication
		require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(ok), &cur))
		change(&cur.Spec)
		err := c.Update(ctx, &cur)
		require.True(t, apierrors.IsInvalid(err), "%s: %v", field, err)
		assert.Contains(t, err.Error(), field)
	}

	var cur v1alpha1.ClickHouseReplication
	require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(ok), &cur))
	cur.Spec.TableScope = &v1alpha1.TableScope{Tables: []v1alpha1.TableName{"audit_log"}}
	require.NoError(t, c.Update(ctx, &cur), "the table scope changes in place")
	assert.Equal(t, v1alpha1.ScopeMode("black_list"), cur.Spec.TableScope.Mode, "the default mode")
}
