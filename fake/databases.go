package fake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gaussdb-tools/chreplication/wiretype"
)

// defaultSourceDatabases are the source databases ListClickHouseDataBase
// shows for an instance that neither WithSourceDatabases nor
// Server.SetSourceDatabases has named.
var defaultSourceDatabases = []string{"inventory", "orders", "sales", "shop"}

// DefaultSourceDatabases returns the source databases ListClickHouseDataBase
// shows for an instance unless WithSourceDatabases or
// Server.SetSourceDatabases names others: inventory, orders, sales and
// shop. Such an instance has every database, though: create and the checks
// accept any name there, these four being a sample the list can show. The
// caller owns the slice.
func DefaultSourceDatabases() []string { return slices.Clone(defaultSourceDatabases) }

// WithSourceDatabases sets the source databases of one instance: the
// databases ListClickHouseDataBase lists for it (with those that have a
// synchronization task there) and the only ones
// CreateClickHouseDataBaseReplication and the checks accept; any other
// name is answered 400 CodeSourceDatabaseNotFound. Other instances keep
// every database (see DefaultSourceDatabases). No names leave the instance
// without source databases. A second call for the same instance replaces
// the first. NewServer fails when the instance ID or a name is invalid for
// the spec, or a name is given twice.
func WithSourceDatabases(instanceID string, names ...string) Option {
	return func(c *config) {
		if c.sources == nil {
			c.sources = make(map[string][]string)
		}
		c.sources[instanceID] = slices.Clone(names)
	}
}

// checkSources checks the source databases of WithSourceDatabases.
func checkSources(sources map[string][]string) []error {
	var errs []error
	for _, id := range sortedKeys(sources) {
		if err := checkSourceNames(id, sources[id]); err != nil {
			errs = append(errs, fmt.Errorf("WithSourceDatabases: %w", err))
		}
	}
	return errs
}

func checkSourceNames(instanceID string, names []string) error {
	if !isID(instanceID) {
		return errors.New("invalid instance ID")
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		switch {
		case !isDatabaseName(n):
			return fmt.Errorf("invalid database name %q", n)
		case seen[n]:
			return fmt.Errorf("database %q named twice", n)
		}
		seen[n] = true
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func cloneSources(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// SetSourceDatabases replaces the source databases of an instance (see
// WithSourceDatabases); the synchronization tasks of the instance stay as
// they are. It fails, changing nothing, when the instance ID or a name is
// invalid for the spec, or a name is given twice.
func (s *Server) SetSourceDatabases(instanceID string, names ...string) error {
	if err := checkSourceNames(instanceID, names); err != nil {
		return fmt.Errorf("fake: SetSourceDatabases: %w", err)
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.sources[instanceID] = slices.Clone(names)
	return nil
}

// SourceDatabases returns the databases ListClickHouseDataBase lists for an
// instance, sorted: its source databases and those that have a
// synchronization task there.
func (s *Server) SourceDatabases(instanceID string) []string {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	return s.store.databases(instanceID)
}

// databases lists the databases of an instance, sorted by name (bytes);
// the caller holds mu.
func (st *store) databases(instanceID string) []string {
	names, ok := st.sources[instanceID]
	if !ok {
		names = defaultSourceDatabases
	}
	out := slices.Clone(names)
	if in := st.instances[instanceID]; in != nil {
		for _, r := range in.order {
			out = append(out, r.database)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hasDatabase reports whether database is a source database of the
// instance, which create and the checks accept: one ListClickHouseDataBase
// lists for an instance whose source databases were named (or one that has
// a synchronization task there), and any name for an instance whose source
// databases were not named; the caller holds mu.
func (st *store) hasDatabase(instanceID, database string) bool {
	if in := st.instances[instanceID]; in != nil && in.byName[database] != nil {
		return true
	}
	names, ok := st.sources[instanceID]
	return !ok || slices.Contains(names, database)
}

// listDatabases answers one page of the databases whose name holds filter
// ("" holds every name) and how many there are in all pages.
func (st *store) listDatabases(instanceID, filter string, limit, offset int) (int, []string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var match []string
	for _, n := range st.databases(instanceID) {
		if strings.Contains(n, filter) {
			match = append(match, n)
		}
	}
	start := min(offset, len(match))
	end := min(start+limit, len(match))
	return len(match), append([]string{}, match[start:end]...)
}

func (a api) ListClickHouseDataBase(_ context.Context, req ListClickHouseDataBaseRequestObject) (ListClickHouseDataBaseResponseObject, error) {
	limit, offset, filter := 10, 0, ""
	if p := req.Params.Limit; p != nil {
		limit = int(*p)
	}
	if p := req.Params.Offset; p != nil {
		offset = int(*p)
	}
	if p := req.Params.DatabaseName; p != nil {
		filter = *p
	}
	total, page := a.s.store.listDatabases(req.InstanceID, filter, limit, offset)
	return ListClickHouseDataBase200JSONResponse{Databases: page, TotalCount: wiretype.Int(total)}, nil
}
