package controller_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
	"github.com/gaussdb-tools/chreplication/operator/internal/controller"
)

// TestStatusCollector: the manager serves the exporter's replication
// gauges, with its names and labels, from the resources' status.
func TestStatusCollector(t *testing.T) {
	t.Parallel()
	scheme := runtime.NewScheme()
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	mk := func(name, db, status, stage string, pct int32) *v1alpha1.ClickHouseReplication {
		return &v1alpha1.ClickHouseReplication{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec:       v1alpha1.ClickHouseReplicationSpec{InstanceID: instance, SourceInstanceID: source, Database: db},
			Status:     v1alpha1.ClickHouseReplicationStatus{Status: status, Stage: stage, CatchupStage: stage, Percentage: pct},
		}
	}
	c := fakeclient.NewClientBuilder().WithScheme(scheme).WithObjects(
		mk("shop", "shop", "normal", "incremental", 100),
		mk("sick", "sick", "abnormal", "full", 30),
		mk("new", "new", "", "", 0), // no task shown yet: no series
	).Build()
	want := `
# HELP chreplication_replication_normal 1 when the synchronization task's status is normal, 0 otherwise.
# TYPE chreplication_replication_normal gauge
chreplication_replication_normal{database="shop",instance_id="` + instance + `"} 1
chreplication_replication_normal{database="sick",instance_id="` + instance + `"} 0
# HELP chreplication_replication_percentage The progress of the synchronization task's current stage, 0 to 100.
# TYPE chreplication_replication_percentage gauge
chreplication_replication_percentage{database="shop",instance_id="` + instance + `"} 100
chreplication_replication_percentage{database="sick",instance_id="` + instance + `"} 30
`
	require.NoError(t, testutil.CollectAndCompare(controller.StatusCollector{Reader: c}, strings.NewReader(want),
		"chreplication_replication_normal", "chreplication_replication_percentage"))
}
