package exporter

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gaussdb-tools/chreplication"
)

// The metrics' descriptions: their names and labels are a contract
// (dashboards and alert rules use them).
var (
	descNormal = prometheus.NewDesc("chreplication_replication_normal",
		"1 when the synchronization task's status is normal, 0 otherwise.",
		[]string{"instance_id", "database"}, nil)
	descInfo = prometheus.NewDesc("chreplication_replication_info",
		"The synchronization task's status, stage and catch-up stage as labels (\"\" for null); always 1.",
		[]string{"instance_id", "database", "status", "stage", "catchup_stage"}, nil)
	descPercentage = prometheus.NewDesc("chreplication_replication_percentage",
		"The progress of the synchronization task's current stage, 0 to 100.",
		[]string{"instance_id", "database"}, nil)
	descSuccess = prometheus.NewDesc("chreplication_refresh_success",
		"1 when the last look at the instance's tasks succeeded, 0 when it failed (the task metrics then keep the values of the last successful look) or before the first look ended.",
		[]string{"instance_id"}, nil)
	descLast = prometheus.NewDesc("chreplication_last_refresh_timestamp_seconds",
		"When the last successful look at the instance's tasks ended, in seconds since the Unix epoch.",
		[]string{"instance_id"}, nil)
)

// collector reads the Exporter's latest values; it never calls the API.
type collector struct{ e *Exporter }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNormal, descInfo, descPercentage, descSuccess, descLast} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	// The latest snapshot, read without a lock, its metrics built when it
	// was recorded: a refresh that records meanwhile makes a new one and
	// never waits for this scrape.
	for _, st := range *c.e.state.Load() {
		for _, m := range st.metrics {
			ch <- m
		}
	}
}

// metricsOf builds the metrics of an instance's state, once per record:
// every configured instance has its refresh_success from the first scrape
// (0 until its first look ends).
func metricsOf(id string, st instanceState) []prometheus.Metric {
	out := make([]prometheus.Metric, 0, 2+3*len(st.tasks))
	out = append(out, prometheus.MustNewConstMetric(descSuccess, prometheus.GaugeValue, bool01(st.looked && st.ok), id))
	if st.lastOK.IsZero() {
		return out // no look has succeeded yet: no task is known
	}
	out = append(out, prometheus.MustNewConstMetric(descLast, prometheus.GaugeValue, float64(st.lastOK.UnixNano())/1e9, id))
	for _, r := range st.tasks {
		db := r.SourceDatabase
		out = append(out,
			prometheus.MustNewConstMetric(descNormal, prometheus.GaugeValue, bool01(r.Status == chreplication.ReplicationNormal), id, db),
			prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, id, db, string(r.Status), r.Stage, string(r.CatchupStage)),
			prometheus.MustNewConstMetric(descPercentage, prometheus.GaugeValue, float64(r.Percentage), id, db))
	}
	return out
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
