package chreplication_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// Have the service judge parameter values and a table scope for a database
// before synchronising it. A check changes nothing, and this API version
// cannot apply what it judges: a new replication copies every table with the
// default parameters.
func ExampleClient_CheckDatabaseConfig() {
	s := newFake()
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	const instanceID = "54e42160670e48e789af7075e1efea1fin16"

	// The parameters, their defaults and ranges; a value can be checked
	// locally first.
	params, err := c.DatabaseParameters(ctx, instanceID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range params {
		if p.Name == "max_sync_threads" {
			fmt.Println(p.Name, p.DataType, p.Default, p.Range, p.CheckValue("3") != nil)
		}
	}

	check, err := c.CheckDatabaseConfig(ctx, instanceID, chreplication.CheckRequest{
		SourceInstanceID: "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5din07",
		SourceDatabase:   "sales",
		Settings:         []chreplication.Setting{{Name: "max_sync_threads", Value: "2"}, {Name: "max_flush_data_time", Value: "20000"}},
		Scope:            chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: []string{"audit_log"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("passed:", check.Passed()) // a verdict of "fail" is not an error
	for _, sc := range check.Settings {
		if !sc.Passed() {
			fmt.Println(sc.Name, sc.Value, sc.Result)
		}
	}
	// Output:
	// max_sync_threads Integer 1 1-2 true
	// passed: false
	// max_flush_data_time 20000 fail
}

// Leave a table out of a replication, wait for the change and read the
// scope back. This API version changes only the tables of the list: a new
// replication has an exclude list, and asking for an include list is
// refused with ErrScopeModeChange.
func ExampleClient_UpdateScope() {
	s := newFake()
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const (
		instanceID       = "54e42160670e48e789af7075e1efea1fin16"
		sourceInstanceID = "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5din07"
	)
	poll := chreplication.WithPollInterval(10*time.Millisecond, 100*time.Millisecond)

	jobID, err := c.CreateReplication(ctx, instanceID, chreplication.CreateReplicationRequest{
		SourceInstanceID: sourceInstanceID, SourceDatabase: "sales"})
	if err == nil {
		_, err = c.WaitJob(ctx, jobID, poll)
	}
	if err != nil {
		fmt.Println(err)
		return
	}

	jobID, err = c.UpdateScope(ctx, instanceID, chreplication.ScopeUpdate{
		SourceInstanceID: sourceInstanceID,
		Database:         "sales",
		Scope:            chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: []string{"audit_log", "sessions"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := c.ShowReplicationConfig(ctx, instanceID, "sales")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("changing:", cfg.Changing, cfg.Pending.Tables)
	if _, err := c.WaitJob(ctx, jobID, poll); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err = c.ShowReplicationConfig(ctx, instanceID, "sales")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Scope.Mode, cfg.Scope.Tables, "changing:", cfg.Changing)

	_, err = c.UpdateScope(ctx, instanceID, chreplication.ScopeUpdate{
		SourceInstanceID: sourceInstanceID,
		Database:         "sales",
		Scope:            chreplication.TableScope{Mode: chreplication.ScopeInclude, Tables: []string{"orders"}},
	})
	fmt.Println(errors.Is(err, chreplication.ErrScopeModeChange))
	// Output:
	// changing: true [audit_log sessions]
	// black_list [audit_log sessions] changing: false
	// true
}
