package monitor_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// Look at an instance twice and print what changed in between.
func Example() {
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsManual))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	const instance = "54e42160670e48e789af7075e1efea1fin16"
	if err := s.AddReplication(instance, "shop"); err != nil {
		panic(err)
	}
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		panic(err)
	}
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instance}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var tr monitor.Tracker
	for _, snap := range m.LookAll(ctx) {
		for _, ch := range tr.Update(snap) {
			fmt.Println(ch)
		}
	}

	// The task breaks.
	if err := s.SetReplicationState(instance, "shop", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 40,
	}); err != nil {
		panic(err)
	}
	for _, snap := range m.LookAll(ctx) {
		for _, ch := range tr.Update(snap) {
			fmt.Println(ch)
		}
	}
	// Output:
	// 54e42160670e48e789af7075e1efea1fin16 "shop" appeared: status normal, stage incremental, catch-up incremental, 100%
	// 54e42160670e48e789af7075e1efea1fin16 "shop" status normal -> abnormal
	// 54e42160670e48e789af7075e1efea1fin16 "shop" stage incremental -> full
	// 54e42160670e48e789af7075e1efea1fin16 "shop" catchup_stage incremental -> failed
	// 54e42160670e48e789af7075e1efea1fin16 "shop" percentage 100 -> 40
}
