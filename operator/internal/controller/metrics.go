package controller

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
)

// The replication gauges of `chreplication exporter`, with its names and
// labels (its alert rules work unchanged), for the resources the manager
// keeps, from their status (no request to the service).
var (
	descNormal = prometheus.NewDesc("chreplication_replication_normal",
		"1 when the synchronization task's status is normal, 0 otherwise.", []string{"instance_id", "database"}, nil)
	descInfo = prometheus.NewDesc("chreplication_replication_info",
		"The synchronization task's status, stage and catch-up stage as labels; always 1.",
		[]string{"instance_id", "database", "status", "stage", "catchup_stage"}, nil)
	descPercentage = prometheus.NewDesc("chreplication_replication_percentage",
		"The progress of the synchronization task's current stage, 0 to 100.", []string{"instance_id", "database"}, nil)
)

// StatusCollector serves the replication gauges of the resources Reader
// lists (the manager's cache): one series per resource whose status shows
// its task. Register it with the manager's metrics registry
// (sigs.k8s.io/controller-runtime/pkg/metrics.Registry).
type StatusCollector struct {
	Reader client.Reader
}

// Describe implements prometheus.Collector.
func (StatusCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descNormal
	ch <- descInfo
	ch <- descPercentage
}

// Collect implements prometheus.Collector.
func (s StatusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list v1alpha1.ClickHouseReplicationList
	if err := s.Reader.List(ctx, &list); err != nil {
		return
	}
	seen := map[[2]string]bool{}
	for _, r := range list.Items {
		st := r.Status
		key := [2]string{r.Spec.InstanceID, r.Spec.Database}
		if st.Status == "" || seen[key] {
			continue // no task shown yet, or a second resource of the same task
		}
		seen[key] = true
		normal := 0.0
		if st.Status == "normal" {
			normal = 1
		}
		ch <- prometheus.MustNewConstMetric(descNormal, prometheus.GaugeValue, normal, key[0], key[1])
		ch <- prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, key[0], key[1], st.Status, st.Stage, st.CatchupStage)
		ch <- prometheus.MustNewConstMetric(descPercentage, prometheus.GaugeValue, float64(st.Percentage), key[0], key[1])
	}
}
